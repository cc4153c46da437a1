// The cache's tables survive kill -9 of a process in the middle of writing them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDb } from "../../../daemon/db.js";
import { answer, chat, ctx, makeCache } from "./helpers.js";

describe("cache: crash safety", function () {
  this.timeout(180_000);

  it("survives kill -9 while writing: integrity_check ok, vectors and entries agree, cache still answers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-crash-"));
    const file = join(dir, "hotpath.db");
    try {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", fileURLToPath(new URL("./crash-writer.ts", import.meta.url)), file],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const committed = await new Promise<number>((resolve, reject) => {
        let last = -1;
        child.stdout.on("data", (d: Buffer) => {
          for (const m of d.toString().matchAll(/stored (\d+)/g)) last = Number(m[1]);
          if (last >= 40) {
            child.kill("SIGKILL");
            resolve(last);
          }
        });
        child.on("exit", (code, signal) => {
          if (signal !== "SIGKILL") reject(new Error(`writer exited early (${code}): ${stderr}`));
        });
      });
      if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
      assert.equal(child.signalCode, "SIGKILL");

      const db = openDb(file);
      try {
        assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
        const cache = makeCache(db);
        const entries = cache.stats().entries;
        assert.ok(entries >= committed + 1, `every reported commit survived (${entries} ≥ ${committed + 1})`);
        const withoutVec = db
          .prepare("SELECT COUNT(*) FROM cache_entries WHERE embedder IS NOT NULL AND embedding IS NULL")
          .pluck()
          .get() as number;
        assert.equal(withoutVec, 0, "entry and vector are written in one row");
        const hit = await cache.lookup(chat("Question number 7: what is 7 squared?"), ctx());
        assert.equal(hit.verdict, "hit");
        // And it keeps working for writes.
        const req = chat("A question after the crash");
        await cache.lookup(req, ctx());
        assert.equal((await cache.store(req, ctx(), answer("fine"), { latencyMs: 1 })).stored, true);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
