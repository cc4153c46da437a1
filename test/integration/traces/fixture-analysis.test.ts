// Analysis against the fixtures' documented ground truth (each SOURCE.md), through the real CLI modules and SQLite.
import assert from "node:assert/strict";
import { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceAnalysis } from "../../../daemon/api.js";
import { register as registerAnalyze } from "../../../daemon/cli/analyze.js";
import { register as registerExport } from "../../../daemon/cli/export.js";
import { register as registerImport } from "../../../daemon/cli/import.js";
import { dataPaths } from "../../../daemon/config.js";
import { openDb } from "../../../daemon/db.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { importPath } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { skipWithoutFixture, traceFixture } from "../../support/trace-fixtures.js";

/** Runs `hotpath <args>` through the real subcommand modules, capturing stdout/stderr. */
async function hotpath(dataDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command().name("hotpath").option("--data-dir <dir>").exitOverride();
  registerImport(program);
  registerAnalyze(program);
  registerExport(program);
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(["node", "hotpath", "--data-dir", dataDir, ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, code };
}

/** A fixture's first trace, imported into a fresh in-memory store: its spans and id. Without the fixture, a skip. */
function fixtureTrace(test: Mocha.Context, ...path: string[]): { spans: Span[]; traceId: string } {
  const file = traceFixture(...path);
  skipWithoutFixture(test, file, path.join("/"));
  const db = openDb(":memory:");
  try {
    const store = new TraceStore(db);
    const traceId = importPath(store, file)[0].traceIds[0];
    return { spans: store.getSpans(traceId), traceId };
  } finally {
    db.close();
  }
}

const args = (s: Span) => String(s.attributes["gen_ai.tool.call.arguments"] ?? "");
const callId = (s: Span) => String(s.attributes["gen_ai.tool.call.id"] ?? "");

describe("traces/analysis on the fixtures' ground truth", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-traces-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("ACCEPTANCE: `hotpath analyze` on the Claude Code fixture lists the six sequential lookups as one group, no dependent pair", async function () {
    const file = traceFixture("claude-code", "incremental-subagents", "turn-2.jsonl");
    skipWithoutFixture(this, file, "claude-code/incremental-subagents/turn-2.jsonl");
    const imported = await hotpath(dir, "import", file);
    assert.equal(imported.code, 0, imported.stderr);
    const ids = imported.stdout.trim().split("\n");
    assert.equal(ids.length, 1);
    assert.match(ids[0], /^[0-9a-f]{32}$/);
    const res = await hotpath(dir, "analyze", ids[0], "--json");
    assert.equal(res.code, 0, res.stderr);
    const a = JSON.parse(res.stdout) as TraceAnalysis;
    const six = ["wYR5jwSQ", "ntN3HdAH", "HkGPEYMy", "pEKt1wPR", "g4LGZS36", "fUKZW7rz"];
    const group = a.parallelGroups.find((g) => g.toolCallIds.some((id) => id.endsWith("wYR5jwSQ")));
    assert.ok(group, "the six lookups form a group");
    assert.deepEqual(
      group.toolCallIds.map((id) => id.slice(-8)),
      six,
    );
    assert.ok(group.projectedMs < group.recordedMs, "with a projected saving");
    assert.equal(group.confidence, "independent", "none of the six came back empty, failed or was refused");
    assert.ok(a.projectedSavingMs >= group.recordedMs - group.projectedMs);
    // No dependent pair in any group: the already-parallel batch and the dependent reads stay out.
    const db = openDb(dataPaths(dir).db);
    const spans = new Map(new TraceStore(db).getSpans(ids[0]).map((s) => [s.spanId, s]));
    db.close();
    const deps = new Set((a.dependencies ?? []).map((d) => `${d.fromSpanId}>${d.toSpanId}`));
    for (const g of a.parallelGroups) {
      for (let i = 0; i < g.spanIds.length; i++)
        for (let j = i + 1; j < g.spanIds.length; j++)
          assert.ok(!deps.has(`${g.spanIds[i]}>${g.spanIds[j]}`), "dependent pair listed");
    }
    const grouped = new Set(a.parallelGroups.flatMap((g) => g.toolCallIds.map((id) => id.slice(-8))));
    for (const batchMember of [
      "7LuFarxvCgsr4H6z7RyadX",
      "KaaoBdK7zoLTPheiYo7HHy",
      "4pTP4CQxJMS",
      "Wf6U5czWE9aYw3HdXLHAXC",
    ])
      assert.ok(!grouped.has(batchMember.slice(-8)));
    // The model round-trips between the six could have been one.
    assert.ok(a.mergeableLlmCalls?.some((m) => m.spanIds.length === 6));
    // Human-readable form says the same.
    const text = await hotpath(dir, "analyze", ids[0].slice(0, 10));
    assert.match(text.stdout, /parallelizable tool calls: \d+ independent group/);
    assert.match(text.stdout, /find _bmad-output/);
    void spans;
  });

  it("Claude Code session: cat → ls independent (a group), tail uses the ls result (dependent)", function () {
    const { spans, traceId } = fixtureTrace(this, "claude-code", "session-3fe1b6bc.jsonl");
    const a = analyzeTrace(spans, traceId);
    const bySuffix = (s: string) => spans.find((x) => callId(x).endsWith(s))!;
    const cat = bySuffix("Lv1Qw5Zh");
    const ls = bySuffix("gN5XenNt");
    const tail = bySuffix("deuphtxg");
    assert.ok(a.parallelGroups.some((g) => g.spanIds.includes(cat.spanId) && g.spanIds.includes(ls.spanId)));
    assert.ok(!a.parallelGroups.some((g) => g.spanIds.includes(tail.spanId) && g.spanIds.includes(ls.spanId)));
    assert.ok(
      a.dependencies?.some(
        (d) => d.fromSpanId === ls.spanId && d.toSpanId === tail.spanId && d.value === "codex-tui.log",
      ),
    );
    // Already-parallel batches are not reported again.
    for (const msg of ["k7jziJ", "J6LwQS"]) {
      const llm = spans.find((s) => s.kind === "llm" && String(s.attributes["gen_ai.response.id"]).endsWith(msg))!;
      const calls = llm.attributes["hotpath.tool_call_ids"] as string[];
      assert.ok(calls.length >= 3);
      assert.ok(!a.parallelGroups.some((g) => g.toolCallIds.some((id) => calls.includes(id))));
    }
  });

  it("Codex: idx 84–86 already parallel (not reported), idx 120 depends on idx 104", function () {
    const { spans, traceId } = fixtureTrace(this, "codex");
    const a = analyzeTrace(spans, traceId);
    const byCall = (id: string) => spans.find((s) => callId(s) === id)!;
    const parallel = [
      "call_tEKBzPe1jQzm7uzRjC6z8V8D",
      "call_Gk9HbsMiQ3a7arcGh3Mx4HUO",
      "call_Wm7rsGZgR4Voyrq8pFxiV7kT",
    ].map(byCall);
    // They overlap in time (one batch run concurrently) …
    assert.ok(parallel[1].startNs < parallel[0].endNs && parallel[2].startNs < parallel[0].endNs);
    // … so no group claims them.
    assert.ok(!a.parallelGroups.some((g) => parallel.some((p) => g.spanIds.includes(p.spanId))));
    const idx104 = byCall("call_8cSuun9RoKxeeuY0J7pULTFe");
    const idx120 = byCall("call_4pWfq1oNudq0ywkjgjSTjJ3t");
    assert.match(args(idx104), /rg --files/);
    assert.match(args(idx120), /opencode\.plugin\.ts/);
    assert.ok(a.dependencies?.some((d) => d.fromSpanId === idx104.spanId && d.toSpanId === idx120.spanId));
    assert.ok(!a.parallelGroups.some((g) => g.spanIds.includes(idx120.spanId) && g.spanIds.includes(idx104.spanId)));
  });

  it("OpenInference LangChain agent: duplicate LLM recordings folded, dependent tools not grouped, the 29.8 s answer dominates", function () {
    const { spans, traceId } = fixtureTrace(this, "otlp-openinference", "quo_tav_agent.json");
    const a = analyzeTrace(spans, traceId);
    assert.equal(a.duplicateSpanIds?.length, 3, "each LLM call is recorded by LangChain and the OpenAI instrumentor");
    assert.equal(a.parallelGroups.length, 0, "tavily_extract consumes tavily_search's URLs");
    assert.ok((a.criticalPath.byKind.llm ?? 0) > 29_000);
    assert.ok(Math.abs(a.durationMs - 37_000) < 500);
  });

  it("OpenAI Agents: a strictly sequential chain, no parallelizable pair; OTel dump shows the 13.6 s uninstrumented setup", function () {
    const sdk = fixtureTrace(this, "openai-agents", "logs", "traces_2025-06-29_00-23-37.json");
    const otel = fixtureTrace(this, "openai-agents", "logs", "otel_traces_2025-06-29_00-23-24.json");
    const a = analyzeTrace(sdk.spans);
    assert.equal(a.parallelGroups.length, 0);
    assert.equal(a.criticalPath.spanIds.length, 3, "the three response spans, one after another");
    const b = analyzeTrace(otel.spans);
    assert.ok(Math.abs((b.criticalPath.byKind.gap ?? 0) - 13_594) < 50);
    assert.equal(b.parallelGroups.length, 0);
  });

  it("time owners on real sessions: Claude Code's 55 min before the first typed command and Codex's wait between turns are idle", function () {
    const claude = fixtureTrace(this, "claude-code", "session-3fe1b6bc.jsonl");
    const codex = fixtureTrace(this, "codex");
    const sum = (a: TraceAnalysis) => Object.values(a.criticalPath.byKind).reduce((x, y) => x + y, 0);
    const c = analyzeTrace(claude.spans);
    assert.ok(Math.abs(sum(c) - c.criticalPath.durationMs) < 1e-6);
    // /clear at 14:21:21, the next typed command at 15:16:50: the person, not uninstrumented work.
    const first = c.criticalPath.segments![0];
    assert.equal(first.kind, "idle");
    assert.ok((first.endNs - first.startNs) / 1e9 > 55 * 60 - 60);
    assert.equal(c.criticalPath.byKind.gap, 0);
    const x = analyzeTrace(codex.spans);
    assert.ok(Math.abs(sum(x) - x.criticalPath.durationMs) < 1e-6);
    // task_complete 08:27:32.911 → the next user message 08:32:57.477: 5 min 24.6 s nobody worked.
    assert.ok(Math.abs(x.criticalPath.byKind.idle - 324_566) < 100, String(x.criticalPath.byKind.idle));
  });

  it("real follow-ups are speculative: the `ls` issued after `cat … | grep` found nothing (Claude Code), a command after an unrecorded web search (Codex)", function () {
    const claude = fixtureTrace(this, "claude-code", "session-3fe1b6bc.jsonl");
    const codex = fixtureTrace(this, "codex");
    const c = analyzeTrace(claude.spans);
    const catLs = c.parallelGroups.find((g) => g.toolCallIds.some((id) => id.endsWith("Lv1Qw5Zh")))!;
    assert.equal(catLs.confidence, "speculative");
    assert.match(catLs.reason, /came back empty/);
    assert.ok(c.speculativeSavingMs >= catLs.recordedMs - catLs.projectedMs);
    const independent = c.parallelGroups.filter((g) => g.confidence === "independent");
    assert.equal(
      c.projectedSavingMs,
      Math.round(independent.reduce((n, g) => n + g.recordedMs - g.projectedMs, 0) * 1000) / 1000,
    );
    const x = analyzeTrace(codex.spans);
    for (const g of x.parallelGroups.filter((g) => g.toolCallIds.some((id) => id.startsWith("web_search"))))
      assert.equal(g.confidence, "speculative");
  });

  it("a subagent's batch of 4 Read + 1 Grep in one response runs after the response streamed: already parallel, no group", function () {
    const { spans } = fixtureTrace(this, "claude-code", "incremental-subagents", "turn-2.jsonl");
    const llm = spans.find((s) => s.kind === "llm" && String(s.attributes["gen_ai.response.id"]).endsWith("LEJK9J"))!;
    const ids = llm.attributes["hotpath.tool_call_ids"] as string[];
    assert.equal(ids.length, 5);
    const calls = spans.filter((s) => ids.includes(String(s.attributes["gen_ai.tool.call.id"])));
    for (const t of calls) assert.ok(t.startNs >= llm.endNs, "no call runs before its response finished streaming");
    const a = analyzeTrace(spans);
    assert.ok(!a.parallelGroups.some((g) => g.toolCallIds.some((id) => ids.includes(id))));
  });

  it("kv-cache-tester: trace_0093 request 5 is a prefix break (6,030 of 6,105 blocks)", function () {
    const { spans } = fixtureTrace(this, "kv-cache-replay", "traces", "trace_0093.json");
    const a = analyzeTrace(spans);
    const req5 = spans.filter((s) => s.kind === "llm").sort((x, y) => x.startNs - y.startNs)[5];
    const b = a.prefixBreaks.find((p) => p.spanId === req5.spanId);
    assert.ok(b, "request 5 flagged");
    assert.equal(b.commonPrefix, 6030 * 64);
  });

  it("`hotpath export` then `hotpath import` into another data dir gives the same trace ids", async function () {
    const file = traceFixture("codex");
    skipWithoutFixture(this, file, "codex/");
    const imported = await hotpath(dir, "import", file);
    const out = join(dir, "export.jsonl");
    const exported = await hotpath(dir, "export", "-o", out);
    assert.equal(exported.code, 0, exported.stderr);
    const other = join(dir, "other");
    const again = await hotpath(other, "import", out);
    assert.equal(again.stdout, imported.stdout);
    const bad = await hotpath(dir, "analyze", "nothex!");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a trace id/);
  });
});
