// The serving dashboard's window, read in SQL from the spans the daemon served: the same numbers the spans hold,
// imported spans and non-numeric values left out.
import assert from "node:assert/strict";
import { openDb } from "../../../daemon/db.js";
import type { Span } from "../../../daemon/traces/span.js";
import { servingWindow } from "../../../daemon/traces/serving-window.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const now = Date.parse("2026-12-01T12:00:00Z");
const served = (i: number, attributes: Record<string, unknown>, status: Span["status"] = "ok"): Span => ({
  traceId: `${i}`.padStart(32, "0"),
  spanId: `${i}`.padStart(16, "0"),
  name: "chat",
  kind: "llm",
  startNs: (now - 60_000 + i) * 1e6,
  endNs: (now - 60_000 + i + 10) * 1e6,
  status,
  requestId: `req_${i}`,
  attributes: attributes as Span["attributes"],
});

describe("serving window (/hotpath/stats)", () => {
  it("sums and takes percentiles of the served spans' values, in the window only", () => {
    const traces = new TraceStore(openDb(":memory:"));
    traces.writeSpans(
      [
        served(1, {
          "hotpath.timings.ttft_ms": 10,
          "hotpath.timings.predicted_per_second": 50,
          "gen_ai.usage.input_tokens": 100,
          "gen_ai.usage.cache_read.input_tokens": 40,
          "gen_ai.usage.output_tokens": 7,
          "hotpath.cost.usd": 0.5,
          "hotpath.cache.verdict": "hit",
          "gen_ai.input.messages": "x".repeat(100_000),
        }),
        served(2, { "hotpath.timings.ttft_ms": 30, "gen_ai.usage.input_tokens": 100, "hotpath.cache.verdict": "miss" }),
        served(3, { "hotpath.timings.ttft_ms": "fast", "gen_ai.usage.output_tokens": 3 }, "error"),
        { ...served(4, { "gen_ai.usage.input_tokens": 1000 }), requestId: undefined }, // imported, not served
        { ...served(5, { "gen_ai.usage.input_tokens": 1000 }), startNs: (now - 7_200_000) * 1e6 }, // before the window
      ],
      "test",
    );
    const w = servingWindow(traces, 3600, now);
    assert.deepEqual(w, {
      windowS: 3600,
      requests: 3,
      errors: 1,
      ttftMs: { p50: 10, p95: 30 },
      decodeTokensPerSecond: { p50: 50 },
      promptTokens: 200,
      cachedPromptTokens: 40,
      prefixReuse: 0.2,
      completionTokens: 10,
      cacheHits: 1,
      costUsd: 0.5,
    });
  });

  it("reads a served span's numbers without its recorded prompt; rows written before the serving column still count", () => {
    const db = openDb(":memory:");
    const traces = new TraceStore(db);
    const prompt = "p".repeat(500_000);
    traces.writeSpans(
      [
        served(1, {
          "hotpath.timings.ttft_ms": 12,
          "gen_ai.input.messages": prompt,
          "hotpath.cache.verdict": "hit",
          // Short, but not read by the window: not kept apart (each request's commit writes fewer bytes).
          "hotpath.route": "local:chat",
        }),
        served(2, { "hotpath.timings.ttft_ms": 20, "gen_ai.usage.input_tokens": 5 }),
      ],
      "test",
    );
    const serving = db.prepare("SELECT serving FROM spans WHERE request_id = 'req_1'").pluck().get() as string;
    assert.deepEqual(JSON.parse(serving), { "hotpath.timings.ttft_ms": 12, "hotpath.cache.verdict": "hit" });
    // As a row stored before the migration: no serving values, so the window falls back to its attributes.
    db.prepare("UPDATE spans SET serving = NULL WHERE request_id = 'req_2'").run();
    const w = servingWindow(traces, 3600, now);
    assert.deepEqual([w.requests, w.ttftMs, w.promptTokens, w.cacheHits], [2, { p50: 12, p95: 20 }, 5, 1]);
  });
});
