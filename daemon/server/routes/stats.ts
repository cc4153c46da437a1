// GET /hotpath/stats: what the serving dashboard shows — each model's state, sequences and queues, and the last
// window's latency, throughput, prefix reuse and cache hits from the daemon's own request spans.
import type { ModelServingStats, ServingStats, ServingWindowStats } from "../../api.js";
import { PRIORITIES } from "../../chat.js";
import { HotpathAttr, type Span } from "../../traces/span.js";
import { HttpError, type Route } from "../route.js";
import type { Services } from "../services.js";

const MAX_WINDOW_S = 7 * 24 * 3600;

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/stats",
    handle(ctx, services) {
      const raw = ctx.url.searchParams.get("window") ?? "3600";
      const windowS = Number(raw);
      if (!Number.isInteger(windowS) || windowS < 1 || windowS > MAX_WINDOW_S) {
        throw new HttpError(
          400,
          `window must be a whole number of seconds between 1 and ${MAX_WINDOW_S}, not "${raw}"`,
          "invalid_request_error",
          "invalid_value",
          "window",
        );
      }
      const body: ServingStats = {
        version: services.version,
        uptimeS: Math.round((Date.now() - services.startedAt) / 1000),
        eventLoop: services.metrics.eventLoop.snapshot(),
        models: modelStats(services),
        window: windowStats(services, windowS),
      };
      ctx.send(200, body);
    },
  },
];

function modelStats(services: Services): ModelServingStats[] {
  return services.engine.aliases().map((alias) => {
    const s = services.engine.status(alias);
    if (!s || s.state === "loading") return { alias, state: "loading" };
    if (s.state === "error") return { alias, state: "error", error: s.message };
    if (s.state !== "ready") return { alias, state: s.state };
    const pool = s.model.pool;
    const spec = s.model.speculation.stats();
    const queued = Object.fromEntries(PRIORITIES.map((p) => [p, pool.queueDepth(p)])) as ModelServingStats["queued"];
    return {
      alias,
      state: "ready",
      contextSize: s.model.contextSize,
      sequences: pool.size,
      busySequences: pool.busyCount,
      queued,
      threads: { prefill: s.model.threads.prefill, decode: s.model.threads.decode, source: s.model.threads.source },
      ...(s.model.speculator
        ? {
            speculation: {
              kind: s.model.speculator.kind,
              enabled: spec.enabled,
              drafted: spec.drafted,
              accepted: spec.accepted,
              acceptance: spec.acceptance,
              draftLength: s.model.speculator.draftLength.current,
            },
          }
        : {}),
    };
  });
}

function windowStats(services: Services, windowS: number): ServingWindowStats {
  const sinceNs = (Date.now() - windowS * 1000) * 1e6;
  // Only spans the daemon served itself (they carry a request id), not imported or OTLP ones.
  const spans = services.traces.recentSpans({ sinceNs, kind: "llm", limit: 100_000 }).filter((s) => s.requestId);
  const num = (s: Span, key: string) =>
    typeof s.attributes[key] === "number" ? (s.attributes[key] as number) : undefined;
  const ttft = spans.map((s) => num(s, HotpathAttr.ttftMs)).filter((x): x is number => x !== undefined);
  const tps = spans
    .map((s) => num(s, HotpathAttr.predictedPerSecond))
    .filter((x): x is number => x !== undefined && x > 0);
  const sum = (key: string) => spans.reduce((acc, s) => acc + (num(s, key) ?? 0), 0);
  const promptTokens = sum("gen_ai.usage.input_tokens");
  const cached = sum("gen_ai.usage.cache_read.input_tokens");
  return {
    windowS,
    requests: spans.length,
    errors: spans.filter((s) => s.status === "error").length,
    ttftMs: { p50: quantile(ttft, 0.5), p95: quantile(ttft, 0.95) },
    decodeTokensPerSecond: { p50: quantile(tps, 0.5) },
    promptTokens,
    cachedPromptTokens: cached,
    prefixReuse: promptTokens > 0 ? cached / promptTokens : null,
    completionTokens: sum("gen_ai.usage.output_tokens"),
    cacheHits: spans.filter((s) => s.attributes[HotpathAttr.cache] === "hit").length,
    costUsd: sum(HotpathAttr.costUsd),
  };
}

function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
