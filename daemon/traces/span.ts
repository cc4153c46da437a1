// The span model: one timed unit of agent work (an LLM call, a tool call, an agent step) in OTel GenAI terms.

import type { SpanDto, SpanKindName } from "../api.js";

export type SpanKind = SpanKindName;
export type SpanStatus = SpanDto["status"];

/** Attribute values as OTel allows them (scalars and homogeneous arrays), JSON-encoded in the store. */
export type Attributes = SpanDto["attributes"];
export type AttributeValue = Attributes[string];

/**
 * A span as stored and served: the API's SpanDto. startNs/endNs are nanoseconds since the Unix epoch as numbers
 * (ms precision survives; ns beyond 2^53 is rounded); requestId is x-hotpath-request-id for spans the daemon served.
 */
export type Span = SpanDto;

/** Attribute names Hotpath writes, beyond the OTel GenAI semantic conventions (`gen_ai.*`). */
export const HotpathAttr = {
  route: "hotpath.route",
  routeReason: "hotpath.route.reason",
  /** Every try of every route, as JSON objects (route, status, outcome, error, ms, ttfbMs, costUsd). */
  routeAttempts: "hotpath.route.attempts",
  routeAttemptCount: "hotpath.route.attempt_count",
  priority: "hotpath.priority",
  httpStatus: "http.response.status_code",
  stream: "hotpath.stream",
  queueMs: "hotpath.timings.queue_ms",
  promptN: "hotpath.timings.prompt_n",
  promptMs: "hotpath.timings.prompt_ms",
  ttftMs: "hotpath.timings.ttft_ms",
  predictedN: "hotpath.timings.predicted_n",
  predictedMs: "hotpath.timings.predicted_ms",
  predictedPerSecond: "hotpath.timings.predicted_per_second",
  draftN: "hotpath.timings.draft_n",
  draftAccepted: "hotpath.timings.draft_n_accepted",
  cache: "hotpath.cache.verdict",
  cacheSimilarity: "hotpath.cache.similarity",
  cacheGuard: "hotpath.cache.guard",
  costUsd: "hotpath.cost.usd",
  errorType: "error.type",
} as const;
