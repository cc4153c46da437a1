// The cache's lookup counters wait in memory and are committed together about once a second (not with each request's
// span: that cost every span commit a savepoint, an UPDATE and a page); once due they ride on the next write if one comes
// first. They are never lost: committed on a timer, before being read, and on close.
import assert from "node:assert/strict";
import { openDb, writeTransaction, type Db } from "../../../daemon/db.js";
import { requestKey } from "../../../daemon/cache/key.js";
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
  /** A bypassed lookup, and its answer out (the pipeline then has the cache key it and count it). */
  const bypass = async (cache: ReturnType<typeof makeCache>, user = "hello") => {
    const r = await cache.lookup(chat(user), ctx({ "x-hotpath-cache": "bypass" }));
    cache.countBypasses();
    return r;
  };
  /** Flushes the counts while another connection holds the write lock (their write gives up after 20 ms). */
  const flushWhileBusy = (cache: ReturnType<typeof makeCache>) => {
    t.db.pragma("busy_timeout = 20");
    other ??= openDb(t.file);
    other.exec("BEGIN IMMEDIATE");
    cache.flushCounts();
    other.exec("ROLLBACK");
  };
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

  it("are not committed with each request's span, but together by their timer", async () => {
    const cache = makeCache(t.db);
    const r = await bypass(cache);
    assert.equal(r.verdict, "bypass");
    assert.equal(committedBypasses(), 0, "no commit of its own at lookup");
    new TraceStore(t.db).writeSpans([span(1)], "daemon");
    await bypass(cache, "a second question");
    new TraceStore(t.db).writeSpans([span(2)], "daemon");
    assert.equal(committedBypasses(), 0, "not with the spans");
    const until = Date.now() + 5_000;
    while (committedBypasses() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(committedBypasses(), 2, "both in the timer's write");
    new TraceStore(t.db).writeSpans([span(3)], "daemon");
    assert.equal(committedBypasses(), 2, "counted once");
    assert.equal(cache.stats().totals.bypasses, 2);
    cache.close();
  });

  it("once due, ride on the next write when theirs found the database busy; wait again when it rolls back", async () => {
    const cache = makeCache(t.db);
    await bypass(cache);
    await bypass(cache, "a second question");
    // Another connection holds the write lock: the counts' own write gives up (after this connection's busy timeout).
    flushWhileBusy(cache);
    assert.equal(committedBypasses(), 0);
    assert.throws(() =>
      writeTransaction(t.db, "a failing write", () => {
        throw new Error("rolled back");
      }),
    );
    assert.equal(committedBypasses(), 0, "rolled back with the write they rode on");
    new TraceStore(t.db).writeSpans([span(4)], "daemon");
    assert.equal(committedBypasses(), 0, "waiting for their timer again");
    assert.equal(cache.stats().totals.bypasses, 2, "read flushes them");
    assert.equal(committedBypasses(), 2);
    cache.close();
  });

  // A served span commits as a single INSERT of its own (db.ts, writeStatement) unless counts are due: then both ride.
  const writers: [string, (store: TraceStore) => void][] = [
    ["the next write", (store) => store.writeSpans([span(5)], "daemon")],
    ["a served span's commit", (store) => store.writeServedSpan(span(6))],
  ];
  for (const [name, write] of writers) {
    it(`due counts ride on ${name}`, async () => {
      const cache = makeCache(t.db);
      await bypass(cache);
      flushWhileBusy(cache);
      assert.equal(committedBypasses(), 0);
      write(new TraceStore(t.db));
      assert.equal(committedBypasses(), 1, "committed with the span");
      cache.close();
    });
  }

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

  it("a request neither looked up nor stored is not keyed on its path; its bypass still counts in its namespace", async () => {
    const cache = makeCache(t.db);
    const sampled = chat("Tell me a story about a dragon", { temperature: 0.7 });
    const namespace = requestKey(sampled, "local:stories").namespace;
    const namespaces = () => {
      other ??= openDb(t.file);
      return other.prepare("SELECT namespace FROM cache_namespaces").pluck().all() as string[];
    };
    const r = await cache.lookup(sampled, ctx());
    assert.equal(r.verdict, "bypass");
    assert.match(r.reason, /deterministic/);
    assert.equal(r.namespace, undefined, "no namespace computed before the answer");
    assert.deepEqual(namespaces(), [], "nor its row written");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(namespaces(), [], "nor while it waits for its backend");
    // Its answer is out: the pipeline has it keyed and counted.
    cache.countBypasses();
    assert.deepEqual(namespaces(), [namespace]);
    // Read before that: the count is taken first.
    await cache.lookup(sampled, ctx({ "x-hotpath-cache": "bypass" }));
    assert.equal(cache.stats().namespaces.find((n) => n.namespace === namespace)?.bypasses, 2);
    // Nobody says the answer is out: the counts' timer keys it (COUNTS_WAIT_MS).
    await cache.lookup(sampled, ctx());
    const until = Date.now() + 5_000;
    while (committedBypasses() < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(committedBypasses(), 3);
    // A refresh is not looked up but its answer is stored: keyed at once.
    const refresh = await cache.lookup(chat("Tell me a story"), ctx({ "cache-control": "no-cache" }));
    assert.equal(refresh.verdict, "bypass");
    assert.equal(refresh.namespace, requestKey(chat("Tell me a story"), "local:stories").namespace);
    cache.close();
    assert.equal(committedBypasses(), 4);
  });

  it("a bypass whose namespace row cannot be written yet (the database busy) is kept and counted later", async () => {
    const cache = makeCache(t.db);
    await cache.lookup(chat("hello"), ctx({ "x-hotpath-cache": "bypass" }));
    flushWhileBusy(cache); // keys it now: its row's write finds the lock taken
    assert.equal(committedBypasses(), 0);
    assert.equal(cache.stats().totals.bypasses, 1);
    assert.equal(committedBypasses(), 1);
    cache.close();
  });
});
