import assert from "node:assert/strict";
import {
  analyzeTrace,
  buildTree,
  criticalPath,
  findParallelism,
  findPrefixBreaks,
  findUnusedTools,
  latencyHeatmap,
} from "../../../daemon/traces/analysis/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { ns, span, toolSpan, TRACE_ID } from "../../fixtures/spans.js";

describe("traces/analysis on hand-built traces", () => {
  it("critical path of a sequential agent: every span on it, gaps labelled, byKind sums to the duration", () => {
    const root = span("agent", 0, 10_000);
    const l1 = span("llm", 0, 2000, { "hotpath.user_prompt": "hi" }, root.spanId);
    const t1 = toolSpan(2500, 4000, "Read", { file_path: "/a.ts" }, "x", root.spanId);
    const l2 = span("llm", 4000, 9000, {}, root.spanId);
    const cp = criticalPath(buildTree([root, l1, t1, l2]));
    assert.deepEqual(cp.spanIds, [l1.spanId, t1.spanId, l2.spanId]);
    assert.deepEqual(cp.byKind, { llm: 7000, gap: 1500, tool: 1500, human: 0, idle: 0, compaction: 0 });
    assert.equal(cp.durationMs, 10_000);
    const gaps = cp.segments.filter((s) => s.kind === "gap");
    assert.deepEqual(
      gaps.map((g) => g.label),
      ["client", "uninstrumented"],
    );
  });

  it("the wait before a call a person's message started is theirs only until the message was written", () => {
    const root = span("agent", 0, 10_000);
    const l1 = span("llm", 0, 2000, {}, root.spanId);
    // Written at 6000 ms, its request sent at 7000: idle 2000–6000, the agent's own work 6000–7000.
    const at = ns(6000);
    const l2 = span(
      "llm",
      7000,
      10_000,
      { "hotpath.user_prompt": "next", "hotpath.user_prompt.at_ns": at },
      root.spanId,
    );
    const cp = criticalPath(buildTree([root, l1, l2]));
    assert.deepEqual(
      cp.segments.map((s) => [s.kind, s.label, s.startNs, s.endNs]),
      [
        ["llm", undefined, ns(0), ns(2000)],
        ["idle", "user", ns(2000), at],
        ["gap", "client", at, ns(7000)],
        ["llm", undefined, ns(7000), ns(10_000)],
      ],
    );
    assert.deepEqual(cp.byKind, { llm: 5000, gap: 1000, tool: 0, human: 0, idle: 4000, compaction: 0 });
    // Written before the wait began (typed while the agent was still answering): none of the wait was the person's.
    const early = span(
      "llm",
      7000,
      10_000,
      { "hotpath.user_prompt": "next", "hotpath.user_prompt.at_ns": ns(1000) },
      root.spanId,
    );
    assert.equal(criticalPath(buildTree([root, l1, early])).byKind.idle, 0);
    // Without the attribute (any other source): the whole wait is the person's, as before.
    const plain = span("llm", 7000, 10_000, { "hotpath.user_prompt": "next" }, root.spanId);
    assert.equal(criticalPath(buildTree([root, l1, plain])).byKind.idle, 5000);
  });

  it("critical path through concurrent children takes the one that finished last", () => {
    const root = span("agent", 0, 5000);
    const a = span("tool", 0, 4000, {}, root.spanId);
    const b = span("tool", 0, 1000, {}, root.spanId);
    const c = span("llm", 4000, 5000, {}, root.spanId);
    const cp = criticalPath(buildTree([root, a, b, c]));
    assert.deepEqual(cp.spanIds, [a.spanId, c.spanId]);
    assert.ok(!cp.spanIds.includes(b.spanId));
  });

  it("groups independent sequential reads, with the projected latency of running them together", () => {
    const root = span("agent", 0, 20_000);
    const l1 = span("llm", 0, 1000, {}, root.spanId);
    const t1 = toolSpan(1000, 2000, "Bash", { command: "ls -la" }, "a.txt\nb.txt", root.spanId, {
      "hotpath.llm_span_id": l1.spanId,
    });
    const l2 = span("llm", 2000, 5000, {}, root.spanId);
    const t2 = toolSpan(5000, 8000, "Grep", { pattern: "foo" }, "src/x.ts:1:foo", root.spanId, {
      "hotpath.llm_span_id": l2.spanId,
    });
    const l3 = span("llm", 8000, 10_000, {}, root.spanId);
    const t3 = toolSpan(10_000, 12_000, "Bash", { command: "ls docs" }, "readme", root.spanId, {
      "hotpath.llm_span_id": l3.spanId,
    });
    const a = findParallelism(buildTree([root, l1, t1, l2, t2, l3, t3]));
    assert.equal(a.groups.length, 1);
    assert.deepEqual(a.groups[0].spanIds, [t1.spanId, t2.spanId, t3.spanId]);
    assert.equal(a.groups[0].recordedMs, 11_000);
    assert.equal(a.groups[0].projectedMs, 3000);
    assert.equal(a.projectedSavingMs, 8000);
    assert.deepEqual(a.mergeableLlmCalls[0].spanIds, [l1.spanId, l2.spanId, l3.spanId]);
  });

  it("does not group a call that uses a value from an earlier result", () => {
    const root = span("agent", 0, 20_000);
    const t1 = toolSpan(
      0,
      1000,
      "Bash",
      { command: "rg --files src" },
      "src/deep/module.ts\nsrc/other.ts",
      root.spanId,
    );
    const t2 = toolSpan(2000, 3000, "Read", { file_path: "src/deep/module.ts" }, "code", root.spanId);
    const a = findParallelism(buildTree([root, t1, t2]));
    assert.equal(a.groups.length, 0);
    assert.deepEqual(a.dependencies, [{ fromSpanId: t1.spanId, toSpanId: t2.spanId, value: "src/deep/module.ts" }]);
  });

  it("never groups writers, subagents or calls that already ran concurrently", () => {
    const root = span("agent", 0, 20_000);
    const r1 = toolSpan(0, 1000, "Read", { file_path: "/a.ts" }, "", root.spanId);
    const w = toolSpan(1500, 2000, "Edit", { file_path: "/a.ts" }, "ok", root.spanId);
    const r2 = toolSpan(2500, 3000, "Read", { file_path: "/b.ts" }, "", root.spanId);
    const p1 = toolSpan(4000, 6000, "Read", { file_path: "/c.ts" }, "", root.spanId);
    const p2 = toolSpan(4100, 5000, "Read", { file_path: "/d.ts" }, "", root.spanId);
    const a = findParallelism(buildTree([root, r1, w, r2, p1, p2]));
    assert.deepEqual(a.groups, []);
  });

  it("reports a batch issued together but executed one by one", () => {
    const root = span("agent", 0, 20_000);
    const l = span("llm", 0, 1000, {}, root.spanId);
    const t1 = toolSpan(1000, 2000, "Read", { file_path: "/a.ts" }, "", root.spanId, {
      "hotpath.llm_span_id": l.spanId,
    });
    const t2 = toolSpan(2000, 3000, "Read", { file_path: "/b.ts" }, "", root.spanId, {
      "hotpath.llm_span_id": l.spanId,
    });
    const [g] = findParallelism(buildTree([root, l, t1, t2])).groups;
    assert.match(g.reason, /issued together in one response but executed one by one/);
    assert.equal(g.projectedMs, 1000);
  });

  it("survives parent cycles, missing parents, self-parents and reversed times", () => {
    const a = span("agent", 0, 100, {}, "00000000000000bb", { spanId: "00000000000000aa" });
    const b = span("agent", 10, 90, {}, "00000000000000aa", { spanId: "00000000000000bb" });
    const self = span("tool", 20, 30, {}, "00000000000000cc", { spanId: "00000000000000cc" });
    const orphan = span("llm", 40, 50, {}, "ffffffffffffffff");
    const reversed = { ...span("tool", 60, 70), endNs: ns(10) };
    const tree = buildTree([a, b, self, orphan, reversed]);
    assert.equal(tree.cycleBreaks.length, 1);
    const r = analyzeTrace([a, b, self, orphan, reversed], TRACE_ID);
    assert.equal(r.spanCount, 5);
    assert.ok(r.durationMs > 0);
  });

  it("handles a 10,000-deep chain of nested spans without overflowing the stack", () => {
    const spans: Span[] = [];
    let parent: string | undefined;
    for (let i = 0; i < 10_000; i++) {
      const s = span("chain", i, 20_000 - i, {}, parent);
      spans.push(s);
      parent = s.spanId;
    }
    const r = analyzeTrace(spans, TRACE_ID);
    assert.equal(r.durationMs, 20_000);
  });

  it("folds one LLM call recorded by two instrumentations into one span (usage merged in)", () => {
    const root = span("agent", 0, 3000, {});
    const chain = span("chain", 0, 3000, {}, root.spanId);
    const lc = span(
      "llm",
      10,
      2990,
      { "gen_ai.request.model": "gpt-4o", "otel.scope.name": "langchain" },
      chain.spanId,
    );
    const oa = span(
      "llm",
      12,
      2985,
      { "gen_ai.request.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 100, "otel.scope.name": "openai" },
      root.spanId,
    );
    const tree = buildTree([root, chain, lc, oa]);
    assert.deepEqual([...tree.duplicates.entries()], [[oa.spanId, lc.spanId]]);
    assert.equal(tree.byId.get(lc.spanId)!.attributes["gen_ai.usage.input_tokens"], 100);
    // Two real concurrent calls (different response ids) stay two.
    const x = span("llm", 0, 1000, { "gen_ai.response.id": "r1" }, root.spanId);
    const y = span("llm", 0, 1000, { "gen_ai.response.id": "r2" }, root.spanId);
    assert.equal(buildTree([root, x, y]).duplicates.size, 0);
  });

  it("heatmap: counts by time and latency bucket, percentiles", () => {
    const spans = [span("llm", 0, 40), span("llm", 1000, 1600), span("tool", 2000, 2030), span("tool", 3000, 9000)];
    const h = latencyHeatmap(spans, { timeBuckets: 3 });
    assert.equal(
      h.counts.flat().reduce((a, b) => a + b, 0),
      4,
    );
    assert.equal(h.counts[0][0], 1); // 40 ms in [0, 50)
    assert.equal(h.counts[4][1], 1); // 600 ms in [500, 1000), middle third of the time range
    assert.equal(h.counts[7][2], 1); // 6 s in [5 s, 10 s), last third
    assert.deepEqual(h.percentilesMs, { p50: 40, p90: 6000, p99: 6000 });
    assert.equal(h.byName?.length, 2);
  });

  it("prefix breaks: text that diverges early is a cache breaker; an appended prompt is not", () => {
    const base = "SYSTEM: you are helpful. Tools: [...]. USER: fix the bug";
    const a = span("llm", 0, 100, { "input.value": base, "gen_ai.conversation.id": "c" });
    const b = span("llm", 200, 300, {
      "input.value": `${base} ASSISTANT: ok TOOL: done`,
      "gen_ai.conversation.id": "c",
    });
    const c = span("llm", 400, 500, {
      "input.value": `SYSTEM: date 2026-01-02 you are helpful. ${base}`,
      "gen_ai.conversation.id": "c",
    });
    const breaks = findPrefixBreaks([a, b, c]);
    assert.equal(breaks.length, 1);
    assert.equal(breaks[0].spanId, c.spanId);
    assert.equal(breaks[0].commonPrefix, "SYSTEM: ".length);
    assert.equal(breaks[0].unit, "chars");
  });

  it("prefix breaks from block hashes and from provider cache reads", () => {
    const blocks = (xs: number[]) => ({
      "hotpath.prefix.block_hashes": xs,
      "hotpath.prefix.block_tokens": 64,
      "gen_ai.conversation.id": "k",
    });
    const r = findPrefixBreaks([
      span("llm", 0, 1, blocks([1, 2, 3])),
      span("llm", 2, 3, blocks([1, 2, 3, 4])),
      span("llm", 4, 5, blocks([1, 9, 9, 9, 9])),
    ]);
    assert.equal(r.length, 1);
    assert.equal(r[0].commonPrefix, 64);
    const usage = (input: number, read: number) => ({
      "gen_ai.usage.input_tokens": input,
      "gen_ai.usage.cache_read.input_tokens": read,
      "gen_ai.conversation.id": "u",
    });
    const u = findPrefixBreaks([
      span("llm", 0, 1, usage(20_000, 0)),
      span("llm", 2, 3, usage(21_000, 19_900)),
      span("llm", 4, 5, usage(22_000, 3000)),
    ]);
    assert.equal(u.length, 1);
    assert.equal(u[0].commonPrefix, 3000);
  });

  it("unused tools: defined on every call, never called, with their token cost", () => {
    const defs = JSON.stringify([
      { name: "search", description: "web search", parameters: {} },
      { name: "send_email", description: "x".repeat(400), parameters: {} },
    ]);
    const spans = [
      span("llm", 0, 1, { "gen_ai.tool.definitions": defs }),
      span("tool", 1, 2, { "gen_ai.tool.name": "search" }),
      span("llm", 2, 3, { "gen_ai.tool.definitions": defs }),
    ];
    const u = findUnusedTools(spans);
    assert.equal(u.length, 1);
    assert.equal(u[0].name, "send_email");
    assert.equal(u[0].callsSentWith, 2);
    assert.ok(u[0].tokensPerCall > 100);
  });
});
