// The analysis rules of issue #13 on hand-built spans: parallel group confidence, groups that save nothing, hotspots
// with repeats folded, duplicates only for the same content, and the text a person reads.
import assert from "node:assert/strict";
import { distinguishingParts, renderAnalysis } from "../../../daemon/cli/analysis-text.js";
import { analyzeTrace, buildTree, findParallelism } from "../../../daemon/traces/analysis/index.js";
import { humanDuration } from "../../../daemon/traces/analysis/duration.js";
import { commandHead } from "../../../daemon/traces/analysis/hotspots.js";
import type { Span } from "../../../daemon/traces/span.js";
import { span, toolSpan, TRACE_ID } from "../../fixtures/spans.js";

describe("traces/analysis rules: parallel groups", () => {
  it("independent lookups: projectedSavingMs counts them; nothing speculative", () => {
    const root = span("agent", 0, 10_000);
    const a = toolSpan(0, 1000, "Read", { file_path: "/r/a.ts" }, "const a = 1", root.spanId);
    const b = toolSpan(3000, 4000, "Read", { file_path: "/r/b.ts" }, "const b = 2", root.spanId);
    const r = findParallelism(buildTree([root, a, b]));
    assert.equal(r.groups.length, 1);
    assert.equal(r.groups[0].confidence, "independent");
    assert.equal(r.projectedSavingMs, 3000);
    assert.equal(r.speculativeSavingMs, 0);
  });

  for (const [what, first] of [
    [
      "came back empty (nothing found)",
      (p: string) => toolSpan(0, 1000, "Grep", { pattern: "fooBar" }, "No files found", p),
    ],
    [
      "failed",
      (p: string) => ({
        ...toolSpan(0, 1000, "Bash", { command: "rg -n fooBar src" }, "", p, { "process.exit.code": 1 }),
      }),
    ],
    [
      "was denied",
      (p: string) =>
        toolSpan(0, 1000, "Read", { file_path: "/etc/shadow" }, "Permission denied", p, {
          "hotpath.tool.denied": true,
        }),
    ],
  ] as const) {
    it(`a search issued after an earlier one ${what} is speculative, and its saving is kept apart`, () => {
      const root = span("agent", 0, 10_000);
      const x = first(root.spanId);
      const y = toolSpan(3000, 4000, "Grep", { pattern: "foo_bar" }, "src/a.ts:3: foo_bar", root.spanId);
      const r = findParallelism(buildTree([root, x, y]));
      assert.equal(r.groups.length, 1);
      assert.equal(r.groups[0].confidence, "speculative");
      assert.match(r.groups[0].reason, /came back|follow-up/);
      assert.equal(r.projectedSavingMs, 0);
      assert.equal(r.speculativeSavingMs, 3000);
    });
  }

  it("calls without recorded arguments are never grouped as readers; an unrecorded result is never independent", () => {
    const root = span("agent", 0, 30_000);
    const calls = [0, 2000, 4000, 6000].map((t) => toolSpan(t, t + 1000, "get_status", undefined, "ok", root.spanId));
    assert.deepEqual(findParallelism(buildTree([root, ...calls])).groups, []);
    const w1 = toolSpan(10_000, 11_000, "web_search", { query: "a" }, "", root.spanId, {
      "hotpath.result_unrecorded": true,
    });
    const w2 = toolSpan(13_000, 14_000, "web_search", { query: "b" }, "", root.spanId, {
      "hotpath.result_unrecorded": true,
    });
    const g = findParallelism(buildTree([root, w1, w2])).groups;
    assert.equal(g.length, 1);
    assert.equal(g[0].confidence, "speculative");
  });

  it("calls that already overlapped or returned at once form no group; a person's wait is a barrier", () => {
    const root = span("agent", 0, 30_000);
    const a = toolSpan(1000, 1000, "Read", { file_path: "/r/a.ts" }, "x", root.spanId);
    const b = toolSpan(1000, 1000, "Read", { file_path: "/r/b.ts" }, "y", root.spanId);
    assert.deepEqual(findParallelism(buildTree([root, a, b])).groups, []);
    const c = toolSpan(2000, 3000, "Read", { file_path: "/r/c.ts" }, "x", root.spanId);
    const ask = toolSpan(3000, 60_000, "AskUserQuestion", { questions: [] }, "answered", root.spanId);
    const d = toolSpan(61_000, 62_000, "Read", { file_path: "/r/d.ts" }, "y", root.spanId);
    assert.deepEqual(findParallelism(buildTree([root, c, ask, d])).groups, []);
  });
});

describe("traces/analysis rules: hotspots", () => {
  it("repeats of one command fold together (git commit ×3) and lead; idle time is no hotspot", () => {
    const root = span("agent", 0, 1_000_000);
    const spans: Span[] = [root];
    const commits = [0, 300_000, 600_000].map((t) =>
      toolSpan(t + 10_000, t + 190_000, "Bash", { command: `git commit -m "step ${t}"` }, "hooks passed", root.spanId),
    );
    spans.push(...commits);
    spans.push(span("llm", 190_000, 200_000, { "gen_ai.request.model": "m" }, root.spanId, { name: "chat m" }));
    spans.push(
      span("llm", 900_000, 1_000_000, { "gen_ai.request.model": "m", "hotpath.user_prompt": "next" }, root.spanId, {
        name: "chat m",
      }),
    );
    const a = analyzeTrace(spans, TRACE_ID);
    const top = a.hotspots[0];
    assert.equal(top.name, "git commit");
    assert.equal(top.kind, "tool");
    assert.equal(top.durationMs, 540_000);
    assert.equal(top.spanIds.length, 3);
    assert.ok(Math.abs(top.share - 0.54) < 1e-9);
    assert.match(top.why, /^git commit ×3, 9 min \(54% of the critical path\)/);
    assert.ok(a.hotspots.every((h) => h.kind !== "idle"));
    assert.ok(a.criticalPath.byKind.idle > 0);
    assert.equal(
      renderAnalysis(a, spans)
        .split("\n")
        .find((l) => l.includes("×3"))
        ?.includes("git commit"),
      true,
    );
    assert.ok(renderAnalysis(a, spans).indexOf("hotspots") < renderAnalysis(a, spans).indexOf("parallelizable"));
  });

  it("command heads: program and subcommand after cd, env and wrappers", () => {
    assert.equal(commandHead("cd /repo && git commit -m x"), "git commit");
    assert.equal(commandHead("FOO=1 timeout 60 npm test -- --grep x"), "npm test");
    assert.equal(commandHead("/usr/bin/python3 script.py"), "python3");
    assert.equal(commandHead("ls -la"), "ls");
  });
});

describe("traces/analysis rules: duplicates and text", () => {
  it("three overlapping requests with different prompts are three calls; the same request recorded twice is one", () => {
    const root = span("agent", 0, 10_000);
    const reqs = [
      [1, 2, 3],
      [1, 2, 4],
      [1, 5, 6],
    ].map((h, i) =>
      span(
        "llm",
        i * 10,
        5000 + i * 10,
        { "gen_ai.request.model": "m", "hotpath.prefix.block_hashes": h, "gen_ai.usage.input_tokens": 192 },
        root.spanId,
      ),
    );
    assert.equal(buildTree([root, ...reqs]).duplicates.size, 0);
    const same = [0, 1].map((i) =>
      span(
        "llm",
        i * 10,
        5000,
        { "gen_ai.request.model": "m", "input.value": "hello", "gen_ai.usage.input_tokens": 5 },
        root.spanId,
      ),
    );
    assert.equal(buildTree([root, ...same]).duplicates.size, 1);
    const twoCalls = [0, 1].map((i) => span("llm", i * 10, 5000, { "gen_ai.request.model": "m" }, root.spanId));
    assert.equal(buildTree([root, ...twoCalls]).duplicates.size, 0, "siblings without recorded sameness are two calls");
  });

  it("durations read as a person says them", () => {
    assert.equal(humanDuration(340), "340 ms");
    assert.equal(humanDuration(12_340), "12 s");
    assert.equal(humanDuration(4_980), "5.0 s");
    assert.equal(humanDuration(192_000), "3 min 12 s");
    assert.equal(humanDuration(4_980_000), "1 h 23 min");
  });

  it("each call of a group shows what tells it apart, not a 100-character prefix", () => {
    const long = "cd /Users/someone/projects/a-very-long-repository-name/with/nested/dirs && ";
    const parts = distinguishingParts([
      JSON.stringify({ command: `${long}rg -n createServer src`, description: "Find the server" }),
      JSON.stringify({ command: `${long}rg -n listen lib`, description: "Find listen calls" }),
    ]);
    assert.deepEqual(parts, ["…rg -n createServer src", "…rg -n listen lib"]);
  });
});
