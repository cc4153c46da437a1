// What every quality check sees and returns.
import type { ChatCompletion, ChatCompletionRequest } from "../../api.js";
import type { TestInput } from "../spec.js";

/** Sends one chat request somewhere (a Hotpath daemon over HTTP, or a local GGUF in-process). */
export type Completer = (request: ChatCompletionRequest, signal: AbortSignal) => Promise<ChatCompletion>;
/** A request the backend refused as invalid (4xx): that variant's sample fails; any other error stops the run. */
export class CompletionError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A sentence embedding (the cache's embedder). */
export type Embed = (text: string) => Promise<Float32Array>;

export interface CheckContext {
  /** The text checks look at: the reply's content, or its tool calls as JSON (see outputText). */
  output: string;
  input: TestInput;
  /** The baseline's first output for this input (the reference for baseline-relative checks). */
  baseline: string;
  model: string;
  signal: AbortSignal;
  embed?: Embed;
  complete?: Completer;
}

export interface CheckResult {
  type: string;
  /** 0–1; pass/fail checks give 0 or 1. */
  score: number;
  detail?: string;
}

/**
 * Checks compare text: the content, or — for a reply that only calls tools — the calls as
 * `[{"name": …, "arguments": {…}}]` with the arguments parsed, so JSON-equal ignores the model's whitespace.
 */
export function outputText(c: ChatCompletion): string {
  const m = c.choices[0]?.message;
  if (!m) return "";
  if (m.tool_calls?.length && !m.content) {
    return JSON.stringify(
      m.tool_calls.map((t) => {
        let args: unknown = t.function.arguments;
        try {
          args = JSON.parse(t.function.arguments);
        } catch {
          /* keep the raw text: a check will see it is not JSON */
        }
        return { name: t.function.name, arguments: args };
      }),
    );
  }
  return m.content ?? "";
}
