// Entry counts and byte totals (cache stats, and the caps checked after every insert) come from an index: summing
// `bytes` from the table walks every entry's overflow pages, ~1 s per query with a few hundred 1 MB prompts stored.
import assert from "node:assert/strict";
import { CacheStore } from "../../../daemon/cache/store.js";
import { openDb } from "../../../daemon/db.js";

describe("cache store: sizes read from an index", () => {
  it("answers the totals and per-namespace counts without reading the entries' rows", () => {
    const db = openDb(":memory:");
    new CacheStore(db);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    assert.match(plan("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cache_entries"), /COVERING INDEX/);
    assert.match(
      plan("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cache_entries e WHERE e.namespace = 'x'"),
      /COVERING INDEX/,
    );
    db.close();
  });
});
