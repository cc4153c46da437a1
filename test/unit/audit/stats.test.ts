import assert from "node:assert/strict";
import { bootstrapDelta, percentile, prng, verdictOf } from "../../../daemon/audit/stats.js";

const ones = (inputs: number, n: number) => Array.from({ length: inputs }, () => Array(n).fill(1));

describe("audit stats", () => {
  it("gives a zero-width interval when variant and baseline always agree, and −100 when the variant always fails", () => {
    assert.deepEqual(bootstrapDelta(ones(3, 4), ones(3, 4)), { mean: 0, low: 0, high: 0 });
    const zeros = Array.from({ length: 3 }, () => Array(4).fill(0));
    assert.deepEqual(bootstrapDelta(ones(3, 4), zeros), { mean: -100, low: -100, high: -100 });
  });

  it("matches the binomial spread on known data: 40 inputs, the variant fails half of them", () => {
    // Per-input paired delta is 0 or −1 with p = 0.5: mean −50 pts, standard error 100·√(0.25/40) ≈ 7.9 pts,
    // so a 95% interval is about −50 ± 15.5.
    const variant = Array.from({ length: 40 }, (_, i) => [i % 2]);
    const d = bootstrapDelta(ones(40, 1), variant, { resamples: 4000, seed: 7 });
    assert.equal(d.mean, -50);
    assert.ok(d.low > -70 && d.low < -60, `low ${d.low}`);
    assert.ok(d.high > -40 && d.high < -30, `high ${d.high}`);
  });

  it("is reproducible for a seed and differs across seeds", () => {
    const v = Array.from({ length: 10 }, (_, i) => [i % 3 === 0 ? 0 : 1, 1]);
    assert.deepEqual(bootstrapDelta(ones(10, 2), v, { seed: 3 }), bootstrapDelta(ones(10, 2), v, { seed: 3 }));
    assert.notDeepEqual(bootstrapDelta(ones(10, 2), v, { seed: 3 }), bootstrapDelta(ones(10, 2), v, { seed: 4 }));
  });

  it("narrows with more inputs: the same 10% failure rate is inconclusive on 10 inputs, essential on 400", () => {
    const rate = (n: number) => Array.from({ length: n }, (_, i) => [i % 10 === 0 ? 0 : 1]);
    assert.equal(verdictOf(bootstrapDelta(ones(10, 1), rate(10)), 2), "inconclusive — needs more samples");
    assert.equal(verdictOf(bootstrapDelta(ones(400, 1), rate(400)), 2), "essential");
  });

  it("calls a section removable only when the whole interval's drop is under the tolerance", () => {
    assert.equal(verdictOf({ mean: 0, low: -1.9, high: 1 }, 2), "removable");
    assert.equal(verdictOf({ mean: 0, low: -2, high: 1 }, 2), "inconclusive — needs more samples");
    assert.equal(verdictOf({ mean: -10, low: -15, high: -2 }, 2), "essential");
    assert.equal(verdictOf({ mean: -3, low: -6, high: -1 }, 2), "inconclusive — needs more samples");
    assert.equal(verdictOf({ mean: NaN, low: NaN, high: NaN }, 2), "inconclusive — needs more samples");
  });

  it("ignores inputs that have no samples on one side", () => {
    const d = bootstrapDelta([[1], [1], []], [[1], [], [0]]);
    assert.deepEqual(d, { mean: 0, low: 0, high: 0 });
    assert.ok(Number.isNaN(bootstrapDelta([[]], [[]]).mean));
  });

  it("has a uniform-looking PRNG and a linear-interpolation percentile", () => {
    const r = prng(1);
    const xs = Array.from({ length: 10_000 }, () => r());
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(m - 0.5) < 0.02);
    assert.equal(percentile([1, 2, 3, 4, 5], 0.95), 4.8);
  });
});
