// What recorded traces say about a prompt: the LLM calls that used this system prompt (their user inputs and prompt
// token counts) and which tools were actually called. Reads spans in the OTel GenAI vocabulary the trace store uses.
import type { PromptTokenStats } from "../api.js";
import type { Span } from "../traces/span.js";
import type { TraceStore } from "../traces/store.js";
import { contentText } from "../chat.js";
import type { PromptDoc } from "./sections/index.js";
import { percentile } from "./stats.js";

interface Message {
  role: string;
  text: string;
}

const norm = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * Messages of a span: `gen_ai.input.messages` (OpenAI {role, content} as the daemon records it, or semconv parts);
 * `gen_ai.system_instructions` stands in for the system messages only when the input holds none.
 */
export function spanMessages(span: Span): Message[] {
  const out: Message[] = [];
  const input = span.attributes["gen_ai.input.messages"];
  const parsed = typeof input === "string" ? tryJson(input) : undefined;
  if (Array.isArray(parsed)) {
    for (const m of parsed) {
      if (!m || typeof m !== "object") continue;
      const role = String((m as { role?: unknown }).role ?? "");
      const parts = (m as { parts?: unknown }).parts;
      out.push({
        role,
        text: parts !== undefined ? partsText(parts) : contentText((m as { content?: unknown }).content),
      });
    }
  }
  const sys = span.attributes["gen_ai.system_instructions"];
  if (typeof sys === "string" && !out.some((m) => m.role === "system" || m.role === "developer")) {
    const value = tryJson(sys);
    out.unshift({ role: "system", text: Array.isArray(value) ? partsText(value) : sys });
  }
  return out;
}

/** Names of the tools a span's reply called: `hotpath.tool_call_names`, or tool calls in `gen_ai.output.messages`. */
export function calledTools(span: Span): string[] {
  const names = span.attributes["hotpath.tool_call_names"];
  if (Array.isArray(names)) return names.filter((n): n is string => typeof n === "string");
  const output = span.attributes["gen_ai.output.messages"];
  const parsed = typeof output === "string" ? tryJson(output) : undefined;
  const found: string[] = [];
  for (const m of Array.isArray(parsed) ? parsed : parsed ? [parsed] : []) {
    if (!m || typeof m !== "object") continue;
    for (const c of ((m as { tool_calls?: unknown }).tool_calls as { function?: { name?: unknown } }[] | undefined) ??
      []) {
      if (typeof c?.function?.name === "string") found.push(c.function.name);
    }
    for (const p of ((m as { parts?: unknown }).parts as { type?: unknown; name?: unknown }[] | undefined) ?? []) {
      if (p?.type === "tool_call" && typeof p.name === "string") found.push(p.name);
    }
  }
  return found;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function partsText(parts: unknown): string {
  if (typeof parts === "string") return parts;
  if (!Array.isArray(parts)) return "";
  return parts
    .map((p) =>
      p && typeof p === "object" && typeof (p as { content?: unknown }).content === "string"
        ? (p as { content: string }).content
        : "",
    )
    .join("");
}

/** The prompt's system and developer text, whitespace normalised: what a recorded call's system prompt must equal. */
export function docSystemText(doc: PromptDoc): string {
  return norm(
    doc.messages
      .filter((m) => m.role === "system" || m.role === "developer")
      .map((m) => contentText(m.content))
      .join("\n"),
  );
}

export interface RecordedUse {
  /** LLM spans whose system prompt is this prompt's, newest first. */
  spans: Span[];
  stats: PromptTokenStats;
  /** The last user message of each of those calls, newest first. */
  inputs: string[];
  /** Tool name → calls seen in the traces of those spans. */
  toolCalls: Map<string, number>;
}

/**
 * Recorded use reads at most this many bytes of span attributes, parsed on the event loop per audit request: recorded
 * 1 MB prompts (the fuzz) made each /hotpath/audit/sections parse hundreds of MB, holding the loop for seconds and
 * growing RSS ~10 MB a request; a 16 MB budget still held it for seconds. 2 MB is the ~20 latest 100 kB agent calls.
 */
export const RECORDED_SCAN_BYTES = 2_000_000;

/**
 * Scans the most recent LLM spans (up to `limit` and RECORDED_SCAN_BYTES) for calls that used this system text
 * (`system`: docSystemText(doc), worked out beforehand for a request's prompt, off the event loop).
 */
export function recordedUse(
  traces: TraceStore,
  doc: PromptDoc,
  limit = 5000,
  system = docSystemText(doc),
): RecordedUse {
  const spans = system
    ? traces.recentSpans({ kind: "llm", limit, maxAttributeBytes: RECORDED_SCAN_BYTES }).filter((s) => {
        const sys = spanMessages(s).filter((m) => m.role === "system" || m.role === "developer");
        return sys.length > 0 && norm(sys.map((m) => m.text).join("\n")) === system;
      })
    : [];
  const tokens = spans
    .map((s) => s.attributes["gen_ai.usage.input_tokens"])
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const inputs = spans
    .map(
      (s) =>
        spanMessages(s)
          .filter((m) => m.role === "user")
          .pop()?.text,
    )
    .filter((t): t is string => typeof t === "string" && t !== "");
  const toolCalls = new Map<string, number>();
  for (const traceId of new Set(spans.map((s) => s.traceId))) {
    for (const s of traces.getSpans(traceId)) {
      const names: string[] = [];
      if (s.kind === "tool" && typeof s.attributes["gen_ai.tool.name"] === "string")
        names.push(s.attributes["gen_ai.tool.name"]);
      if (s.kind === "llm") names.push(...calledTools(s));
      for (const n of names) toolCalls.set(n, (toolCalls.get(n) ?? 0) + 1);
    }
  }
  return {
    spans,
    inputs,
    toolCalls,
    stats: {
      calls: spans.length,
      avgPromptTokens: tokens.length ? tokens.reduce((a, b) => a + b, 0) / tokens.length : 0,
      p95PromptTokens: tokens.length ? percentile(tokens, 0.95) : 0,
    },
  };
}
