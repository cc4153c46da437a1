// The cache's lookup counters wait for the next write on the database (in the daemon: the request's own span) so a
// request commits once; they are never lost: committed on a timer, before being read, and on close.
import assert from "node:assert/strict";
import { openDb, writeTransaction, type Db } from "../../../daemon/db.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { chat, ctx, makeCache, tempDb } from "./helpers.js";

describe("cache: lookup counters", function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDb>;
  let other: Db | undefined;
  beforeEach(() => (t = tempDb()));
  afterEach(() => {
    other?.close();
    other = undefined;
    t.cleanup();
  });

  /** Bypasses as another connection sees them: only what was committed. */
  const committedBypasses = () => {
    other ??= openDb(t.file);
    return other.prepare("SELECT COALESCE(SUM(bypasses), 0) FROM cache_namespaces").pluck().get() as number;
  };
  const bypass = (cache: ReturnType<typeof makeCache>, user = "hello") =>
    cache.lookup(chat(user), ctx({ "x-hotpath-cache": "bypass" }));
  const span = (i: number) => ({
    traceId: i.toString(16).padStart(32, "0"),
    spanId: i.toString(16).padStart(16, "0"),
    name: "chat stories",
    kind: "llm" as const,
    startNs: 1e15 + i,
    endNs: 1e15 + i + 1,
    status: "ok" as const,
    requestId: `req_${i}`,
    attributes: {},
  });

  it("commit with the next write on the database (the request's span), not in a commit of their own", async () => {
    const cache = makeCache(t.db);
    const r = await bypass(cache);
    assert.equal(r.verdict, "bypass");
    assert.equal(committedBypasses(), 0, "no commit of its own at lookup");
    new TraceStore(t.db).writeSpans([span(1)], "daemon");
    assert.equal(committedBypasses(), 1, "committed with the span");
    new TraceStore(t.db).writeSpans([span(2)], "daemon");
    assert.equal(committedBypasses(), 1, "counted once");
    assert.equal(cache.stats().totals.bypasses, 1);
    cache.close();
  });

  it("wait again when the write they rode on rolls back, and are counted once", async () => {
    const cache = makeCache(t.db);
    await bypass(cache);
    await bypass(cache, "a second question");
    assert.throws(() =>
      writeTransaction(t.db, "a failing write", () => {
        throw new Error("rolled back");
      }),
    );
    assert.equal(committedBypasses(), 0);
    assert.equal(cache.stats().totals.bypasses, 2, "read flushes them");
    assert.equal(committedBypasses(), 2);
    new TraceStore(t.db).writeSpans([span(3)], "daemon");
    assert.equal(committedBypasses(), 2);
    cache.close();
  });

  it("are written on close and survive reopening the database", async () => {
    const cache = makeCache(t.db);
    for (let i = 0; i < 3; i++) await bypass(cache, `question ${i}`);
    cache.close();
    t.db.close();
    const reopened = openDb(t.file);
    try {
      assert.equal(makeCache(reopened).stats().totals.bypasses, 3);
    } finally {
      reopened.close();
    }
  });

  it("are committed on their own within about a second when no other write comes", async () => {
    const cache = makeCache(t.db);
    await bypass(cache);
    assert.equal(committedBypasses(), 0);
    const until = Date.now() + 5_000;
    while (committedBypasses() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(committedBypasses(), 1);
    cache.close();
  });

  it("a clear removes the counts of lookups before it (they are written first, then cleared)", async () => {
    const cache = makeCache(t.db);
    await bypass(cache);
    cache.clear();
    await bypass(cache);
    assert.equal(cache.stats().totals.bypasses, 1);
    cache.close();
  });
});
