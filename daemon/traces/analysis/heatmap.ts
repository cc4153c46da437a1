// Latency heatmaps: how long calls took over time (time bucket × latency bucket counts), with percentiles, and per
// span name the median latency per time bucket (run × step).
import type { Heatmap } from "../../api.js";
import type { Span } from "../span.js";

/** Lower edges of the latency buckets (ms); the last bucket is open-ended. Roughly logarithmic. */
export const LATENCY_EDGES_MS = [0, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000];

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function latencyHeatmap(
  spans: Span[],
  opts: { timeBuckets?: number; kinds?: string[]; maxNames?: number } = {},
): Heatmap {
  const kinds = new Set(opts.kinds ?? ["llm", "tool", "retriever", "embedding"]);
  // A span without a finite start has no place on the time axis, one without a finite duration (end NaN, infinite or
  // a double's range away) no latency: both are left out. Importers refuse such times now, but one stored before (or
  // given by other code) made the time bucket NaN and threw (rows[NaN]).
  const chosen = spans.filter(
    (s) => kinds.has(s.kind) && Number.isFinite(s.startNs) && Number.isFinite(s.endNs - s.startNs),
  );
  const nx = Math.max(1, opts.timeBuckets ?? 24);
  const ny = LATENCY_EDGES_MS.length;
  const counts = Array.from({ length: ny }, () => new Array<number>(nx).fill(0));
  if (!chosen.length)
    return {
      timeBuckets: [],
      latencyBucketsMs: LATENCY_EDGES_MS,
      counts: counts.map(() => []),
      percentilesMs: { p50: 0, p90: 0, p99: 0 },
      byName: [],
    };
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of chosen) {
    t0 = Math.min(t0, s.startNs);
    t1 = Math.max(t1, s.startNs);
  }
  // Finite times can still be ~1.8e308 apart, past what a double holds: the range is then divided before subtracting.
  const width = Math.max(1, Number.isFinite(t1 - t0) ? (t1 - t0) / nx : t1 / nx - t0 / nx);
  const xOf = (ns: number) => {
    const d = ns - t0;
    return Math.min(nx - 1, Math.floor(Number.isFinite(d) ? d / width : (ns / 2 - t0 / 2) / (width / 2)));
  };
  const yOf = (ms: number) => {
    let y = 0;
    while (y + 1 < ny && ms >= LATENCY_EDGES_MS[y + 1]) y++;
    return y;
  };
  const durations = new Float64Array(chosen.length);
  let count = 0;
  const byName = new Map<string, number[][]>();
  for (const s of chosen) {
    const ms = (s.endNs - s.startNs) / 1e6;
    const x = xOf(s.startNs);
    counts[yOf(ms)][x]++;
    durations[count++] = ms;
    let rows = byName.get(s.name);
    if (!rows) byName.set(s.name, (rows = Array.from({ length: nx }, () => [])));
    rows[x].push(ms);
  }
  // Typed-array sorts are numeric and native: no comparator call per comparison (100k durations).
  const sorted = durations.sort();
  const names = [...byName.entries()]
    .map(([name, rows]) => ({ name, n: rows.reduce((k, r) => k + r.length, 0), rows }))
    .sort((a, b) => b.n - a.n)
    .slice(0, opts.maxNames ?? 20);
  return {
    timeBuckets: Array.from({ length: nx }, (_, i) => {
      const at = t0 + i * width;
      return Math.round(Number.isFinite(at) ? at : t0 + (i / 2) * width + (i / 2) * width);
    }),
    latencyBucketsMs: LATENCY_EDGES_MS,
    counts,
    percentilesMs: {
      p50: r3(percentile(sorted, 50)),
      p90: r3(percentile(sorted, 90)),
      p99: r3(percentile(sorted, 99)),
    },
    byName: names.map(({ name, rows }) => ({
      name,
      medianMs: rows.map((r) => (r.length ? r3(percentile(Float64Array.from(r).sort(), 50)) : null)),
    })),
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
