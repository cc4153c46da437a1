// The trace store's retention and export, on a real SQLite file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../../daemon/db.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const mk = (traceId: string, i: number, startMs: number): Span => ({
  traceId,
  spanId: i.toString(16).padStart(16, "0"),
  name: "s",
  kind: "llm",
  startNs: startMs * 1e6,
  endNs: (startMs + 10) * 1e6,
  status: "ok",
  attributes: { "gen_ai.request.model": "m" },
});

describe("traces/store", () => {
  let dir: string;
  let db: Db;
  let store: TraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-store-"));
    db = openDb(join(dir, "hotpath.db"));
    store = new TraceStore(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("retention by age counts from when a trace was stored, not when the run happened", () => {
    store.writeSpans([mk("a".repeat(32), 1, Date.parse("2020-01-01"))], "import:x");
    assert.equal(store.applyRetention({ retentionDays: 30, maxSpans: 0 }), 0, "an old run imported today stays");
    assert.equal(store.applyRetention({ retentionDays: 30, maxSpans: 0 }, Date.now() + 31 * 86_400_000), 1);
    assert.equal(store.countSpans(), 0);
  });

  it("retention by size deletes the oldest traces until under maxSpans", () => {
    for (let t = 0; t < 5; t++)
      store.writeSpans(
        [0, 1, 2].map((i) => mk(String(t).repeat(32), i, 1000 * t)),
        "otlp",
      );
    assert.equal(store.countSpans(), 15);
    assert.equal(store.applyRetention({ retentionDays: 0, maxSpans: 7 }), 3);
    assert.equal(store.countSpans(), 6);
  });

  it("spans of one trace arriving in several batches form one trace; listeners hear each write once", () => {
    const heard: string[][] = [];
    store.onWrite((_s, ids) => heard.push(ids));
    const t = "b".repeat(32);
    store.writeSpans([mk(t, 1, 0)], "otlp");
    store.writeSpans([mk(t, 2, 100)], "otlp");
    store.writeImport([{ spans: [mk(t, 3, 200), mk("c".repeat(32), 1, 0)], source: "otlp" }]);
    assert.equal(store.getTrace(t)?.spanCount, 3);
    assert.equal(store.getTrace(t)?.endNs, 210 * 1e6);
    assert.deepEqual(heard, [[t], [t], [t, "c".repeat(32)]]);
  });

  it("a failing import transaction leaves nothing behind", () => {
    const bad = { ...mk("d".repeat(32), 2, 0), name: null as unknown as string }; // NOT NULL violation on the 2nd span
    assert.throws(() => store.writeImport([{ spans: [mk("d".repeat(32), 1, 0), bad], source: "import:x" }]));
    assert.equal(store.countSpans(), 0);
    assert.equal(store.getTrace("d".repeat(32)), undefined);
  });

  it("reads spans back exactly as written, and a trace's extent and count follow re-writes and duplicate ids", () => {
    const t = "e".repeat(32);
    const odd: Span = {
      traceId: t,
      spanId: "00000000000000ff",
      parentSpanId: "0000000000000001",
      name: 'quote " backslash \\ newline \n emoji 🚀 nul \u0000',
      kind: "tool",
      startNs: 1_772_359_200_123_456_768, // ns beyond 2^53: the nearest double, as importers produce
      endNs: 1_772_359_201_000_000_000,
      status: "error",
      statusMessage: "boom",
      requestId: "req-1",
      attributes: { s: "x", n: 1.5, b: false, arr: ["a", "b"], nums: [1, 2], nil: null, 'weird "key': "\u2028" },
    };
    store.writeSpans([mk(t, 1, 1000), odd], "import:x");
    const back = store.getSpans(t);
    assert.deepEqual(back, [
      { ...mk(t, 1, 1000), parentSpanId: undefined, statusMessage: undefined, requestId: undefined },
      odd,
    ]);
    assert.equal(store.getTrace(t)?.spanCount, 2);
    // The same span id twice in one write: the later one wins and counts once.
    store.writeSpans(
      [mk("f".repeat(32), 1, 0), { ...mk("f".repeat(32), 1, 0), endNs: 5e9 }, mk("f".repeat(32), 2, 100)],
      "import:x",
    );
    assert.deepEqual(
      { ...store.getTrace("f".repeat(32)), traceId: undefined },
      {
        traceId: undefined,
        name: undefined,
        source: "import:x",
        origin: undefined,
        startNs: 0,
        endNs: 5e9,
        spanCount: 2,
      },
    );
    // Re-importing a trace (same ids, one span moved) keeps one row per span and the new extent.
    store.writeImport([{ spans: [mk(t, 1, 500), odd], source: "import:x" }]);
    assert.equal(store.getTrace(t)?.spanCount, 2);
    assert.equal(store.getTrace(t)?.startNs, 500e6);
  });

  it("one span at a time (the daemon's requests): a new trace, a second span, and the first span rewritten", () => {
    const t = "c".repeat(32);
    const summary = () => {
      const s = store.getTrace(t)!;
      return [s.spanCount, s.startNs, s.endNs, s.source, s.name];
    };
    store.writeSpans([mk(t, 1, 100)], "daemon", undefined, "first");
    assert.deepEqual(summary(), [1, 100e6, 110e6, "daemon", "first"]);
    store.writeSpans([mk(t, 2, 50)], "daemon", undefined, "second");
    assert.deepEqual(summary(), [2, 50e6, 110e6, "daemon", "first"]);
    store.writeSpans([{ ...mk(t, 1, 100), endNs: 900e6 }], "daemon");
    assert.deepEqual(summary(), [2, 50e6, 900e6, "daemon", "first"]);
    assert.deepEqual(
      store.getSpans(t).map((s) => [s.spanId, s.endNs]),
      [
        ["0000000000000002", 60e6],
        ["0000000000000001", 900e6],
      ],
    );
    // A trace row left without spans (never written so by the store) is still refreshed from its spans.
    db.prepare("DELETE FROM spans WHERE trace_id = ?").run(t);
    store.writeSpans([mk(t, 3, 7)], "daemon");
    assert.deepEqual(summary(), [1, 7e6, 17e6, "daemon", "first"]);
  });

  it("a database from before traces:2-lean-span-indexes keeps its spans and ends with spans_start as its only index", () => {
    const t = "a1".repeat(16);
    store.writeSpans([{ ...mk(t, 1, 0), requestId: "req-old" }, mk(t, 2, 10)], "daemon");
    // Put the file back as the first schema left it: every index, full request-id index, migrations not applied.
    db.exec(`CREATE INDEX spans_model ON spans(model, start_ns);
      CREATE INDEX spans_conversation ON spans(conversation_id, start_ns);
      CREATE INDEX spans_kind ON spans(kind, start_ns);
      CREATE INDEX spans_request ON spans(request_id);
      DELETE FROM migrations WHERE name IN ('traces:2-lean-span-indexes', 'traces:4-no-request-index');`);
    assert.deepEqual(spanIndexes(db), [
      "spans_conversation",
      "spans_kind",
      "spans_model",
      "spans_request",
      "spans_start",
    ]);
    db.close();
    db = openDb(join(dir, "hotpath.db"));
    store = new TraceStore(db);
    assert.deepEqual(spanIndexes(db), ["spans_start"]);
    assert.deepEqual(
      store.getSpans(t).map((s) => [s.spanId, s.requestId]),
      [
        [mk(t, 1, 0).spanId, "req-old"],
        [mk(t, 2, 10).spanId, undefined],
      ],
    );
    assertQueriesUseTheirIndexes(db);
  });

  it("traces:4-no-request-index drops the partial request-id index traces:2 made; the daemon's queries keep theirs", () => {
    const t = "a2".repeat(16);
    store.writeSpans([{ ...mk(t, 1, 0), requestId: "req-1" }], "daemon");
    // As traces:2 left the file (the schema of every daemon before this migration).
    db.exec(`CREATE INDEX spans_request ON spans(request_id) WHERE request_id IS NOT NULL;
      DELETE FROM migrations WHERE name = 'traces:4-no-request-index';`);
    db.close();
    db = openDb(join(dir, "hotpath.db"));
    store = new TraceStore(db);
    assert.deepEqual(spanIndexes(db), ["spans_start"]);
    assert.equal(
      db.prepare("SELECT COUNT(*) FROM migrations WHERE name = 'traces:4-no-request-index'").pluck().get(),
      1,
    );
    store.writeSpans([{ ...mk(t, 2, 5), requestId: "req-2" }], "daemon");
    assert.deepEqual(
      store.getSpans(t).map((s) => s.requestId),
      ["req-1", "req-2"],
    );
    assert.equal(store.getTrace(t)?.spanCount, 2);
    assertQueriesUseTheirIndexes(db);
  });
});

/** The spans table's own indexes (not the primary key's automatic one), by name. */
function spanIndexes(db: Db): string[] {
  return db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'spans' AND sql IS NOT NULL ORDER BY name",
    )
    .pluck()
    .all() as string[];
}

/**
 * The plans of the daemon's span reads (store.ts): a trace's spans by the primary key, the time-window reads
 * (serving window, recent spans) by spans_start — none scans the table.
 */
function assertQueriesUseTheirIndexes(db: Db): void {
  const plan = (sql: string, ...params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("; ");
  assert.match(
    plan("SELECT * FROM spans WHERE trace_id = ?", "x"),
    /USING INDEX sqlite_autoindex_spans_1 \(trace_id=\?\)/,
  );
  assert.match(
    plan("SELECT COUNT(*) FROM spans WHERE trace_id = ?", "x"),
    /USING COVERING INDEX sqlite_autoindex_spans_1/,
  );
  assert.match(
    plan(
      "SELECT status FROM spans WHERE start_ns >= ? AND kind = 'llm' AND request_id IS NOT NULL ORDER BY start_ns DESC LIMIT 100000",
      0,
    ),
    /USING INDEX spans_start \(start_ns>\?\)/,
  );
  assert.match(
    plan(
      "SELECT * FROM spans WHERE start_ns >= ? AND (? IS NULL OR kind = ?) ORDER BY start_ns DESC LIMIT ?",
      0,
      null,
      null,
      10,
    ),
    /USING INDEX spans_start \(start_ns>\?\)/,
  );
}
