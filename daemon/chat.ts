// The internal shape of a chat generation, shared by every backend (local engine, cloud providers, cache replay)
// and every wire format (OpenAI JSON/SSE, Anthropic JSON/SSE). Backends produce ChatEvents; the server turns
// them into whatever the client asked for.
import type { ChatCompletion, ChatCompletionRequest, FinishReason, Timings, ToolCall, Usage } from "./api.js";

export type Priority = "interactive" | "workflow" | "background";
export const PRIORITIES: readonly Priority[] = ["interactive", "workflow", "background"];

export type ChatEvent =
  | { type: "text"; text: string }
  /**
   * Same-format pass-through only (see NativeRequest): the upstream's own bytes, to be relayed to the client verbatim.
   * The first one carries the upstream's status and headers. The text/tool/done events of the same answer still
   * follow, for observation (span, usage, cache), and must not be rendered a second time.
   */
  | { type: "wire"; format: WireFormat; data: string; head?: { status: number; headers: Record<string, string> } }
  /** A tool call's pieces as they stream: the first delta of an index carries id and name. */
  | { type: "tool_call_delta"; index: number; id?: string; name?: string; arguments: string }
  | {
      type: "done";
      finishReason: FinishReason;
      usage: Usage;
      timings?: Partial<Timings>;
      /** Local engine only: token probabilities of the generated text, for cascade routing. */
      confidence?: { mean: number; min: number };
      /** The upstream's model name, when it differs from the requested alias. */
      model?: string;
      /** Local engine only: how much of the prompt came from a resident KV prefix, and where it stopped matching. */
      prefix?: PrefixFacts;
    };

/** Prefix reuse of one local request. divergedAt/before/after: where the prompt stopped matching the reused sequence. */
export interface PrefixFacts {
  reusedTokens: number;
  promptTokens: number;
  /** Token index of the first difference from the sequence's previous content (absent for a pure extension). */
  divergedAt?: number;
  /** Detokenized text the sequence held from the divergence on. */
  before?: string;
  /** Detokenized text of the new prompt from the divergence on. */
  after?: string;
  /** "snapshot" when the prefix was loaded from disk, "copy" when copied from another sequence. */
  source?: "resident" | "copy" | "snapshot";
}

/** The client-facing API a request arrived in. */
export type WireFormat = "anthropic.messages" | "openai.chat" | "openai.responses";

/**
 * The request exactly as the client sent it. A backend that speaks `format` to its upstream forwards this instead of
 * translating the chat request: unknown body fields, the API's own headers and the query string survive; only the
 * model id (the route's) and the key (the provider's) change.
 */
export interface NativeRequest {
  format: WireFormat;
  /** The parsed JSON body, unvalidated fields included. */
  body: Record<string, unknown>;
  /** The body's bytes as sent, where `body` is their parse (not a route's rewrite): a pass-through's copy of them. */
  raw?: Buffer;
  /** Headers to forward: the API family's own (anthropic-*, openai-*), lower-case names. */
  headers: Record<string, string>;
  /** The query string, "" or starting with "?". */
  query: string;
}

export interface ChatOptions {
  signal: AbortSignal;
  priority: Priority;
  requestId: string;
  /**
   * Report token-probability confidence on the done event (cascade steps judge by it). Off otherwise: computing
   * each token's probability costs ~7% decode speed (measured: 118 → 110 tok/s, 60 MB q8_0, 8k vocabulary).
   */
  confidence?: boolean;
  /** The client's own request, for same-format pass-through. */
  native?: NativeRequest;
  /**
   * The caller's own work to do while the backend works on the request: called once an upstream's request is on its
   * way, or a local model's prompt evaluation has started (an answer takes milliseconds to seconds, in which this
   * thread would wait); perhaps more than once (each attempt), perhaps never. It must not throw. The pipeline makes the
   * span's request content then instead of after the answer.
   */
  whileWaiting?: () => void;
}

/** Something that can answer a chat request: the local engine, a cloud provider, a cache entry. */
export interface ChatBackend {
  /** Route id as shown in x-hotpath-route, e.g. "local:stories" or "openai:gpt-4o-mini". */
  readonly id: string;
  chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent>;
  /**
   * Prompt tokens the request would cost on this backend, where the backend can say exactly. `native`: the client's
   * own count request, forwarded as sent by a backend that speaks its format (count_tokens pass-through).
   */
  countTokens?(request: ChatCompletionRequest, signal: AbortSignal, native?: NativeRequest): Promise<TokenCount>;
}

export interface TokenCount {
  inputTokens: number;
  /** What counted, e.g. "gguf:stories", "anthropic:count_tokens", "estimate:cl100k_base". */
  tokenizer: string;
  exact: boolean;
  /** Same-format pass-through: the upstream's own answer, to relay as it came. */
  wire?: { status: number; headers: Record<string, string>; body: string };
}

/**
 * The text of a message's content, whatever the wire format: a string as it is, or the text of its parts joined
 * (images and other parts without text add nothing).
 */
export function contentText(content: unknown, separator = ""): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: { text?: unknown } | null) => (typeof p?.text === "string" ? p.text : "")).join(separator);
}

export function emptyUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
}

/** Usage from an upstream's counts, whatever its field names; absent counts are 0, the total their sum. */
export function usageOf(u: { input?: number; output?: number; total?: number; cached?: number }): Usage {
  const [prompt, completion] = [u.input ?? 0, u.output ?? 0];
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.total ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
  };
}

export function fullTimings(t: Partial<Timings> = {}): Timings {
  return {
    queue_ms: t.queue_ms ?? 0,
    prompt_n: t.prompt_n ?? 0,
    prompt_ms: t.prompt_ms ?? 0,
    ttft_ms: t.ttft_ms ?? 0,
    predicted_n: t.predicted_n ?? 0,
    predicted_ms: t.predicted_ms ?? 0,
    predicted_per_second: t.predicted_per_second ?? 0,
    ...(t.draft_n !== undefined ? { draft_n: t.draft_n, draft_n_accepted: t.draft_n_accepted ?? 0 } : {}),
  };
}

/** Folds a stream of events into one non-streamed OpenAI chat completion. */
export async function collectChat(
  events: AsyncIterable<ChatEvent>,
  meta: { id: string; model: string; created?: number },
): Promise<ChatCompletion> {
  const fold = new ChatFold();
  for await (const e of events) fold.add(e);
  return fold.completion(meta);
}

/** collectChat for events already at hand: no promise turn per event (the span's output of every answer). */
export function foldChat(
  events: Iterable<ChatEvent>,
  meta: { id: string; model: string; created?: number },
): ChatCompletion {
  const fold = new ChatFold();
  for (const e of events) fold.add(e);
  return fold.completion(meta);
}

class ChatFold {
  private text = "";
  private readonly calls: ToolCall[] = [];
  private done: Extract<ChatEvent, { type: "done" }> | undefined;

  add(e: ChatEvent): void {
    if (e.type === "text") this.text += e.text;
    else if (e.type === "tool_call_delta") {
      const call = (this.calls[e.index] ??= {
        id: e.id ?? "",
        type: "function",
        function: { name: e.name ?? "", arguments: "" },
      });
      if (e.id) call.id = e.id;
      if (e.name) call.function.name = e.name;
      call.function.arguments += e.arguments;
    } else if (e.type === "done") this.done = e;
  }

  completion(meta: { id: string; model: string; created?: number }): ChatCompletion {
    return chatCompletion(this.text, this.calls, this.done, meta);
  }
}

function chatCompletion(
  text: string,
  calls: ToolCall[],
  done: Extract<ChatEvent, { type: "done" }> | undefined,
  meta: { id: string; model: string; created?: number },
): ChatCompletion {
  if (!done) throw new Error("the backend ended its stream without a final event");
  const toolCalls = calls.filter(Boolean);
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created ?? Math.floor(Date.now() / 1000),
    model: done.model ?? meta.model,
    system_fingerprint: "hotpath",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: toolCalls.length && !text ? null : text,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: done.finishReason,
        logprobs: null,
      },
    ],
    usage: done.usage,
    timings: fullTimings(done.timings),
  };
}

/** Replays a finished completion as events (cache hits, non-streaming upstreams). */
export async function* replayChat(c: ChatCompletion): AsyncIterable<ChatEvent> {
  const choice = c.choices[0];
  if (choice.message.content) yield { type: "text", text: choice.message.content };
  for (const [index, call] of (choice.message.tool_calls ?? []).entries()) {
    yield { type: "tool_call_delta", index, id: call.id, name: call.function.name, arguments: call.function.arguments };
  }
  yield { type: "done", finishReason: choice.finish_reason, usage: c.usage, timings: c.timings, model: c.model };
}
