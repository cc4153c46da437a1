// V8's collections on demand (daemon/heap-gc.ts), used by the daemon's thread once its loop is quiet and by an import
// thread waiting between jobs: each is the collection it says, and no other code gets a `gc` function out of it.
import assert from "node:assert/strict";
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { runInNewContext } from "node:vm";
import { fullCollection, youngCollection } from "../../daemon/heap-gc.js";

/** The kinds of V8 collections that started while `collect` ran. */
async function kindsDuring(collect: () => void): Promise<number[]> {
  // Only collections that started during the call count: V8 runs its own (a full one once seen here in CI, kinds
  // 1 and 4) while the entries are awaited, and the process's heap holds what earlier tests left.
  const entries: { kind: number; startTime: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind: number } })[])
      entries.push({ kind: e.detail!.kind, startTime: e.startTime });
  });
  observer.observe({ entryTypes: ["gc"] });
  let from = 0;
  let to = 0;
  try {
    from = performance.now();
    collect();
    to = performance.now();
    await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
  } finally {
    observer.disconnect();
  }
  return entries.filter((e) => e.startTime >= from && e.startTime <= to).map((e) => e.kind);
}

describe("heap-gc: V8's collections on demand", () => {
  it("youngCollection runs V8's young-generation collection, not a full one", async () => {
    const collect = youngCollection();
    assert.ok(collect, "V8 gives the gc function");
    const kinds = await kindsDuring(collect);
    assert.ok(
      kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR),
      `a minor collection ran (kinds: ${kinds.join(", ")})`,
    );
    assert.ok(
      !kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR),
      `no full collection ran (kinds: ${kinds.join(", ")})`,
    );
  });

  it("fullCollection runs a full collection, and frees what nothing holds", async () => {
    const collect = fullCollection();
    assert.ok(collect, "V8 gives the gc function");
    const held = new WeakRef(Array.from({ length: 200_000 }, (_, i) => ({ i, text: `garbage ${i}` })));
    // A WeakRef's target lives at least until the turn that made it ends.
    await new Promise((r) => setImmediate(r));
    const kinds = await kindsDuring(collect);
    assert.ok(
      kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR),
      `a full collection ran (kinds: ${kinds.join(", ")})`,
    );
    assert.equal(held.deref(), undefined, "the garbage is gone");
  });

  it("exposes no gc function to other code", () => {
    assert.ok(fullCollection() && youngCollection());
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
    assert.equal(runInNewContext("typeof gc"), "undefined");
  });
});
