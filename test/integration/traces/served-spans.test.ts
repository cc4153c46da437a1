// The span of each served request commits to `served_spans` (an append to a table without indexes) and moves into
// spans and traces later: every read, write and connection must still see it, in order, exactly once.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitCount, DatabaseBusyError, openDb, type Db } from "../../../daemon/db.js";
import { HotpathAttr, type Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const served = (traceId: string, i: number, startMs: number, extra: Partial<Span> = {}): Span => ({
  traceId,
  spanId: i.toString(16).padStart(16, "0"),
  name: "chat m",
  kind: "llm",
  startNs: startMs * 1e6,
  endNs: (startMs + 10) * 1e6,
  status: "ok",
  requestId: `req_${traceId.slice(0, 4)}${i}`,
  attributes: { "gen_ai.request.model": "m", "gen_ai.input.messages": "x".repeat(800), [HotpathAttr.cache]: "bypass" },
  ...extra,
});

describe("traces/store: served spans", () => {
  let dir: string;
  let file: string;
  let db: Db;
  let store: TraceStore;
  const waiting = (d: Db = db) => d.prepare("SELECT COUNT(*) FROM served_spans").pluck().get() as number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-served-"));
    file = join(dir, "hotpath.db");
    db = openDb(file);
    store = new TraceStore(db);
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a served span waits in served_spans and every read finds it with its trace's row", () => {
    const t = "a".repeat(32);
    store.writeServedSpan(served(t, 1, 100));
    assert.equal(waiting(), 1, "committed where it waits");
    assert.equal(db.prepare("SELECT COUNT(*) FROM spans").pluck().get(), 0, "not yet in spans");
    const s = store.getTrace(t)!;
    assert.deepEqual([s.spanCount, s.startNs, s.endNs, s.source], [1, 100e6, 110e6, "daemon"]);
    assert.equal(waiting(), 0, "the read moved it");
    assert.deepEqual(
      store.getSpans(t).map((x) => [x.spanId, x.requestId]),
      [["0000000000000001", `req_aaaa1`]],
    );
    store.writeServedSpan(served(t, 2, 50));
    assert.deepEqual(
      store.listTraces().map((x) => [x.traceId, x.spanCount, x.startNs]),
      [[t, 2, 50e6]],
    );
    store.writeServedSpan(served("b".repeat(32), 1, 200));
    assert.equal(store.countSpans(), 3);
    store.writeServedSpan(served("c".repeat(32), 1, 300));
    assert.deepEqual(
      store.servedLlmValues(0, [], [HotpathAttr.cache]).map((r) => r.texts[0]),
      ["bypass", "bypass", "bypass", "bypass"],
    );
  });

  it("another connection (the CLI, a daemon restarted after kill -9) moves and reads what one left waiting", () => {
    const t = "d".repeat(32);
    store.writeServedSpan(served(t, 1, 100));
    store.writeServedSpan(served(t, 2, 300));
    store.writeServedSpan(served("e".repeat(32), 1, 500));
    // The first connection stays open and never moves them, as a process killed right after its commits.
    const other = openDb(file);
    try {
      const second = new TraceStore(other);
      assert.equal(waiting(other), 0, "moved when the store opened");
      const s = second.getTrace(t)!;
      assert.deepEqual([s.spanCount, s.startNs, s.endNs, s.source], [2, 100e6, 310e6, "daemon"]);
      assert.equal(second.getTrace("e".repeat(32))?.spanCount, 1);
      assert.equal(store.countSpans(), 3, "and the first connection reads them too, once");
    } finally {
      other.close();
    }
  });

  it("keeps the order of writes: a span written after its served version replaces it, and a trace's first writer stays its source", () => {
    const t = "f".repeat(32);
    store.writeServedSpan(served(t, 1, 100));
    store.writeSpans([served(t, 1, 100, { endNs: 900e6, requestId: undefined })], "otlp");
    assert.deepEqual(
      store.getSpans(t).map((x) => [x.endNs, x.requestId]),
      [[900e6, "req_ffff1"]],
      "the later write wins, keeping the served request id",
    );
    assert.equal(store.getTrace(t)?.source, "daemon");
    // An agent's OTLP span of the same trace first, then the served span: one trace of two spans.
    const u = "1".repeat(32);
    store.writeSpans([{ ...served(u, 7, 0), requestId: undefined }], "otlp");
    store.writeServedSpan(served(u, 1, 100));
    const s = store.getTrace(u)!;
    assert.deepEqual([s.spanCount, s.startNs, s.endNs, s.source], [2, 0, 110e6, "otlp"]);
  });

  it("deleting a trace whose served span still waits deletes it for good, and retention counts it", () => {
    const t = "2".repeat(32);
    store.writeServedSpan(served(t, 1, 100));
    assert.equal(store.deleteTrace(t), true);
    store.moveServed();
    assert.deepEqual(store.getSpans(t), []);
    assert.equal(store.getTrace(t), undefined);
    for (let i = 0; i < 3; i++) store.writeServedSpan(served(String(i + 3).repeat(32), 1, 1000 * i));
    assert.equal(store.applyRetention({ retentionDays: 0, maxSpans: 1 }), 2);
    assert.deepEqual(
      store.listTraces().map((x) => x.traceId),
      ["5".repeat(32)],
    );
  });

  it("a served span's commit writes one or two WAL pages, where a span and trace row write ~7", () => {
    db.pragma("wal_autocheckpoint = 0");
    const frames = (write: (i: number) => void) => {
      db.pragma("wal_checkpoint(TRUNCATE)");
      const pages: number[] = [];
      for (let i = 0; i < 40; i++) {
        const before = statSync(`${file}-wal`).size;
        write(i);
        pages.push((statSync(`${file}-wal`).size - before) / (4096 + 24));
      }
      return pages.reduce((a, b) => a + b, 0) / pages.length;
    };
    // Enough spans that their random-keyed index pages differ from one write to the next, as in a used database.
    store.writeSpans(
      Array.from({ length: 3000 }, (_, i) => served(i.toString(16).padStart(32, "0"), 1, i)),
      "import:x",
    );
    const asSpans = frames((i) => store.writeSpans([served(`a${i}`.padStart(32, "9"), 1, i)], "daemon"));
    const asServed = frames((i) => store.writeServedSpan(served(`b${i}`.padStart(32, "9"), 1, i)));
    assert.ok(asServed <= 2.5, `${asServed} pages per served span commit`);
    assert.ok(asSpans >= 5, `${asSpans} pages per span commit into spans and traces`);
    assert.equal(store.countSpans(), 3080);
  });

  it("a served span commits on its own: counted for the checkpointer, refused as busy while another connection writes", () => {
    const before = commitCount(db);
    store.writeServedSpan(served("3".repeat(32), 1, 100));
    store.writeServedSpan(served("3".repeat(32), 2, 200));
    assert.equal(commitCount(db), before + 2, "each served span is a commit the checkpoint worker hears of");
    const other = openDb(file);
    try {
      db.pragma("busy_timeout = 20");
      other.exec("BEGIN IMMEDIATE");
      assert.throws(() => store.writeServedSpan(served("3".repeat(32), 3, 300)), DatabaseBusyError);
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    assert.equal(waiting(), 2, "the refused one left nothing behind");
    store.writeServedSpan(served("3".repeat(32), 3, 300));
    assert.equal(store.getTrace("3".repeat(32))?.spanCount, 3);
  });

  it("moves on its own, a batch per turn of the event loop, when nothing reads", async () => {
    for (let i = 0; i < 80; i++) store.writeServedSpan(served(i.toString(16).padStart(32, "7"), 1, i));
    assert.equal(waiting(), 80);
    const seen: number[] = [];
    while (waiting() > 0) {
      seen.push(waiting());
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(
      seen.some((n) => n > 0 && n < 80),
      `moved in batches: ${seen.join(", ")}`,
    );
    assert.equal(db.prepare("SELECT COUNT(*) FROM spans").pluck().get(), 80);
    assert.equal(db.prepare("SELECT COUNT(*) FROM traces").pluck().get(), 80);
  });

  it("moves large rows (a coding agent's request content) a few per turn, starting once half a million characters wait", async () => {
    // Six spans of ~300K characters of content each: two are enough to start a move without waiting for the timer.
    const big = (i: number) =>
      served(i.toString(16).padStart(32, "6"), 1, i, {
        attributes: { "gen_ai.request.model": "m", "gen_ai.input.messages": `${i}`.padEnd(300_000, "y") },
      });
    store.writeServedSpan(big(0));
    store.writeServedSpan(big(1));
    const started = Date.now();
    while (waiting() === 2 && Date.now() - started < 200) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(waiting() < 2, "moving before the 250 ms timer");
    for (let i = 2; i < 6; i++) store.writeServedSpan(big(i));
    const seen: number[] = [];
    while (waiting() > 0) {
      seen.push(waiting());
      await new Promise((resolve) => setImmediate(resolve));
    }
    // One row of ~300K per move (a second would pass 512K), not all of them in one hold of the event loop.
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i - 1] - seen[i] <= 1, `moved one at a time: ${seen.join(", ")}`);
    assert.equal(store.countSpans(), 6);
    assert.deepEqual(
      store.getSpans("5".padStart(32, "6")).map((x) => (x.attributes["gen_ai.input.messages"] as string).length),
      [300_000],
    );
  });

  it("stores large attributes (written as bytes) as the same TEXT JSON.stringify gives, in both tables", () => {
    const content = `{"role":"user","content":"é 😀 \\"quoted\\" \u2028 中"}`.repeat(5_000);
    const span = served("8".repeat(32), 1, 100, {
      attributes: { "gen_ai.request.model": "m", "gen_ai.input.messages": content, "hotpath.stream": false },
    });
    store.writeServedSpan(span);
    const row = () => db.prepare("SELECT typeof(attributes) AS type, attributes FROM served_spans").get();
    assert.deepEqual(row(), { type: "text", attributes: JSON.stringify(span.attributes) });
    store.moveServed();
    assert.deepEqual(db.prepare("SELECT typeof(attributes) AS type, attributes FROM spans").get(), {
      type: "text",
      attributes: JSON.stringify(span.attributes),
    });
    assert.deepEqual(store.getSpans("8".repeat(32))[0].attributes, span.attributes);
  });
});
