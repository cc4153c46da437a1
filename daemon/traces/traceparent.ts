// W3C Trace Context: the `traceparent` header that lets a span the daemon writes join the caller's trace, and the
// `x-hotpath-conversation-id` fallback for callers without tracing (all requests of one conversation share a trace).
import { deriveTraceId, randomSpanId, randomTraceId } from "./ids.js";

export interface TraceParent {
  traceId: string;
  /** The caller's span: the daemon's span becomes its child. */
  parentSpanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a traceparent header value per W3C Trace Context level 1. Returns undefined for anything invalid
 * (the spec says: ignore it and start a new trace), including version ff, all-zero ids, and upper-case hex.
 */
export function parseTraceparent(value: string | string[] | undefined): TraceParent | undefined {
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined; // several headers: ambiguous, ignore
  if (typeof value !== "string" || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, parentSpanId, flags, rest] = m;
  if (version === "ff") return undefined;
  // Version 00 has exactly four fields; later versions may append more, which we ignore.
  if (version === "00" && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

export interface RequestTraceContext {
  traceId: string;
  /** The span id the daemon should give its own span for this request. */
  spanId: string;
  parentSpanId?: string;
  /** gen_ai.conversation.id when the caller named one. */
  conversationId?: string;
  /**
   * Where the trace id came from: the caller's traceparent, its conversation id, the tool results it brings (the trace
   * of the answer that asked for those calls: traces/tool-gaps.ts), or a fresh one.
   */
  joinedBy: "traceparent" | "conversation" | "tool-calls" | "new";
}

type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * Headers that name an agent session, most specific first: Hotpath's own, then what agent CLIs send on every request
 * of one session (Claude Code: x-claude-code-session-id; Codex: session-id, older versions session_id). All requests
 * of one session then share one trace, without instrumenting the agent.
 */
const SESSION_HEADERS = ["x-hotpath-conversation-id", "x-claude-code-session-id", "session-id", "session_id"];

function conversationOf(headers: HeaderBag): string | undefined {
  for (const name of SESSION_HEADERS) {
    const raw = headers[name];
    const value = typeof raw === "string" ? raw.trim().slice(0, 256) : undefined;
    if (value) return value;
  }
  return undefined;
}

/**
 * The trace a request's span belongs to: the caller's traceparent wins; otherwise a conversation id maps to one
 * stable trace per conversation; otherwise a new trace.
 */
export function requestTraceContext(headers: HeaderBag): RequestTraceContext {
  const conversationId = conversationOf(headers);
  const parent = parseTraceparent(headers["traceparent"]);
  const spanId = randomSpanId();
  if (parent)
    return {
      traceId: parent.traceId,
      spanId,
      parentSpanId: parent.parentSpanId,
      conversationId,
      joinedBy: "traceparent",
    };
  if (conversationId)
    return { traceId: deriveTraceId("conversation", conversationId), spanId, conversationId, joinedBy: "conversation" };
  return { traceId: randomTraceId(), spanId, joinedBy: "new" };
}
