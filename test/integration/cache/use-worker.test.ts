// The USE embedder runs TensorFlow.js in a worker thread: the vectors must be exactly those the same model gives on
// the calling thread, batches queue for the one worker, and an idle worker never keeps a process (a CLI) alive.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { embedWith, loadUseModel } from "../../../daemon/cache/embedders/use-model.js";
import { UseEmbedder } from "../../../daemon/cache/embedders/use.js";
import { repoRoot } from "../../fixtures/models.js";

const TEXTS = [
  "How do I reverse a linked list in Python?",
  "What's the capital of France?",
  "",
  "   ",
  "ünïcödé — 日本語のテキスト 😀",
  "word ".repeat(400),
  "Explain the difference between TCP and UDP in two sentences.",
];

describe("cache: the USE embedder in a worker thread", function () {
  this.timeout(180_000);
  const embedder = new UseEmbedder();
  after(() => embedder.dispose());

  it("gives exactly the vectors the model computes on the main thread, in order, for batches queued at once", async function () {
    const model = await loadUseModel();
    const here = await embedWith(model, TEXTS);
    // A text alone embeds a little differently from the same text in a batch (TensorFlow.js pads the batch), on any
    // thread: each is compared with its own kind.
    const hereAlone: Float32Array[] = [];
    for (const t of TEXTS) hereAlone.push((await embedWith(model, [t]))[0]);
    // Queued together: one batch, then single texts, all waiting for the one worker.
    const [batch, ...singles] = await Promise.all([embedder.embed(TEXTS), ...TEXTS.map((t) => embedder.embed([t]))]);
    assert.equal(batch.length, TEXTS.length);
    for (let i = 0; i < TEXTS.length; i++) {
      assert.equal(batch[i].length, 512);
      assert.deepEqual([...batch[i]], [...here[i]], `text ${i} (batch)`);
      assert.deepEqual([...singles[i][0]], [...hereAlone[i]], `text ${i} (alone)`);
    }
    assert.deepEqual(await embedder.embed([]), []);
  });

  it("keeps the event loop free while it embeds (the vectors are computed on another thread)", async function () {
    await embedder.embed(["warm"]);
    // Measured, not asserted against a time: the main thread's busiest moment while 40 texts embed is compared to
    // the time those embeds take; on the main thread the two would be about equal.
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => embedder.embed([`${TEXTS[i % TEXTS.length]} ${i}`])));
    const took = performance.now() - t0;
    h.disable();
    const maxHoldMs = h.max / 1e6;
    assert.ok(maxHoldMs < took / 2, `the event loop was held ${maxHoldMs.toFixed(0)} ms of ${took.toFixed(0)} ms`);
  });

  it("restarts after dispose, and an idle worker does not keep a process from exiting", async function () {
    const e = new UseEmbedder();
    const [a] = await e.embed(["same text"]);
    await e.dispose();
    // Disposed while its worker starts: the waiting batch is refused, and the next one starts a new worker.
    const refused = assert.rejects(e.embed(["x"]), /disposed/);
    await e.dispose();
    await refused;
    const [b] = await e.embed(["same text"]);
    assert.deepEqual([...a], [...b]);
    await e.dispose();
    // A script that embeds once and does nothing else must end by itself (no unref: it would hang until killed).
    const script = `import { UseEmbedder } from ${JSON.stringify(`${repoRoot}/daemon/cache/embedders/use.ts`)};
      const v = await new UseEmbedder().embed(["hello"]); console.log("dims", v[0].length);`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.signal, null, `the process did not exit by itself: ${run.stderr}`);
    assert.match(run.stdout, /dims 512/, run.stderr);
  });
});
