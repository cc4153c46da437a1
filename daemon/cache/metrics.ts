// The cache's numbers in Prometheus form (/metrics). Totals come from the database, so they survive restarts;
// lookup latency is observed live.
import { Gauge, Histogram, type Registry } from "prom-client";
import type { ResponseCache } from "./service.js";

const LOOKUP_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export class CacheMetrics {
  readonly lookup: Histogram<"verdict">;

  constructor(registry: Registry, cache: ResponseCache) {
    const snapshot = () => cache.stats(0);
    new Gauge({
      name: "hotpath_cache_lookups",
      help: "Cache lookups by verdict (hit, miss, bypass) since the database was created",
      labelNames: ["verdict"],
      registers: [registry],
      collect() {
        const t = snapshot().totals;
        this.set({ verdict: "hit" }, t.hits);
        this.set({ verdict: "miss" }, t.misses);
        this.set({ verdict: "bypass" }, t.bypasses);
      },
    });
    const gauge = (name: string, help: string, read: (s: ReturnType<typeof snapshot>) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read(snapshot()));
        },
      });
    gauge("hotpath_cache_hit_ratio", "hits / (hits + misses)", (s) => s.totals.hitRate);
    gauge(
      "hotpath_cache_semantic_hits",
      "Hits found by similarity rather than the exact request",
      (s) => s.totals.semanticHits,
    );
    gauge(
      "hotpath_cache_guard_rejections",
      "Candidates above the threshold refused by a false-hit guard or the verifier",
      (s) => s.totals.guardRejections,
    );
    gauge(
      "hotpath_cache_saved_tokens",
      "Prompt + completion tokens answered from the cache",
      (s) => s.totals.tokensSaved,
    );
    gauge(
      "hotpath_cache_saved_seconds",
      "Measured latency of the original requests that hits replaced",
      (s) => s.totals.msSaved / 1000,
    );
    gauge("hotpath_cache_saved_usd", "Cost of the original requests that hits replaced", (s) => s.totals.usdSaved);
    gauge("hotpath_cache_entries", "Entries in the cache", (s) => s.entries);
    gauge("hotpath_cache_bytes", "Bytes of cached requests, answers and vectors", (s) => s.bytes);
    gauge("hotpath_cache_evictions", "Entries evicted by the size cap since the daemon started", (s) => s.evictions);
    this.lookup = new Histogram({
      name: "hotpath_cache_lookup_seconds",
      help: "Cache lookup time (embedding included) by verdict",
      labelNames: ["verdict"],
      buckets: LOOKUP_BUCKETS_S,
      registers: [registry],
    });
  }
}
