import assert from "node:assert/strict";
import { Flights } from "../../../daemon/cache/flight.js";

describe("cache single-flight", () => {
  it("lets one lead, others wait for its value, and ends by itself after the limit", async () => {
    const f = new Flights<string>();
    assert.equal(f.lead("k", 10_000), true);
    assert.equal(f.lead("k", 10_000), false);
    const w = f.wait("k", 10_000);
    f.settle("k", "v");
    assert.equal(await w, "v");
    assert.equal(f.size, 0);
    f.lead("k2", 20);
    assert.equal(await f.wait("k2", 10_000), undefined, "leader never settled: the flight expires");
    assert.equal(f.size, 0);
    f.lead("k3", 10_000);
    assert.equal(await f.wait("k3", 10), undefined, "a waiter gives up after its own limit");
    f.settle("k3", undefined);
    assert.equal(await f.wait("nobody", 10), undefined);
  });
});
