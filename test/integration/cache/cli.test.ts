// `hotpath cache stats | inspect | clear` (the built CLI) against a data dir that holds real cache entries.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CacheEntries, CacheStats } from "../../../daemon/api.js";
import { dataPaths } from "../../../daemon/config.js";
import { openDb } from "../../../daemon/db.js";
import { DAEMON_BIN } from "../../fixtures/daemon.js";
import { answer, chat, ctx, makeCache } from "./helpers.js";

function hotpath(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [DAEMON_BIN, "--data-dir", dataDir, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("cache: CLI", function () {
  this.timeout(120_000);
  let dataDir: string;
  let namespace: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "hotpath-cli-"));
    const db = openDb(dataPaths(dataDir).db);
    const cache = makeCache(db);
    for (const q of ["How do I reset my password?", "What is a monad?"]) {
      namespace = (await cache.lookup(chat(q), ctx())).namespace!;
      await cache.store(chat(q), ctx(), answer(`About: ${q}`), { latencyMs: 900 });
    }
    await cache.lookup(chat("How can I reset my password?"), ctx());
    cache.close(); // lookup counts are committed on a timer or on close, not with each lookup
    db.close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("stats: human and JSON", () => {
    const human = hotpath(dataDir, "cache", "stats");
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /entries 2 /);
    assert.match(human.out, /hits 1 \(1 semantic\) · misses 2/);
    assert.match(human.out, /saved \d+ tokens · 900 ms/);
    const json = hotpath(dataDir, "cache", "stats", "--json");
    const s = JSON.parse(json.out) as CacheStats;
    assert.equal(s.entries, 2);
    assert.equal(s.namespaces[0].namespace, namespace);
  });

  it("inspect: lists entries, filters by namespace, refuses a bad one", () => {
    const human = hotpath(dataDir, "cache", "inspect");
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /Q: How do I reset my password\?/);
    assert.match(human.out, /A: About: How do I reset my password\?/);
    const json = JSON.parse(
      hotpath(dataDir, "cache", "inspect", "--json", "--namespace", namespace, "--limit", "1").out,
    ) as CacheEntries;
    assert.equal(json.entries.length, 1);
    const bad = hotpath(dataDir, "cache", "inspect", "--namespace", "'; DROP TABLE cache_entries; --");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /64-hex-digit/);
    const badLimit = hotpath(dataDir, "cache", "inspect", "--limit", "-3");
    assert.notEqual(badLimit.code, 0);
  });

  it("clear: one namespace, then everything", () => {
    const one = hotpath(dataDir, "cache", "clear", "--namespace", namespace);
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /cleared 2 entries/);
    assert.match(hotpath(dataDir, "cache", "clear").out, /cleared 0 entries/);
    assert.match(hotpath(dataDir, "cache", "inspect").out, /no entries/);
  });

  it("inspect --against names the defence that refuses and why (a subject swap), and keeps a paraphrase", async () => {
    const db = openDb(dataPaths(dataDir).db);
    const cache = makeCache(db);
    await cache.store(chat("In 2010, Lee founded the company with Park."), ctx(), answer("Lee"), { latencyMs: 900 });
    db.close();
    const swapped = hotpath(
      dataDir,
      "cache",
      "inspect",
      "--against",
      "In 2010, Park, together with Lee, founded the company.",
    );
    assert.equal(swapped.code, 0, swapped.err);
    assert.match(swapped.out, /refused by the subject defence: "founded" is done by "Park" in the query, by "Lee"/);
    const same = hotpath(dataDir, "cache", "inspect", "--against", "In 2010 Lee founded the company with Park.");
    assert.match(same.out, /no defence refuses it/);
  });
});
