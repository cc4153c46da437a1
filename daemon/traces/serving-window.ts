// The serving dashboard's window: latency, throughput, prefix reuse, cache hits and cost over the last `windowS`
// seconds, read from the spans of requests the daemon served itself (GET /hotpath/stats).
import type { ServingWindowStats } from "../api.js";
import { percentile } from "./analysis/heatmap.js";
import { HotpathAttr } from "./span.js";
import { SERVING_NUMBER_KEYS, type TraceStore } from "./store.js";

export function servingWindow(traces: TraceStore, windowS: number, now = Date.now()): ServingWindowStats {
  const sinceNs = (now - windowS * 1000) * 1e6;
  // Only spans the daemon served itself (they carry a request id), not imported or OTLP ones; the values in SQL.
  const keys = SERVING_NUMBER_KEYS;
  const spans = traces.servedLlmValues(sinceNs, keys, [HotpathAttr.cache]);
  const column = (key: (typeof keys)[number]) => {
    const i = keys.indexOf(key);
    return spans.map((s) => s.numbers[i]).filter((x): x is number => x !== null);
  };
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const ttft = sorted(column(HotpathAttr.ttftMs));
  const tps = sorted(column(HotpathAttr.predictedPerSecond).filter((x) => x > 0));
  const at = (xs: number[], p: number) => (xs.length ? percentile(xs, p) : null);
  const sum = (key: (typeof keys)[number]) => column(key).reduce((acc, x) => acc + x, 0);
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
    cacheHits: spans.filter((s) => s.texts[0] === "hit").length,
    costUsd: sum(HotpathAttr.costUsd),
  };
}
