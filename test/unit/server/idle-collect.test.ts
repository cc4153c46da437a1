// The daemon's thread collects what requests left behind once its loop is quiet (daemon/server/idle-collect.ts): the
// rule (quiet loop and enough growth since the last collection; live memory raises the floor), and the real thing in
// a fresh process — dead Buffers that V8 keeps for good while nothing allocates are freed within a few checks, and no
// other code gets a `gc` function out of it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runInNewContext } from "node:vm";
import { collectWhenIdle, IdleCollection } from "../../../daemon/server/idle-collect.js";

const MB = 1024 * 1024;

/** A child process that makes `mb` of dead Buffers, waits `waitMs` (with or without the idle checks), and reports. */
function deadBuffers(withChecks: boolean, mb = 128, waitMs = 2500): { rssBefore: number; rssAfter: number } {
  const source = `
    import { collectWhenIdle } from ${JSON.stringify(new URL("../../../daemon/server/idle-collect.ts", import.meta.url).href)};
    // RSS, not V8's external_memory: that count is brought up to date only by a later collection.
    const rss = () => Math.round(process.memoryUsage.rss() / ${MB});
    if (${withChecks}) collectWhenIdle();
    let keep = [];
    for (let i = 0; i < ${mb * 4}; i++) keep.push(Buffer.alloc(256 * 1024, 1));
    await new Promise((r) => setTimeout(r, 50));
    keep = null;
    const rssBefore = rss();
    await new Promise((r) => setTimeout(r, ${waitMs}));
    console.log(JSON.stringify({ rssBefore, rssAfter: rss() }));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("server: idle collection of what requests left behind", function () {
  this.timeout(120_000);

  it("collects when the loop is quiet and use grew by the threshold since the least seen", () => {
    const rule = new IdleCollection(Infinity, 32 * MB, 0.1);
    assert.equal(rule.check(0, 100 * MB), false, "nothing grew yet");
    assert.equal(rule.check(0, 120 * MB), false, "20 MB is under the threshold");
    assert.equal(rule.check(0.5, 140 * MB), false, "the loop is busy: V8 collects as it allocates");
    assert.equal(rule.check(0.02, 140 * MB), true, "quiet, and 40 MB more than the floor");
  });

  it("memory that survives a collection raises the floor: it is not collected again until it grows as much once more", () => {
    const rule = new IdleCollection(Infinity, 32 * MB, 0.1);
    rule.check(0, 100 * MB);
    assert.equal(rule.check(0, 200 * MB), true);
    // Live memory: the collection freed nothing.
    assert.equal(rule.check(0, 200 * MB), false);
    assert.equal(rule.check(0, 220 * MB), false);
    assert.equal(rule.check(0, 240 * MB), true);
    // V8's own collection lowered use meanwhile: growth counts from there.
    assert.equal(rule.check(0, 150 * MB), false);
    assert.equal(rule.check(0, 175 * MB), false);
    assert.equal(rule.check(0, 185 * MB), true);
  });

  it("a quiet process frees dead Buffers within a few checks; without the checks V8 keeps them", () => {
    const without = deadBuffers(false);
    const withChecks = deadBuffers(true);
    assert.ok(without.rssAfter > without.rssBefore - 32, `V8 collected on its own: ${JSON.stringify(without)}`);
    assert.ok(withChecks.rssAfter < withChecks.rssBefore - 96, `not collected: ${JSON.stringify(withChecks)}`);
  });

  it("exposes no gc function to other code", () => {
    collectWhenIdle().stop();
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
    assert.equal(runInNewContext("typeof gc"), "undefined");
  });
});
