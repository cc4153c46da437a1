// recentSpans with a byte budget: what an event-loop caller (the audit's recorded use) parses stays bounded however
// large the recorded prompts are (fuzz: 1 MB prompts made each /hotpath/audit/sections parse hundreds of MB).
import assert from "node:assert/strict";
import { openDb } from "../../../daemon/db.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const span = (i: number, prompt: string): Span =>
  ({
    traceId: "cd".repeat(16),
    spanId: i.toString(16).padStart(16, "0"),
    name: "chat",
    kind: "llm",
    startNs: 1_000_000 + i,
    endNs: 1_000_001 + i,
    status: "ok",
    attributes: { "gen_ai.prompt": prompt },
  }) as Span;

describe("traces: recentSpans with an attribute byte budget", function () {
  it("stops before the budget, newest first, always returns the newest, and without a budget returns all", function () {
    const store = new TraceStore(openDb(":memory:"));
    // 10 spans of ~100 kB, then 5 small ones (the newest).
    store.writeSpans(
      Array.from({ length: 10 }, (_, i) => span(i, "p".repeat(100_000))),
      "daemon",
    );
    store.writeSpans(
      Array.from({ length: 5 }, (_, i) => span(10 + i, "small")),
      "daemon",
    );
    assert.equal(store.recentSpans({ kind: "llm", limit: 100 }).length, 15);
    const bounded = store.recentSpans({ kind: "llm", limit: 100, maxAttributeBytes: 350_000 });
    assert.deepEqual(
      bounded.map((s) => s.startNs),
      [1_000_014, 1_000_013, 1_000_012, 1_000_011, 1_000_010, 1_000_009, 1_000_008, 1_000_007],
    );
    const one = store.recentSpans({ kind: "llm", limit: 100, maxAttributeBytes: 1 });
    assert.equal(one.length, 1);
    assert.equal(store.recentSpans({ kind: "llm", limit: 3, maxAttributeBytes: 1e9 }).length, 3);
  });
});
