// A span whose times are not finite numbers must not break the analysis (issue #15): the latency heatmap indexed the
// time bucket of a NaN start (rows[NaN].push threw), and a kv-cache-tester file with `t: 1e300` seconds gave spans
// Infinity and NaN times (a span starting at the previous one's Infinity end). Importers refuse such times; the
// heatmap leaves out a span without a finite start or end, and places every finite one, however far apart.
import assert from "node:assert/strict";
import { latencyHeatmap, LATENCY_EDGES_MS } from "../../../daemon/traces/analysis/heatmap.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { ImportError, parseTraceFile } from "../../../daemon/traces/importers/index.js";
import { refuseNonFiniteTimes } from "../../../daemon/traces/importers/format.js";
import type { Span, SpanKind } from "../../../daemon/traces/span.js";

const TRACE = "0123456789abcdef0123456789abcdef";
const KINDS: SpanKind[] = ["llm", "tool", "retriever", "embedding", "agent"];

/** Seeded spans: most with ordinary times, some with NaN, ±Infinity, negative or huge starts and ends. */
function generated(seed: number, n: number): Span[] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const odd = [NaN, Infinity, -Infinity, -5e12, 0, 1.7e308, -1.7e308, Number.MAX_VALUE];
  return Array.from({ length: n }, (_, i) => {
    const start = rand() < 0.2 ? odd[Math.floor(rand() * odd.length)] : 1.7e18 + Math.floor(rand() * 6e11);
    const end = rand() < 0.1 ? odd[Math.floor(rand() * odd.length)] : start + Math.floor(rand() * 3e10);
    return {
      traceId: TRACE,
      spanId: (i + 1).toString(16).padStart(16, "0"),
      name: `step ${i % 5}`,
      kind: KINDS[Math.floor(rand() * KINDS.length)],
      startNs: start,
      endNs: end,
      status: "ok",
      attributes: {},
    };
  });
}

const placed = (s: Span) => s.kind !== "agent" && Number.isFinite(s.startNs) && Number.isFinite(s.endNs - s.startNs);

describe("latency heatmap: spans without finite times", () => {
  it("leaves out spans without a finite start or duration (NaN, ±Infinity), and counts every other one once", () => {
    let withOdd = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const spans = generated(seed, 60);
      if (spans.some((s) => !placed(s) && s.kind !== "agent")) withOdd++;
      const h = latencyHeatmap(spans, { timeBuckets: 8 });
      const counted = spans.filter(placed);
      assert.equal(
        h.counts.flat().reduce((a, b) => a + b, 0),
        counted.length,
        `seed ${seed}`,
      );
      for (const row of h.counts) {
        assert.equal(row.length, counted.length ? 8 : 0, `seed ${seed}: one cell per time bucket`);
        assert.deepEqual(
          Object.keys(row),
          Object.keys(row).filter((k) => /^\d+$/.test(k)),
          "no NaN cell",
        );
      }
      assert.ok(h.timeBuckets.every(Number.isFinite), `seed ${seed}: time buckets ${h.timeBuckets}`);
      for (const p of Object.values(h.percentilesMs)) assert.ok(Number.isFinite(p), `seed ${seed}: percentile ${p}`);
      // The same as the heatmap of the placeable spans alone.
      assert.deepEqual(h, latencyHeatmap(counted, { timeBuckets: 8 }), `seed ${seed}`);
      assert.doesNotThrow(() => analyzeTrace(spans, TRACE), `seed ${seed}`);
    }
    assert.ok(withOdd >= 30, `most seeds hold a span with odd times (${withOdd})`);
  });

  it("places negative and ~1.8e308-apart finite starts (the range is wider than a double's difference)", () => {
    const at = (startNs: number, ms: number, i: number): Span => ({
      traceId: TRACE,
      spanId: String(i).padStart(16, "0"),
      name: "llm",
      kind: "llm",
      startNs,
      endNs: startNs + ms * 1e6,
      status: "ok",
      attributes: {},
    });
    const spans = [at(-1.7e308, 0, 1), at(-5e12, 600, 2), at(1e308, 0, 3), at(1.7e308, 0, 4)];
    const h = latencyHeatmap(spans, { timeBuckets: 4 });
    const perColumn = [0, 1, 2, 3].map((x) => h.counts.reduce((n, row) => n + row[x], 0));
    // Buckets of 8.5e307 ns from -1.7e308: -5e12 starts the third, 1e308 (2.7e308 past the first, more than a double
    // holds) and 1.7e308 are in the last.
    assert.deepEqual(perColumn, [1, 0, 1, 2]);
    assert.equal(h.counts[LATENCY_EDGES_MS.indexOf(500)][2], 1); // the 600 ms span
    assert.ok(h.timeBuckets.every(Number.isFinite), `time buckets ${h.timeBuckets}`);
    assert.deepEqual(h.timeBuckets.slice(0, 3), [-1.7e308, -8.5e307, 0]);
    assert.ok(Math.abs(h.timeBuckets[3] - 8.5e307) < 1e293);
  });
});

describe("trace import: times that do not convert to finite nanoseconds are refused", () => {
  const conversation = (t: number) =>
    JSON.stringify({
      id: "c1",
      block_size: 64,
      requests: [
        { t: 0, type: "n", model: "m", in: 10, out: 2, api_time: 1 },
        { t, type: "n", model: "m", in: 10, out: 2, api_time: 1, think_time: 0.5, input_types: ["tool_result"] },
      ],
    });

  it("kv-cache-tester: a time past 10^9 seconds is refused, naming the field; one within imports", () => {
    assert.throws(
      () => parseTraceFile("trace.json", conversation(1e300)),
      (e: unknown) =>
        e instanceof ImportError && e.field === "requests[1].t" && /at most 1000000000 seconds/.test(e.message),
    );
    const { traces } = parseTraceFile("trace.json", conversation(1e9));
    assert.ok(traces[0].spans.every((s) => Number.isFinite(s.startNs) && Number.isFinite(s.endNs)));
    assert.doesNotThrow(() => analyzeTrace(traces[0].spans));
  });

  it("any format: a span with a NaN or infinite time refuses the file", () => {
    const span = (startNs: number, endNs: number): Span => ({
      traceId: TRACE,
      spanId: "0000000000000001",
      name: "chat m",
      kind: "llm",
      startNs,
      endNs,
      status: "ok",
      attributes: {},
    });
    for (const [start, end] of [
      [NaN, 1],
      [1, Infinity],
      [-Infinity, 1],
    ])
      assert.throws(
        () => refuseNonFiniteTimes([{ spans: [span(1, 2), span(start, end)], source: "import:x", origin: "f" }], "f"),
        (e: unknown) => e instanceof ImportError && /finite nanoseconds/.test(e.message) && /"chat m"/.test(e.message),
      );
    assert.doesNotThrow(() =>
      refuseNonFiniteTimes([{ spans: [span(-5, 2), span(0, 0)], source: "import:x", origin: "f" }], "f"),
    );
  });
});
