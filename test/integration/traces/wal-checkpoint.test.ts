// WAL checkpoints run on a worker thread's connection, not inside the daemon's commits (daemon/db-checkpoint.ts).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../../daemon/db.js";
import { BACKSTOP_PAGES, checkpointOffThread } from "../../../daemon/db-checkpoint.js";
import { TraceStore } from "../../../daemon/traces/store.js";

describe("WAL checkpoints off the event loop", function () {
  this.timeout(60_000);
  const span = (i: number) => ({
    traceId: i.toString(16).padStart(32, "0"),
    spanId: i.toString(16).padStart(16, "0"),
    name: "chat fake:bench",
    kind: "llm" as const,
    startNs: 1e15 + i,
    endNs: 1e15 + i + 1,
    status: "ok" as const,
    requestId: `req_${i}`,
    attributes: { "gen_ai.input.messages": "x".repeat(2_000), "hotpath.timings.ttft_ms": i },
  });

  it("the worker copies the committed pages into the database file; the commits themselves do not", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-ckpt-"));
    const file = join(dir, "hotpath.db");
    const db = openDb(file);
    const logged: string[] = [];
    const checkpoints = checkpointOffThread(db, file, (m) => logged.push(m));
    try {
      assert.equal(db.pragma("wal_autocheckpoint", { simple: true }), BACKSTOP_PAGES);
      const store = new TraceStore(db);
      const before = statSync(file).size;
      // ~1,500 pages: past SQLite's default automatic checkpoint (1,000), under the backstop.
      for (let i = 0; i < 300; i++) store.writeSpans([span(i)], "daemon");
      const until = Date.now() + 10_000;
      while (statSync(file).size < before + 1_000_000 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        statSync(file).size >= before + 1_000_000,
        `the database file grew: ${before} → ${statSync(file).size}`,
      );
      assert.equal(store.countSpans(), 300);
      assert.deepEqual(logged, []);
    } finally {
      await checkpoints.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a closed checkpointer's worker is gone and the database closes and reopens whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-ckpt-"));
    const file = join(dir, "hotpath.db");
    const db = openDb(file);
    const checkpoints = checkpointOffThread(db, file, () => {});
    new TraceStore(db).writeSpans([span(1)], "daemon");
    await checkpoints.close();
    db.close();
    const again = openDb(file);
    try {
      assert.equal(new TraceStore(again).countSpans(), 1);
    } finally {
      again.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
