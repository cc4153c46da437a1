import assert from "node:assert/strict";
import perfHooks from "node:perf_hooks";
import { collectDefaultMetrics, Registry } from "prom-client";
import { EventLoopDelay, LoopSampler, RESOLUTION_MS, withLoopSampler } from "../../../daemon/server/event-loop.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Holds the event loop for `ms` (what a slow request does). */
function hold(ms: number): void {
  const t = performance.now();
  while (performance.now() - t < ms);
}
async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !what(); i++) await sleep(10);
  assert.ok(what(), "the state never came");
}
const msOf = (ns: number) => ns / 1e6 - RESOLUTION_MS;

describe("event-loop sampling", function () {
  const samplers: LoopSampler[] = [];
  const sampler = (lingerMs: number) => {
    const s = new LoopSampler(lingerMs);
    samplers.push(s);
    return s;
  };
  afterEach(() => samplers.splice(0).forEach((s) => s.stop()));

  it("stops once no request is open for the linger time, and starts again when one arrives", async function () {
    const s = sampler(50);
    assert.equal(s.sampling, true);
    await until(() => !s.sampling);
    s.enter();
    assert.equal(s.sampling, true);
    await sleep(150);
    assert.equal(s.sampling, true, "a request still open keeps it sampling");
    s.leave();
    await until(() => !s.sampling);
    s.wake();
    assert.equal(s.sampling, true);
  });

  it("counts the paused time as samples of no delay", async function () {
    const s = sampler(0);
    await until(() => !s.sampling);
    const h = s.histogram();
    const loop = new EventLoopDelay(s, 3600);
    await sleep(250);
    assert.ok(h.count >= 250 / RESOLUTION_MS - 1, `${h.count} samples over 250 ms`);
    assert.equal(msOf(h.percentile(50)), 0);
    assert.equal(msOf(h.max), 0);
    assert.equal(msOf(h.mean), 0);
    const w = loop.snapshot().current;
    assert.ok(w.samples >= 24);
    assert.deepEqual([w.p50Ms, w.p99Ms, w.maxMs], [0, 0, 0]);
    loop.close();
  });

  it("sees a hold that starts right after sampling resumes, and not the pause before it", async function () {
    const s = sampler(0);
    await until(() => !s.sampling);
    const h = s.histogram();
    await sleep(600);
    s.enter();
    hold(60);
    await sleep(3 * RESOLUTION_MS);
    s.leave();
    // monitorEventLoopDelay recorded the whole pause as its first sample after enable() (600 ms here).
    assert.ok(msOf(h.max) >= 50, `the 60 ms hold read as ${msOf(h.max)} ms`);
    assert.ok(msOf(h.max) < 500, `the pause read as a hold of ${msOf(h.max)} ms`);
    // The idle samples are the lower ones: the median is no delay, the top percentile the hold.
    assert.equal(msOf(h.percentile(50)), 0);
    assert.ok(msOf(h.percentile(100)) >= 50);
  });

  it("feeds prom-client's event-loop lag gauges instead of a timer of their own", async function () {
    const s = sampler(0);
    const registry = new Registry();
    const original = perfHooks.monitorEventLoopDelay;
    withLoopSampler(s, () => collectDefaultMetrics({ register: registry, prefix: "t_" }));
    assert.equal(perfHooks.monitorEventLoopDelay, original, "the swap lasts only the call");
    await until(() => !s.sampling);
    await registry.metrics(); // a scrape resets prom-client's histogram
    await sleep(100);
    const text = await registry.metrics();
    const value = (name: string) => Number(new RegExp(`^t_${name} (\\S+)$`, "m").exec(text)?.[1]);
    // Paused the whole time: every sample is exactly the interval (a timer of its own would read a little over it).
    for (const name of ["nodejs_eventloop_lag_min_seconds", "nodejs_eventloop_lag_p50_seconds"])
      assert.equal(value(name), RESOLUTION_MS / 1000, name);
    assert.equal(value("nodejs_eventloop_lag_stddev_seconds"), 0);
  });
});
