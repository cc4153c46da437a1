// The serving dashboard's window: latency, throughput, prefix reuse, cache hits and cost over the last `windowS`
// seconds, read from the spans of requests the daemon served itself (GET /hotpath/stats).
import type { ServingWindowStats } from "../api.js";
import { percentile } from "./analysis/heatmap.js";
import { HotpathAttr, type Span } from "./span.js";
import type { TraceStore } from "./store.js";

export function servingWindow(traces: TraceStore, windowS: number, now = Date.now()): ServingWindowStats {
  const sinceNs = (now - windowS * 1000) * 1e6;
  // Only spans the daemon served itself (they carry a request id), not imported or OTLP ones.
  const spans = traces.recentSpans({ sinceNs, kind: "llm", limit: 100_000 }).filter((s) => s.requestId);
  const num = (s: Span, key: string) =>
    typeof s.attributes[key] === "number" ? (s.attributes[key] as number) : undefined;
  const values = (key: string) =>
    spans
      .map((s) => num(s, key))
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
  const ttft = values(HotpathAttr.ttftMs);
  const tps = values(HotpathAttr.predictedPerSecond).filter((x) => x > 0);
  const at = (sorted: number[], p: number) => (sorted.length ? percentile(sorted, p) : null);
  const sum = (key: string) => spans.reduce((acc, s) => acc + (num(s, key) ?? 0), 0);
  const promptTokens = sum("gen_ai.usage.input_tokens");
  const cached = sum("gen_ai.usage.cache_read.input_tokens");
  return {
    windowS,
    requests: spans.length,
    errors: spans.filter((s) => s.status === "error").length,
    ttftMs: { p50: at(ttft, 50), p95: at(ttft, 95) },
    decodeTokensPerSecond: { p50: at(tps, 50) },
    promptTokens,
    cachedPromptTokens: cached,
    prefixReuse: promptTokens > 0 ? cached / promptTokens : null,
    completionTokens: sum("gen_ai.usage.output_tokens"),
    cacheHits: spans.filter((s) => s.attributes[HotpathAttr.cache] === "hit").length,
    costUsd: sum(HotpathAttr.costUsd),
  };
}
