// How long a request waits for a model still loading: the daemon's bounded wait ends in "still loading; retry
// shortly" (503 over HTTP); a one-shot command's unbounded wait (loadWaitMs: Infinity, `hotpath audit`) ends only when
// the model is loaded — or failed to load, never hanging on a file that cannot load.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelUnavailableError } from "../../../daemon/engine/engine.js";
import { chatModelPath, corruptModels } from "../../fixtures/models.js";
import { testEngine } from "../../fixtures/engine.js";

describe("engine: waiting for a model that is loading", function () {
  this.timeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), "hotpath-load-wait-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a bounded wait that runs out says the model is still loading", async () => {
    const engine = testEngine({ loadWaitMs: 0 });
    try {
      engine.add([{ alias: "m", source: chatModelPath() }]);
      await assert.rejects(engine.ready("m"), (e: unknown) => {
        assert.ok(e instanceof ModelUnavailableError);
        assert.match(e.message, /still loading .*retry shortly/);
        return true;
      });
    } finally {
      await engine.dispose();
    }
  });

  it("an unbounded wait returns the loaded model", async () => {
    const engine = testEngine({ loadWaitMs: Infinity });
    try {
      engine.add([{ alias: "m", source: chatModelPath() }]);
      const ready = await engine.ready("m");
      assert.equal(ready.state, "ready");
      assert.ok(ready.model);
    } finally {
      await engine.dispose();
    }
  });

  it("an unbounded wait on a file that cannot load ends with the load's error", async () => {
    const engine = testEngine({ loadWaitMs: Infinity });
    try {
      engine.add([{ alias: "bad", source: corruptModels(dir).truncated }]);
      await assert.rejects(engine.ready("bad"), (e: unknown) => {
        assert.ok(e instanceof ModelUnavailableError);
        assert.match(e.message, /failed to load/);
        return true;
      });
    } finally {
      await engine.dispose();
    }
  });
});
