// Quality deltas with bootstrap confidence intervals, and the verdict they support.
// Scores are in [0, 1] per sample; deltas are reported in percentage points (variant − baseline).

import type { AuditVerdict } from "../api.js";

export type Verdict = AuditVerdict;

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/** Deterministic PRNG (mulberry32), so a report is reproducible from its samples. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Paired by test input, two-level bootstrap: resample inputs, then within each drawn input resample the baseline's
 * and the variant's samples. `baseline[i]` and `variant[i]` are the scores of input i. Returns percentage points.
 */
export function bootstrapDelta(
  baseline: number[][],
  variant: number[][],
  opts: { resamples?: number; confidence?: number; seed?: number } = {},
): Interval {
  const inputs = baseline.map((b, i) => ({ b, v: variant[i] ?? [] })).filter((p) => p.b.length && p.v.length);
  if (!inputs.length) return { mean: NaN, low: NaN, high: NaN };
  const point = mean(inputs.map((p) => mean(p.v) - mean(p.b))) * 100;
  const resamples = opts.resamples ?? 2000;
  const alpha = 1 - (opts.confidence ?? 0.95);
  const rand = prng(opts.seed ?? 1);
  const draw = (xs: number[]) => {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += xs[Math.floor(rand() * xs.length)];
    return s / xs.length;
  };
  const stats: number[] = new Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let k = 0; k < inputs.length; k++) {
      const p = inputs[Math.floor(rand() * inputs.length)];
      s += draw(p.v) - draw(p.b);
    }
    stats[r] = (s / inputs.length) * 100;
  }
  stats.sort((a, b) => a - b);
  return { mean: point, low: quantile(stats, alpha / 2), high: quantile(stats, 1 - alpha / 2) };
}

/**
 * "removable" only when even the pessimistic end of the interval loses less than `tolerance` points;
 * "essential" when even the optimistic end loses at least that much; otherwise more samples are needed.
 */
export function verdictOf(delta: Interval, tolerancePts: number): Verdict {
  if (Number.isNaN(delta.low)) return "inconclusive — needs more samples";
  const worstDrop = -delta.low;
  const bestDrop = -delta.high;
  if (worstDrop < tolerancePts) return "removable";
  if (bestDrop >= tolerancePts) return "essential";
  return "inconclusive — needs more samples";
}

export function percentile(values: number[], q: number): number {
  if (!values.length) return NaN;
  return quantile(
    [...values].sort((a, b) => a - b),
    q,
  );
}

export function median(values: number[]): number {
  return percentile(values, 0.5);
}
