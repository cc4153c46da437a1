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
import { importFile, type ImportedFile } from "../../../daemon/traces/import/job.js";
import { diskContext, ImportError, parseTraceFile, traceFilesUnder } from "../../../daemon/traces/importers/index.js";
import { packRows, forEachPackedRow } from "../../../daemon/traces/import/rows.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore, toRow } from "../../../daemon/traces/store.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/traces.js";
import { repeatedClaudeSession } from "../../bench/_trace-generators.js";
import { skipWithoutFixture, TRACE_FIXTURES, traceFixture } from "../../support/trace-fixtures.js";
import { workerJsonText } from "../../fixtures/worker-json.js";

function readBackAnalyses(store: TraceStore, ids: string[]): string {
  return JSON.stringify(ids.map((id) => analyzeTrace(store.getSpans(id), id)));
}

/** The import's analyses (UTF-8 JSON per trace) as JSON.stringify of the array would give them. */
const analysesJson = (r: ImportedFile) => (r.analyses ? `[${r.analyses.map(workerJsonText).join(",")}]` : undefined);

describe("traces: import + analyze without read-back", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-import-analysis-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("every shared fixture, imported and then imported again: identical analysis JSON", function () {
    if (!traceFixture()) this.skip();
    const store = new TraceStore(openDb(":memory:"));
    let compared = 0;
    // The second round's traces all had spans: each one the file replaces whole takes the parsed analysis too.
    for (const file of [...traceFilesUnder(TRACE_FIXTURES), ...traceFilesUnder(TRACE_FIXTURES)]) {
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
    assert.ok(compared >= 10, `compared ${compared} traces`);
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

  it("the bulk import writer stores the rows and trace summaries writeSpans stores, per parsed trace", function () {
    const bulk = openDb(":memory:");
    const each = openDb(":memory:");
    const stores = [new TraceStore(bulk, { maxAttributeChars: 200 }), new TraceStore(each, { maxAttributeChars: 200 })];
    const traceId = "cd".repeat(16);
    const span = (id: string, start: number, attributes: Record<string, unknown>, requestId?: string) => ({
      traceId,
      spanId: id,
      name: `s${id}`,
      kind: "tool" as const,
      startNs: start,
      endNs: start + 1.6e6,
      status: "ok" as const,
      requestId,
      attributes: attributes as never,
    });
    const files = [
      parseTraceFile("s.jsonl", generateClaudeSession(1500)).traces,
      parseTraceFile("o.json", JSON.stringify(generateOtlpRequests(1500, 256, "4e".repeat(16)))).traces,
      parseTraceFile("s.jsonl", generateClaudeSession(1500)).traces, // again: every trace had spans
      [
        // The same id twice (replaces, keeping a request id), a long string cut, values JSON cannot hold.
        {
          source: "import:t",
          origin: "t",
          name: "first",
          spans: [span("a1", 1e15 + 0.4, { x: -0, l: "y".repeat(500) }, "r1"), span("a2", 1e15, {})],
        },
        {
          source: "import:t",
          origin: "t",
          name: "again",
          spans: [span("a1", 1e15 + 9e6, { xs: [1, NaN] }), span("a3", 2e15, {})],
        },
      ],
    ];
    for (const traces of files) {
      stores[0].writeImport(traces);
      for (const t of traces) stores[1].writeSpans(t.spans, t.source, t.origin, t.name);
    }
    const dump = (d: Db) =>
      JSON.stringify([
        d.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().all(),
        d
          .prepare("SELECT trace_id, name, source, origin, start_ns, end_ns, span_count FROM traces ORDER BY trace_id")
          .raw()
          .all(),
      ]);
    assert.equal(dump(bulk), dump(each));
  });

  for (const entry of ["row", "packedRow"] as const) {
    it(`the import writer (${entry}) names the traces it replaced whole, and none that keeps anything from before`, function () {
      // A trace replaced whole reads back as its parsed spans, so the import uses their analysis (worker.ts).
      const db = openDb(":memory:");
      const store = new TraceStore(db);
      const id = (c: string) => c.repeat(32);
      const span = (trace: string, spanId: string, requestId?: string): Span => ({
        traceId: id(trace),
        spanId,
        name: `s${spanId}`,
        kind: "tool",
        startNs: 1e15,
        endNs: 1e15 + 1e6,
        status: "ok",
        requestId,
        attributes: { "gen_ai.tool.name": "read" },
      });
      try {
        store.writeSpans([span("a", "a1"), span("a", "a2", "ra")], "import:t"); // written again, request id and all
        store.writeSpans([span("b", "b1"), span("b", "b2")], "import:t"); // the file lacks b2
        store.writeSpans([span("c", "c1", "rc")], "import:t"); // the file's c1 has no request id: the stored one stays
        store.writeSpans([span("d", "d1"), span("d", "d2")], "import:t"); // d1 twice in the file, d2 not in it
        store.writeSpans([span("e", "e1")], "import:t");
        store.writeServedSpan(span("e", "e2", "re")); // waiting in served_spans
        const file = [
          span("a", "a1"),
          span("a", "a2", "ra"),
          span("b", "b1"),
          span("c", "c1"),
          span("d", "d1"),
          span("d", "d1"),
          span("e", "e1"),
          span("f", "f1"), // new
        ];
        const writer = store.importWriter(file.length);
        let replaced: string[] = [];
        db.transaction(() => {
          const rows = file.map((s) => toRow(s, store.maxAttributeChars));
          if (entry === "row") for (const row of rows) writer.row(row);
          else forEachPackedRow(packRows(rows), writer.packedRow);
          writer.endTrace({ source: "import:t" });
          replaced = writer.replacedWhole();
        })();
        writer.close();
        assert.deepEqual(replaced, [id("a")]);
        assert.deepEqual(writer.fresh(), [id("f")]);
        store.moveServed();
        assert.equal(
          JSON.stringify(store.getSpans(id("a"))),
          JSON.stringify(store.asStored(file.slice(0, 2))),
          "the replaced trace reads back as its parsed spans",
        );
        assert.equal(store.getSpans(id("b")).length, 2);
        assert.equal(store.getSpans(id("c"))[0].requestId, "rc");
        assert.equal(store.getSpans(id("e")).length, 2);
      } finally {
        db.close();
      }
    });
  }

  it("through the import worker on a file database: same traces and analysis as in-process", async function () {
    const text = generateClaudeSession(3000);
    const file = join(dir, "worker.db");
    const db = openDb(file);
    const store = new TraceStore(db);
    try {
      const r = await importFile(store, { dbPath: file, name: "w.jsonl", bytes: Buffer.from(text), analyze: true });
      assert.ok(r.spanCount > 2500, String(r.spanCount));
      assert.equal(store.getTrace(r.traceIds[0])?.spanCount, r.spanCount);
      assert.equal(analysesJson(r), readBackAnalyses(store, r.traceIds));
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
      assert.equal(analysesJson(small), readBackAnalyses(store, small.traceIds)); // same session: read back
      await assert.rejects(
        importFile(store, { dbPath: file, name: "bin.json", bytes: Buffer.from([0xff, 0xfe, 0x00]), analyze: true }),
        /not UTF-8/,
      );
    } finally {
      db.close();
    }
  });

  it("a bad file on two workers is always the parse's error, never the writer's ending (8 at once)", async function () {
    // The parse closes the row channel when it fails and the writer then ends without answering; its exit could reach
    // the daemon's thread first and turn a bad file (400) into "the trace import worker exited" (500, seen in the fuzz).
    const file = join(dir, "race.db");
    const db = openDb(file);
    const store = new TraceStore(db);
    try {
      const bad = [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]), Buffer.from('{"resourceSpans": [{"x": ')];
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          importFile(store, { dbPath: file, name: `bad${i}.json`, bytes: bad[i % 2], analyze: true, split: true }),
        ),
      );
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, "rejected");
        const message = ((r as PromiseRejectedResult).reason as Error).message;
        assert.match(message, i % 2 ? /bad\d+\.json/ : /not UTF-8/, message);
        assert.doesNotMatch(message, /exited/);
      }
      assert.equal(store.listTraces().length, 0);
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
      // A new trace, the session grown (the trace had its first 4000 spans: each one written again, so replaced
      // whole), the same file again, another format (and again on one worker).
      for (const [name, text, split] of [
        ["s.jsonl", generateClaudeSession(4000), true],
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
        assert.equal(analysesJson(r), JSON.stringify(same.analyses), name);
        assert.equal(analysesJson(r), readBackAnalyses(store, r.traceIds), name);
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

  it("a session of real records through two workers, parsed as it streams: same rows and analysis as in-process", async function () {
    // Real records (tool output echoed in toolUseResult, thinking, non-ASCII Read output cut at block edges), large
    // enough for the two-worker path and for spans handed to the writer while they are built (more than one batch of
    // 2048), against the whole text parsed and stored on this thread.
    const fixture = traceFixture("claude-code", "session-3fe1b6bc.jsonl");
    skipWithoutFixture(this, fixture, "claude-code/session-3fe1b6bc.jsonl");
    const copies = 15;
    const text = repeatedClaudeSession(readFileSync(fixture, "utf8"), copies, 0);
    const file = join(dir, "real.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 2000 });
    const referenceDb = openDb(":memory:");
    const reference = new TraceStore(referenceDb, { maxAttributeChars: 2000 });
    const rows = (d: Db) => JSON.stringify(d.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().all());
    try {
      const bytes = Buffer.from(text);
      assert.ok(bytes.length > 2 * 1024 * 1024, "large enough for two workers");
      const r = await importFile(store, {
        dbPath: file,
        name: "s.jsonl",
        bytes,
        analyze: true,
        maxAttributeChars: 2000,
      });
      const same = importAndAnalyze(reference, "s.jsonl", text, { analyze: true });
      assert.equal(r.spanCount, 1 + copies * 143);
      assert.deepEqual(r.traceIds, same.traceIds);
      assert.equal(analysesJson(r), JSON.stringify(same.analyses));
      assert.equal(analysesJson(r), readBackAnalyses(store, r.traceIds));
      assert.equal(rows(db), rows(referenceDb));
    } finally {
      db.close();
      referenceDb.close();
    }
  });

  it("a file found bad while its spans are built, after rows went to the writer: nothing stored, the lock let go", async function () {
    // A Claude Code session's rows go to the writing thread while its spans are built (worker.ts handOut); a problem
    // found after that still fails the whole file, and the writer rolls back what it wrote.
    const file = join(dir, "late.db");
    const db = openDb(file);
    const store = new TraceStore(db);
    try {
      const kept = await importFile(store, {
        dbPath: file,
        name: "kept.jsonl",
        bytes: Buffer.from(generateClaudeSession(50).replace(/bench-session/g, "kept")),
        analyze: false,
      });
      const before = JSON.stringify(db.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().all());
      const depth = 200_000;
      const deep = JSON.stringify({
        type: "assistant",
        uuid: "deep",
        timestamp: "2026-03-09T10:00:00.000Z",
        message: { id: "msg_deep", content: [{ type: "tool_use", id: "toolu_deep", name: "Bash", input: 0 }] },
      }).replace('"input":0', `"input":${"[".repeat(depth)}${"]".repeat(depth)}`);
      const session = generateClaudeSession(6000).replace(/bench-session/g, "late");
      const cut = session.slice(0, session.lastIndexOf("}") - 3); // the last line cut short
      for (const [what, text, error] of [
        [
          "input too deep to store",
          `${session}\n${deep}\n`,
          /late\.jsonl:\d+: tool_use toolu_deep: input: nested too deeply/,
        ],
        ["the file cut mid-line", cut, /late\.jsonl:\d+: not valid JSON/],
      ] as const) {
        await assert.rejects(
          importFile(store, { dbPath: file, name: "late.jsonl", bytes: Buffer.from(text), analyze: true, split: true }),
          (e: Error) => error.test(e.message) || assert.fail(`${what}: ${e.message}`),
        );
        const after = JSON.stringify(db.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().all());
        assert.equal(after, before, what);
        assert.deepEqual(
          store.listTraces().map((t) => t.traceId),
          kept.traceIds,
          what,
        );
      }
      // The write lock is free: the same session without the bad line imports.
      const r = await importFile(store, {
        dbPath: file,
        name: "late.jsonl",
        bytes: Buffer.from(session),
        analyze: true,
        split: true,
      });
      assert.equal(store.getTrace(r.traceIds[0])?.spanCount, r.spanCount);
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
  it("takes an upload without a length, in pieces: stored and analysed as sent whole; empty and bad files refused", async function () {
    const { startDaemon } = await import("../../fixtures/daemon.js");
    const daemon = await startDaemon();
    // The body as a stream: sent chunked (no content-length), in pieces that cut lines and multi-byte characters.
    const chunked = (text: string) => {
      const bytes = Buffer.from(text);
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 70_001) pieces.push(bytes.subarray(i, i + 70_001));
      return {
        method: "POST",
        duplex: "half",
        body: new ReadableStream({
          pull(c) {
            const p = pieces.shift();
            if (p) c.enqueue(p);
            else c.close();
          },
        }),
      } as RequestInit;
    };
    try {
      const text = generateClaudeSession(3000).replace(/refactor the module/g, "refactor the módule ✓");
      const res = await daemon.fetch("/hotpath/traces/import?name=piece.jsonl", chunked(text));
      const json = (await res.json()) as { traceIds: string[]; spanCount: number };
      assert.equal(res.status, 200, JSON.stringify(json));
      const reference = new TraceStore(openDb(":memory:"));
      const same = importAndAnalyze(reference, "piece.jsonl", text, { analyze: true });
      assert.deepEqual(json.traceIds, same.traceIds);
      assert.equal(json.spanCount, same.spanCount);
      const served = await (await daemon.fetch(`/hotpath/traces/${json.traceIds[0]}/analysis`)).text();
      assert.equal(served, JSON.stringify(same.analyses![0]));

      const empty = await daemon.fetch("/hotpath/traces/import?name=e.jsonl", chunked(""));
      assert.equal(empty.status, 400);
      assert.equal(((await empty.json()) as { error: { code: string } }).error.code, "empty_body");

      const before = ((await (await daemon.fetch("/hotpath/traces")).json()) as { traces: unknown[] }).traces.length;
      const bad = `${generateClaudeSession(3000).replace(/bench-session/g, "other")}{"type": "user", oops\n`;
      const refused = await daemon.fetch("/hotpath/traces/import?name=bad.jsonl", chunked(bad));
      assert.equal(refused.status, 400);
      assert.match(
        ((await refused.json()) as { error: { message: string } }).error.message,
        /bad\.jsonl:\d+: not valid JSON/,
      );
      const after = ((await (await daemon.fetch("/hotpath/traces")).json()) as { traces: unknown[] }).traces.length;
      assert.equal(after, before);
    } finally {
      await daemon.dispose();
    }
  });
});
