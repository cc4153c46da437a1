// Imports analyze the spans they just parsed instead of reading them back: the analysis must be byte for byte what
// analyzing the stored trace gives (every shared fixture, generated traces, and spans written twice or with values
// JSON cannot hold), also through the worker the daemon imports in, which keeps /healthz answering meanwhile.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../../daemon/db.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { importAndAnalyze } from "../../../daemon/traces/import/analyzed.js";
import { importFile } from "../../../daemon/traces/import/job.js";
import { diskContext, ImportError, traceFilesUnder } from "../../../daemon/traces/importers/index.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/traces.js";
import { TRACE_FIXTURES, traceFixture } from "../../support/trace-fixtures.js";

function readBackAnalyses(store: TraceStore, ids: string[]): string {
  return JSON.stringify(ids.map((id) => analyzeTrace(store.getSpans(id), id)));
}

describe("traces: import + analyze without read-back", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-import-analysis-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("every shared fixture: identical analysis JSON", function () {
    if (!traceFixture()) this.skip();
    const store = new TraceStore(openDb(":memory:"));
    let compared = 0;
    for (const file of traceFilesUnder(TRACE_FIXTURES)) {
      let r;
      try {
        r = importAndAnalyze(store, file, readFileSync(file, "utf8"), { analyze: true, ctx: diskContext(file) });
      } catch (e) {
        if (e instanceof ImportError) continue; // not a trace file (documentation, tool output)
        throw e;
      }
      assert.equal(JSON.stringify(r.analyses), readBackAnalyses(store, r.traceIds), file);
      compared += r.traceIds.length;
    }
    assert.ok(compared >= 5, `compared ${compared} traces`);
  });

  it("generated traces, a re-import, duplicate span ids and non-JSON numbers: identical analysis JSON", function () {
    const store = new TraceStore(openDb(":memory:"), { maxAttributeChars: 1024 });
    const claude = generateClaudeSession(3000);
    const otlp = JSON.stringify(generateOtlpRequests(3000, 512, "5c".repeat(16)));
    for (const [name, text] of [
      ["s.jsonl", claude],
      ["o.json", otlp],
      ["s.jsonl", claude],
    ] as const) {
      const r = importAndAnalyze(store, name, text, { analyze: true });
      assert.equal(JSON.stringify(r.analyses), readBackAnalyses(store, r.traceIds), name);
    }
    // Hotpath's own export format carries spans as given: the same id twice, -0, a long string, NaN in an array.
    const traceId = "ab".repeat(16);
    const span = (id: string, start: number, attributes: object) =>
      JSON.stringify({
        span: {
          traceId,
          spanId: id,
          name: `s${id}`,
          kind: "tool",
          startNs: start,
          endNs: start + 1.6e6,
          status: "ok",
          attributes,
        },
      });
    const text = [
      JSON.stringify({ format: "hotpath.traces", version: 1, exportedAt: new Date().toISOString() }),
      JSON.stringify({ trace: { traceId, source: "import:test", startNs: 1e15, endNs: 2e15, spanCount: 3 } }),
      span("00000000000000a1", 1e15 + 0.4, { "gen_ai.tool.name": "read", x: -0, long: "y".repeat(5000) }),
      span("00000000000000a2", 1e15 + 5e6, { "gen_ai.tool.name": "grep" }),
      span("00000000000000a1", 1e15 + 9e6, { "gen_ai.tool.name": "read", xs: [1, 2] }),
    ].join("\n");
    let r;
    try {
      r = importAndAnalyze(store, "dupes.jsonl", text, { analyze: true });
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      console.log(`    (export importer refused the file: ${(e as Error).message})`);
      return;
    }
    assert.equal(JSON.stringify(r.analyses), readBackAnalyses(store, r.traceIds));
  });

  it("through the import worker on a file database: same traces and analysis as in-process", async function () {
    const text = generateClaudeSession(3000);
    const file = join(dir, "worker.db");
    const db = openDb(file);
    const store = new TraceStore(db);
    try {
      const r = await importFile(store, { dbPath: file, name: "w.jsonl", bytes: Buffer.from(text), analyze: true });
      assert.ok(r.spanCount > 2500, String(r.spanCount));
      assert.equal(store.getTrace(r.traceIds[0])?.spanCount, r.spanCount);
      assert.equal(JSON.stringify(r.analyses), readBackAnalyses(store, r.traceIds));
      await assert.rejects(
        importFile(store, { dbPath: file, name: "bad.jsonl", bytes: Buffer.from("{not json\n"), analyze: true }),
        /bad\.jsonl/,
      );
      // A small Buffer is a view of Node's shared pool: only its own bytes reach the worker.
      const small = await importFile(store, {
        dbPath: file,
        name: "small.jsonl",
        bytes: Buffer.from(generateClaudeSession(4)),
        analyze: true,
      });
      assert.equal(small.spanCount, 4);
      assert.equal(JSON.stringify(small.analyses), readBackAnalyses(store, small.traceIds)); // same session: read back
      await assert.rejects(
        importFile(store, { dbPath: file, name: "bin.json", bytes: Buffer.from([0xff, 0xfe, 0x00]), analyze: true }),
        /not UTF-8/,
      );
    } finally {
      db.close();
    }
  });

  it("a large file through two workers (one writes, one analyses): same rows and analysis as in-process", async function () {
    const claude = generateClaudeSession(5000);
    const otlp = JSON.stringify(generateOtlpRequests(6000, 512, "6d".repeat(16)));
    const file = join(dir, "split.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 150 }); // cuts the generated tool results
    const referenceDb = openDb(":memory:");
    const reference = new TraceStore(referenceDb, { maxAttributeChars: 150 });
    const rows = (d: Db) => JSON.stringify(d.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().all());
    try {
      // A new trace, the same file again (its trace now has spans: analysed as read back), another format (and again
      // on one worker).
      for (const [name, text, split] of [
        ["s.jsonl", claude, true],
        ["s.jsonl", claude, true],
        ["o.json", otlp, true],
        ["o.json", otlp, false],
      ] as const) {
        const bytes = Buffer.from(text);
        const r = await importFile(store, { dbPath: file, name, bytes, analyze: true, maxAttributeChars: 150, split });
        const same = importAndAnalyze(reference, name, text, { analyze: true });
        assert.deepEqual(r.traceIds, same.traceIds, name);
        assert.equal(r.spanCount, same.spanCount, name);
        assert.equal(JSON.stringify(r.analyses), JSON.stringify(same.analyses), name);
        assert.equal(JSON.stringify(r.analyses), readBackAnalyses(store, r.traceIds), name);
      }
      assert.equal(rows(db), rows(referenceDb));
      // A bad line at the end of a large file: nothing stored, the error names the line.
      const before = store.countSpans();
      const bad = `${generateClaudeSession(4000).replace(/bench-session/g, "other")}{"type": "user", oops\n`;
      await assert.rejects(
        importFile(store, { dbPath: file, name: "bad.jsonl", bytes: Buffer.from(bad), analyze: true, split: true }),
        /bad\.jsonl:\d+: not valid JSON/,
      );
      assert.equal(store.countSpans(), before);
    } finally {
      db.close();
    }
  });
});

describe("traces: the daemon imports in a worker", function () {
  this.timeout(180_000);

  it("answers /healthz while a large import runs, then serves the import's analysis", async function () {
    const { startDaemon } = await import("../../fixtures/daemon.js");
    const daemon = await startDaemon();
    try {
      const body = generateClaudeSession(10_000);
      let imported = false;
      const importing = daemon
        .fetch("/hotpath/traces/import?name=big.jsonl", { method: "POST", body })
        .then(async (r) => {
          imported = true;
          return { status: r.status, json: (await r.json()) as { traceIds: string[]; spanCount: number } };
        });
      // Not a timing: while the import is in flight, health checks still come back (the event loop is not held).
      let answeredDuringImport = 0;
      while (!imported) {
        const h = await daemon.fetch("/healthz");
        assert.equal(h.status, 200);
        await h.arrayBuffer();
        if (!imported) answeredDuringImport++;
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await importing;
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(answeredDuringImport >= 2, `health answers during the import: ${answeredDuringImport}`);
      const id = r.json.traceIds[0];
      const analysis = await (await daemon.fetch(`/hotpath/traces/${id}/analysis`)).json();
      assert.equal((analysis as { spanCount: number }).spanCount, r.json.spanCount);
      const detail = (await (await daemon.fetch(`/hotpath/traces/${id}`)).json()) as { spans: unknown[] };
      assert.equal(detail.spans.length, r.json.spanCount);
    } finally {
      await daemon.dispose();
    }
  });
});
