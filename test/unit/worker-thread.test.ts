// startWorker's niceStep lowers the worker thread's priority before its module is loaded, so that compiling and
// evaluating a large bundle (a trace import's ~1 MB, once per import) runs below the event loop too; lowering it from
// inside the module's body, as the import and OTLP workers did, left everything before that body at the daemon's.
import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { startWorker } from "../../daemon/worker-thread.js";

const fixtures = new URL("../fixtures/workers/", import.meta.url).href;

function report(niceStep: number): Promise<{ whileLoading: number; running: number }> {
  // A caller URL that is not a .ts file: the bundled path (the daemon's own case once built).
  const worker = startWorker(`${fixtures}host.mjs`, "./priority-entry.mjs", "./unused.ts", {}, niceStep);
  return new Promise((resolve, reject) => {
    worker.once("message", (m) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", reject);
  });
}

describe("worker threads: priority from the first instruction", function () {
  it("a worker started with niceStep 5 runs 5 below the process, already while its imports are evaluated", async function () {
    const base = getPriority();
    if (base + 5 > 19) this.skip(); // already at the lowest priority: nothing to lower
    assert.deepEqual(await report(5), { whileLoading: base + 5, running: base + 5 });
  });

  it("without niceStep the worker keeps the process's priority", async () => {
    const base = getPriority();
    assert.deepEqual(await report(0), { whileLoading: base, running: base });
  });
});
