// keep_alive values as Ollama documents them: durations with a unit, plain seconds, 0, and negative = keep loaded.
import assert from "node:assert/strict";
import { describeKeepAlive, FOREVER, KeepAliveSchema, parseKeepAlive } from "../../../daemon/models/keep-alive.js";

describe("models: keep_alive", function () {
  it("reads durations, seconds, 0 and negative values", function () {
    assert.equal(parseKeepAlive("10m"), 600_000);
    assert.equal(parseKeepAlive("30s"), 30_000);
    assert.equal(parseKeepAlive("1.5h"), 5_400_000);
    assert.equal(parseKeepAlive("500ms"), 500);
    assert.equal(parseKeepAlive("300"), 300_000, "a bare number string is seconds");
    assert.equal(parseKeepAlive(120), 120_000, "a JSON number is seconds");
    assert.equal(parseKeepAlive(0), 0);
    assert.equal(parseKeepAlive("0"), 0);
    assert.equal(parseKeepAlive(-1), FOREVER);
    assert.equal(parseKeepAlive("-5m"), FOREVER);
  });

  it("refuses what is not a duration, naming the field", function () {
    for (const bad of ["soon", "10 minutes", "", "5d", Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(parseKeepAlive(bad as string | number), undefined, String(bad));
      const r = KeepAliveSchema.safeParse(bad);
      assert.equal(r.success, false);
      // (NaN and Infinity cannot come in JSON; zod's number type refuses them before the duration check.)
      if (typeof bad === "string") assert.match(r.error!.issues[0].message, /keep_alive/);
    }
  });

  it("says durations the way ps shows them", function () {
    assert.equal(describeKeepAlive(600_000), "10 min");
    assert.equal(describeKeepAlive(-1), "forever");
    assert.equal(describeKeepAlive(0), "0 s");
    assert.equal(describeKeepAlive(1500), "1500 ms");
  });
});
