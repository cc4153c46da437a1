// `--threads auto`: a model's first load calibrates prefill and decode thread counts on its own context, the choice
// is remembered per model file and CPU, a fixed count skips it, and per-batch thread counts change no output.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { llamaRuntime } from "../../../daemon/engine/llama.js";
import { LocalModel } from "../../../daemon/engine/model.js";
import { threadCandidates } from "../../../daemon/engine/threads/calibrate.js";
import { contextThreads } from "../../../daemon/engine/threads/choose.js";
import { ThreadChoices } from "../../../daemon/engine/threads/remembered.js";
import { chatModelPath, generatedModelPath } from "../../fixtures/models.js";

describe("engine: --threads auto", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-threads-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("candidates are 1, powers of two and the core count", function () {
    assert.deepEqual(threadCandidates(1), [1]);
    assert.deepEqual(threadCandidates(2), [1, 2]);
    assert.deepEqual(threadCandidates(6), [1, 2, 4, 6]);
    assert.deepEqual(threadCandidates(64), [1, 2, 4, 8, 64]);
  });

  async function load(path: string, threads: number | "auto", file: string): Promise<LocalModel> {
    const llama = await llamaRuntime("off", contextThreads(threads));
    return LocalModel.load(llama, {
      alias: "m",
      path,
      contextSize: 512,
      sequences: 1,
      threads,
      threadChoices: new ThreadChoices(file),
      maxQueued: 1,
      gpuLayers: 0,
    });
  }

  async function greedy(model: LocalModel, prompt: string): Promise<number[]> {
    const sequence = model.pool.sequences[0];
    await sequence.clearHistory();
    const out: number[] = [];
    for await (const token of sequence.evaluate(model.model.tokenize(prompt), { temperature: 0 })) {
      out.push(token);
      if (out.length >= 24) break;
    }
    return out;
  }

  it("calibrates on first load, remembers the choice, and a fixed count skips both", async function () {
    const file = join(dir, "threads.json");
    const path = chatModelPath();
    const first = await load(path, "auto", file);
    let calibratedOutput: number[];
    try {
      assert.equal(first.threads.source, "calibrated");
      assert.deepEqual(
        first.threads.measurements?.map((m) => m.threads),
        threadCandidates(availableParallelism()),
      );
      for (const m of first.threads.measurements!)
        assert.ok(m.prefillTokensPerS > 0 && m.decodeTokensPerS > 0, JSON.stringify(m));
      assert.ok(first.threads.prefill >= 1 && first.threads.decode >= 1);
      // A long prompt (prefill batch) and single-token decode steps both run through the per-batch counts.
      calibratedOutput = await greedy(
        first,
        "Once upon a time, there was a little dog who liked to run in the park with his friends.",
      );
    } finally {
      await first.dispose();
    }
    const saved = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(Object.keys(saved.entries).length, 1);
    const entry = Object.values(saved.entries)[0] as { prefill: number; decode: number; model: string };
    assert.equal(entry.model, path);

    const second = await load(path, "auto", file);
    try {
      assert.equal(second.threads.source, "remembered");
      assert.equal(second.threads.prefill, entry.prefill);
      assert.equal(second.threads.decode, entry.decode);
    } finally {
      await second.dispose();
    }

    const fixedFile = join(dir, "fixed.json");
    const fixed = await load(path, 1, fixedFile);
    try {
      assert.deepEqual(fixed.threads, { prefill: 1, decode: 1, source: "fixed" });
      assert.equal(existsSync(fixedFile), false);
      // Same greedy tokens whatever the thread counts.
      assert.deepEqual(
        await greedy(fixed, "Once upon a time, there was a little dog who liked to run in the park with his friends."),
        calibratedOutput,
      );
    } finally {
      await fixed.dispose();
    }
  });

  it("a different model file gets its own calibration", async function () {
    const file = join(dir, "two.json");
    for (const path of [chatModelPath(), generatedModelPath()]) {
      const m = await load(path, "auto", file);
      await m.dispose();
    }
    const keys = Object.keys(JSON.parse(readFileSync(file, "utf8")).entries);
    assert.equal(new Set(keys).size, chatModelPath() === generatedModelPath() ? 1 : 2);
  });
});
