// The bit indexes fill when a cache opens, off the request path: in place for a small cache, in a worker thread for a
// large one (here "large" is lowered to 100 vectors). Entries stored or deleted while the worker reads are kept
// straight, and an old database's vec0 tables are dropped by the migration.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sqliteVec from "sqlite-vec";
import { normalize } from "../../../daemon/cache/embedder.js";
import { CacheStore, type NewEntry } from "../../../daemon/cache/store.js";
import { openDb } from "../../../daemon/db.js";

const EMBEDDER = "test-embedder";
const DIMS = 64;

function vector(seed: number): Float32Array {
  const v = new Float32Array(DIMS);
  for (let d = 0; d < DIMS; d++)
    v[d] =
      Math.sin(seed * 12.9898 + d * 78.233) * 43758.5453 -
      Math.floor(Math.sin(seed * 12.9898 + d * 78.233) * 43758.5453) -
      0.5;
  return normalize(v);
}

function entry(i: number, namespace: string): NewEntry {
  const now = Date.now();
  return {
    exact_key: `key-${namespace}-${i}`,
    namespace,
    kind: "chat",
    route: "local:test",
    model: "test",
    workload: "conversation",
    match: "semantic",
    query_text: `question ${i}`,
    request: "{}",
    response: "{}",
    created_ms: now,
    expires_ms: now + 3_600_000,
    prompt_tokens: 1,
    completion_tokens: 1,
    latency_ms: 1,
    cost_usd: 0,
  };
}

function fill(file: string, perNamespace: number): void {
  const db = openDb(file);
  const store = new CacheStore(db);
  db.transaction(() => {
    for (let i = 0; i < perNamespace; i++)
      for (const ns of ["ns-a", "ns-b"])
        store.put(entry(i, ns), { embedder: EMBEDDER, vector: vector(i + (ns === "ns-b" ? 1e4 : 0)) });
  })();
  db.close();
}

describe("cache: bit indexes load when the store opens", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-index-load-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a small cache is loaded in place, before the first lookup", () => {
    const file = join(dir, "h.db");
    fill(file, 40);
    const db = openDb(file);
    try {
      const store = new CacheStore(db);
      assert.equal(store.indexState, "complete");
      assert.equal(store.loadStats?.inWorker, false);
      assert.equal(store.indexed(EMBEDDER, "ns-a"), 40);
      const [best] = store.nearest(EMBEDDER, "ns-a", vector(17), 8, Date.now(), 1);
      assert.equal(best.queryText, "question 17");
      assert.ok(best.similarity > 0.999);
    } finally {
      db.close();
    }
  });

  it("a large cache is loaded by a worker; stores and deletes meanwhile are kept straight", async () => {
    const file = join(dir, "h.db");
    fill(file, 300);
    const db = openDb(file);
    try {
      const store = new CacheStore(db, { syncLoadRows: 100 });
      assert.equal(store.indexState, "loading");
      // While the worker reads: one namespace cleared, one entry stored.
      store.clear({ namespace: "ns-b" });
      store.put(entry(999, "ns-a"), { embedder: EMBEDDER, vector: vector(999) });
      await store.ready;
      assert.equal(store.indexState, "complete");
      assert.equal(store.loadStats?.inWorker, true);
      assert.equal(store.indexed(EMBEDDER, "ns-a"), 301);
      assert.equal(store.indexed(EMBEDDER, "ns-b"), 0, "deleted entries were not brought back by a late batch");
      for (const i of [0, 150, 299, 999]) {
        const [best] = store.nearest(EMBEDDER, "ns-a", vector(i), 8, Date.now(), 1);
        assert.equal(best?.queryText, `question ${i}`);
      }
      assert.deepEqual(store.nearest(EMBEDDER, "ns-b", vector(1e4 + 5), 8, Date.now(), 1), []);
    } finally {
      db.close();
    }
  });

  it("workers' loaded indexes (two rowid ranges, sized once from the namespace counts) search like in-place ones", async () => {
    const file = join(dir, "h.db");
    fill(file, 1500);
    // Gaps in the rowids, and an expired entry: the ranges split what is there, not what could be.
    const setup = openDb(file);
    setup.exec("DELETE FROM cache_entries WHERE id % 7 = 0");
    setup.exec("UPDATE cache_entries SET expires_ms = 1 WHERE id = 10");
    setup.close();
    const a = openDb(file);
    const b = openDb(file);
    try {
      const inWorkers = new CacheStore(a, { syncLoadRows: 100 });
      const inPlace = new CacheStore(b);
      await inWorkers.ready;
      assert.equal(inWorkers.loadStats?.inWorker, true);
      assert.equal(inPlace.loadStats?.inWorker, false);
      assert.equal(inWorkers.loadStats?.rows, inPlace.loadStats?.rows);
      for (const ns of ["ns-a", "ns-b"]) assert.equal(inWorkers.indexed(EMBEDDER, ns), inPlace.indexed(EMBEDDER, ns));
      for (let i = 0; i < 40; i++) {
        const q = vector(i * 37 + 0.5);
        assert.deepEqual(
          inWorkers.nearest(EMBEDDER, "ns-a", q, 32, Date.now(), 32),
          inPlace.nearest(EMBEDDER, "ns-a", q, 32, Date.now(), 32),
        );
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("drops an old database's vec0 tables and keeps its entries searchable", () => {
    const file = join(dir, "h.db");
    fill(file, 10);
    const db = openDb(file);
    sqliteVec.load(db);
    // The cache:2 schema: a vec0 copy per embedder, named in cache_spaces.vec_table.
    db.exec(`
      DELETE FROM migrations WHERE name = 'cache:3-no-vec0';
      DROP TABLE cache_spaces;
      CREATE TABLE cache_spaces (embedder TEXT PRIMARY KEY, dims INTEGER NOT NULL, vec_table TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL);
      INSERT INTO cache_spaces VALUES ('${EMBEDDER}', ${DIMS}, 'cache_vec_0123456789abcdef', 0);
      CREATE VIRTUAL TABLE cache_vec_0123456789abcdef USING vec0(namespace TEXT PARTITION KEY, coarse bit[${DIMS}]);
    `);
    db.close();
    const again = openDb(file);
    try {
      const store = new CacheStore(again);
      const tables = again.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'cache_vec_%'").pluck().all();
      assert.deepEqual(tables, []);
      assert.deepEqual(again.prepare("SELECT embedder, dims FROM cache_spaces").all(), [
        { embedder: EMBEDDER, dims: DIMS },
      ]);
      assert.equal(store.nearest(EMBEDDER, "ns-a", vector(3), 8, Date.now(), 1)[0]?.queryText, "question 3");
    } finally {
      again.close();
    }
  });
});
