// What the pipeline is asked: the internal chat request (daemon/chat.ts's shape, which every wire format translates
// into) or a raw-prompt completion, plus the facts about the caller that no request body carries.
import type { ChatCompletionRequest, CompletionRequest } from "../api.js";
import type { Headers } from "../cache/policy.js";
import type { NativeRequest, Priority } from "../chat.js";
import type { RequestTraceContext } from "../traces/traceparent.js";

/** How the caller wants the response cache used. */
export interface CachePolicy {
  /**
   * The caller's directives as the cache's admission and the router read them (Cache-Control, x-hotpath-cache,
   * x-hotpath-task), with lower-case names. The pipeline passes them on; it does not interpret them.
   */
  directives: Headers;
}

/** What the span records about the request itself, in the caller's own wire shapes. */
export interface RequestRecord {
  system?: string;
  input: unknown;
  tools?: unknown;
  params: { maxTokens?: number | null; temperature?: number | null; topP?: number | null; seed?: number | null };
}

interface Common {
  requestId: string;
  /** When the request arrived (ms since epoch, performance.timeOrigin based): the span starts here. */
  receivedAt: number;
  /** Aborted when the caller goes away or its time is up: generation stops. */
  signal: AbortSignal;
  /** The endpoint it came in through, for the span and the metrics: "chat", "messages", "completions". */
  endpoint: string;
  stream: boolean;
  /** The class the caller asked for; absent → the answering route's configured default. */
  priority?: Priority;
  cache: CachePolicy;
  /** The caller's trace (W3C traceparent or a conversation id), so the span joins it. */
  trace: RequestTraceContext;
  record: RequestRecord;
}

export interface ChatInput extends Common {
  request: ChatCompletionRequest;
  /** The caller's request as sent, for a route that speaks its format (same-format pass-through, `wire` events). */
  native?: NativeRequest;
}

/** A raw prompt for a local model (no chat template, no routing). */
export interface CompletionInput extends Common {
  request: CompletionRequest;
}
