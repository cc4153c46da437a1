// Every request the daemon serves becomes one span in OTel GenAI terms, written when the request ends (ok or not),
// and one "request.finished" event for live views.
import type { Counter, Gauge, Histogram } from "prom-client";
import type { DaemonEvent, Timings, Usage } from "../api.js";
import type { LookupResult } from "../cache/service.js";
import type { PrefixFacts } from "../chat.js";
import type { TraceStore } from "../traces/store.js";
import type { RequestTraceContext } from "../traces/traceparent.js";
import { HotpathAttr, type Attributes, type SpanKind } from "../traces/span.js";
import { escapeAhead, ESCAPE_AHEAD_FROM_CHARS, type PiecedText } from "../traces/attributes-json.js";
import { cappedContent, cappedContentPieces, hasStringChars } from "./content-cap.js";

/** The request metrics a span feeds (the server's Prometheus registry holds them). */
export interface RequestMetrics {
  requests: Counter<"endpoint" | "route" | "status">;
  latency: Histogram<"endpoint" | "route">;
  ttft: Histogram<"route">;
  queueWait: Histogram<"priority">;
  tokens: Counter<"route" | "kind">;
  inFlight: Gauge;
}

/** Where a finished request goes: the trace store, the metrics, live views, and the log when writing fails. */
export interface SpanSink {
  traces: Pick<TraceStore, "writeSpans" | "writeServedSpan">;
  metrics: RequestMetrics;
  events: { publish(event: DaemonEvent): void };
  log: (level: "debug" | "info" | "warn" | "error", message: string) => void;
}

/** Content attributes are capped so one huge prompt cannot bloat the database. */
const MAX_CONTENT_CHARS = 256 * 1024;

export interface RequestFacts {
  requestId: string;
  endpoint: string;
  operation: "chat" | "text_completion" | "embeddings";
  model: string;
  route: string;
  priority: string;
  stream: boolean;
  startedAt: number; // ms since epoch (performance.timeOrigin based)
  endedAt: number;
  status: number;
  error?: string;
  errorType?: string;
  usage?: Usage;
  timings?: Timings;
  /** Local engine: prefix reuse and the cache-breaker facts (where the prompt diverged, text on both sides). */
  prefix?: PrefixFacts;
  finishReason?: string;
  params?: { maxTokens?: number | null; temperature?: number | null; topP?: number | null; seed?: number | null };
  content?: { system?: string; input?: unknown; output?: unknown; tools?: unknown };
  /** The request's content attributes as the span holds them, made ahead by prepareContent. */
  contentText?: ContentTexts;
  /** The caller's trace (W3C traceparent or x-hotpath-conversation-id), so the span joins the agent's own trace. */
  trace: RequestTraceContext;
  extra?: Attributes;
}

export function recordRequest(services: SpanSink, f: RequestFacts): void {
  const durationMs = f.endedAt - f.startedAt;
  const attributes: Attributes = {
    "gen_ai.operation.name": f.operation,
    "gen_ai.provider.name": f.route.startsWith("local:") ? "hotpath.local" : f.route.split(":")[0],
    "gen_ai.request.model": f.model,
    [HotpathAttr.route]: f.route,
    [HotpathAttr.priority]: f.priority,
    [HotpathAttr.stream]: f.stream,
    [HotpathAttr.httpStatus]: f.status,
    "hotpath.endpoint": f.endpoint,
  };
  if (f.params?.maxTokens != null) attributes["gen_ai.request.max_tokens"] = f.params.maxTokens;
  if (f.params?.temperature != null) attributes["gen_ai.request.temperature"] = f.params.temperature;
  if (f.params?.topP != null) attributes["gen_ai.request.top_p"] = f.params.topP;
  if (f.params?.seed != null) attributes["gen_ai.request.seed"] = f.params.seed;
  if (f.finishReason) attributes["gen_ai.response.finish_reasons"] = [f.finishReason];
  if (f.trace.conversationId) attributes["gen_ai.conversation.id"] = f.trace.conversationId;
  if (f.usage) {
    attributes["gen_ai.usage.input_tokens"] = f.usage.prompt_tokens;
    attributes["gen_ai.usage.output_tokens"] = f.usage.completion_tokens;
    attributes["gen_ai.usage.cache_read.input_tokens"] = f.usage.prompt_tokens_details.cached_tokens;
  }
  if (f.timings) {
    const t = f.timings;
    Object.assign(attributes, {
      [HotpathAttr.queueMs]: t.queue_ms,
      [HotpathAttr.promptN]: t.prompt_n,
      [HotpathAttr.promptMs]: t.prompt_ms,
      [HotpathAttr.ttftMs]: t.ttft_ms,
      [HotpathAttr.predictedN]: t.predicted_n,
      [HotpathAttr.predictedMs]: t.predicted_ms,
      [HotpathAttr.predictedPerSecond]: t.predicted_per_second,
    });
    if (t.draft_n !== undefined) {
      attributes[HotpathAttr.draftN] = t.draft_n;
      attributes[HotpathAttr.draftAccepted] = t.draft_n_accepted ?? 0;
    }
  }
  if (f.prefix) Object.assign(attributes, prefixAttributes(f.prefix));
  if (f.error) attributes[HotpathAttr.errorType] = f.errorType ?? "error";
  const made = f.contentText ?? (f.content && contentTexts(f.content));
  if (made?.system !== undefined) attributes["gen_ai.system_instructions"] = made.system;
  if (made?.input !== undefined) attributes["gen_ai.input.messages"] = made.input;
  if (f.content?.output !== undefined) attributes["gen_ai.output.messages"] = capped(f.content.output);
  if (made?.tools !== undefined) attributes["gen_ai.tool.definitions"] = made.tools;
  Object.assign(attributes, f.extra ?? {});

  try {
    services.traces.writeServedSpan({
      traceId: f.trace.traceId,
      spanId: f.trace.spanId,
      parentSpanId: f.trace.parentSpanId,
      name: `${f.operation} ${f.model}`,
      kind: (f.operation === "embeddings" ? "embedding" : "llm") as SpanKind,
      startNs: Math.round(f.startedAt * 1e6),
      endNs: Math.round(f.endedAt * 1e6),
      status: f.error ? "error" : "ok",
      statusMessage: f.error,
      requestId: f.requestId,
      attributes,
    });
  } catch (e) {
    services.log("error", `could not record the span of ${f.requestId}: ${(e as Error).message}`);
  }

  // The span is committed: the rest (counters, histograms, the live event) waits until the current turn's callbacks
  // have run, so it is not between the commit and the answer's last byte; it still runs before any other I/O.
  process.nextTick(afterSpan, services, f, durationMs);
}

/** The metrics and the "request.finished" event of a recorded request (see recordRequest). */
function afterSpan(services: SpanSink, f: RequestFacts, durationMs: number): void {
  try {
    observe(services, f, durationMs);
  } catch (e) {
    services.log("error", `could not count ${f.requestId} in the metrics: ${(e as Error).message}`);
  }
}

function observe(services: SpanSink, f: RequestFacts, durationMs: number): void {
  const m = services.metrics;
  m.requests.inc({ endpoint: f.endpoint, route: f.route, status: String(f.status) });
  m.latency.observe({ endpoint: f.endpoint, route: f.route }, durationMs / 1000);
  if (f.timings && !f.error) m.ttft.observe({ route: f.route }, f.timings.ttft_ms / 1000);
  if (f.timings) m.queueWait.observe({ priority: f.priority }, f.timings.queue_ms / 1000);
  if (f.usage) {
    m.tokens.inc({ route: f.route, kind: "prompt" }, f.usage.prompt_tokens);
    m.tokens.inc({ route: f.route, kind: "cached" }, f.usage.prompt_tokens_details.cached_tokens);
    m.tokens.inc({ route: f.route, kind: "completion" }, f.usage.completion_tokens);
  }
  services.events.publish({
    type: "request.finished",
    requestId: f.requestId,
    at: f.endedAt,
    endpoint: f.endpoint,
    model: f.model,
    route: f.route,
    status: f.status,
    durationMs,
    timings: f.timings,
    usage: f.usage,
    error: f.error,
    ...(typeof f.extra?.[HotpathAttr.cache] === "string" ? { cache: f.extra[HotpathAttr.cache] as string } : {}),
  });
}

/** hotpath.cache.*: what the response-cache lookup decided, on which rung (exact, normalized, semantic, single flight),
 * and which false-hit defence refused the best candidate and why. */
export function cacheAttributes(look: LookupResult): Attributes {
  return {
    [HotpathAttr.cache]: look.verdict,
    "hotpath.cache.reason": look.reason,
    ...(look.namespace !== undefined ? { "hotpath.cache.namespace": look.namespace } : {}),
    "hotpath.cache.lookup_ms": look.lookupMs,
    ...(look.similarity !== undefined ? { [HotpathAttr.cacheSimilarity]: look.similarity } : {}),
    ...(look.guard ? { [HotpathAttr.cacheGuard]: look.guard } : {}),
    ...(look.guardDetail ? { "hotpath.cache.guard_detail": look.guardDetail } : {}),
    ...(look.match ? { "hotpath.cache.match": look.match } : {}),
    ...(look.scope ? { "hotpath.cache.scope": look.scope } : {}),
  };
}

/** hotpath.prefix.*: reused/prompt tokens, their source, and where (and how) the prompt stopped matching. */
export function prefixAttributes(p: PrefixFacts): Attributes {
  const a: Attributes = {
    "hotpath.prefix.reused_tokens": p.reusedTokens,
    "hotpath.prefix.prompt_tokens": p.promptTokens,
  };
  if (p.source) a["hotpath.prefix.source"] = p.source;
  if (p.divergedAt !== undefined) {
    a["hotpath.prefix.diverged_at"] = p.divergedAt;
    a["hotpath.prefix.before"] = p.before ?? "";
    a["hotpath.prefix.after"] = p.after ?? "";
  }
  return a;
}

/** The value's JSON text (a string as it is) capped at MAX_CONTENT_CHARS, the rest never written (content-cap.ts). */
function capped(value: unknown): string {
  return cappedContent(value, MAX_CONTENT_CHARS);
}

/**
 * Whether prepareContent pays for itself: content whose strings hold ESCAPE_AHEAD_FROM_CHARS characters or more (its
 * span's row is then written as bytes). For a short request the turn it would take costs more than it saves
 * (same-run A/B, 2,000 rounds: streamed TTFB +0.05 ms).
 */
export function contentWorthPreparing(f: RequestFacts): boolean {
  return f.content !== undefined && hasStringChars(f.content, ESCAPE_AHEAD_FROM_CHARS);
}

/**
 * Makes the request's content attributes — and, for a large request, the span row's bytes of them (escapeAhead) —
 * while its backend works (ChatOptions.whileWaiting), not after the answer: a coding agent's 196 KB request is ~2 ms
 * of that work, which the answer then no longer waits for. Once per request; never throws (a value that cannot be
 * made is left to recordRequest, which reports it as it always did).
 */
export function prepareContent(f: RequestFacts): void {
  if (f.contentText || !f.content) return;
  try {
    // In pieces (a message, a tool each): the row's bytes are escaped from them, never from a flat copy of the text.
    const pieced: PiecedText[] = [];
    f.contentText = contentTexts(f.content, (v) => {
      const made = cappedContentPieces(v, MAX_CONTENT_CHARS);
      pieced.push(made);
      return made.text;
    });
    escapeAhead(pieced);
  } catch {
    // Not made: recordRequest makes it, and reports what cannot be made, as it always did.
  }
}

/** The request's content attributes (system, input, tools) as the span holds them: capped JSON texts. */
type ContentTexts = { system?: string; input?: string; tools?: string };

function contentTexts(
  { system, input, tools }: NonNullable<RequestFacts["content"]>,
  make: (value: unknown) => string = capped,
): ContentTexts {
  return {
    system: system === undefined ? undefined : make(system),
    input: input === undefined ? undefined : make(input),
    tools: tools === undefined ? undefined : make(tools),
  };
}

/** Wall-clock ms with sub-ms precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Starts a request's bookkeeping (in-flight gauge, "request.started" event) and returns the function that ends it:
 * it records the span exactly once, however many paths (success, stream end, error, finally) call it.
 */
export function startRequest(
  services: SpanSink,
  facts: RequestFacts,
  opts: { countInFlight?: boolean; announce?: boolean } = {},
): () => void {
  const countInFlight = opts.countInFlight ?? true;
  if (opts.announce ?? true) {
    services.events.publish({
      type: "request.started",
      requestId: facts.requestId,
      at: facts.startedAt,
      endpoint: facts.endpoint,
      model: facts.model,
      priority: facts.priority,
      stream: facts.stream,
    });
  }
  if (countInFlight) services.metrics.inFlight.inc();
  let recorded = false;
  return () => {
    if (recorded) return;
    recorded = true;
    if (countInFlight) services.metrics.inFlight.dec();
    facts.endedAt = nowMs();
    recordRequest(services, facts);
  };
}
