// `--threads auto`: a model's first load calibrates prefill and decode thread counts on its own context, the choice
// is remembered per model file and CPU, a fixed count skips it, and per-batch thread counts change no output.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { llamaRuntime } from "../../../daemon/engine/llama.js";
import { LocalModel } from "../../../daemon/engine/model.js";
import { threadCandidates } from "../../../daemon/engine/threads/calibrate.js";
import { BUSY_OTHERS_SHARE, contextThreads, describeThreads } from "../../../daemon/engine/threads/choose.js";
import { machineBusyMs } from "../../../daemon/engine/threads/contention.js";
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

  // What is remembered must not depend on how busy the test machine is: these loads remember whatever they measure
  // (the busy rule has its own test below).
  async function load(
    path: string,
    threads: number | "auto",
    file: string,
    busyOthersShare = Infinity,
  ): Promise<LocalModel> {
    const llama = await llamaRuntime("off", contextThreads(threads));
    return LocalModel.load(llama, {
      busyOthersShare,
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

  it("a calibration while other processes keep every core busy is used for that load, said, and not remembered", async function () {
    if (machineBusyMs() === undefined) return this.skip(); // the OS does not say how busy it is (not Linux)
    const file = join(dir, "busy.json");
    // Plain busy loops, one per core, at the test's own priority: what a compile or a test run beside the daemon does.
    const burners = Array.from({ length: availableParallelism() }, () =>
      spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
    );
    let busy: LocalModel;
    try {
      await new Promise((r) => setTimeout(r, 300));
      busy = await load(chatModelPath(), "auto", file, BUSY_OTHERS_SHARE);
    } finally {
      for (const b of burners) b.kill("SIGKILL");
    }
    try {
      assert.equal(busy.threads.source, "calibrated");
      assert.ok(
        (busy.threads.othersShare ?? 0) > BUSY_OTHERS_SHARE,
        `other processes' share of the CPU measured ${busy.threads.othersShare}`,
      );
      assert.equal(busy.threads.provisional, true);
      assert.match(describeThreads(busy.threads), /used for this load only, measured again on the next/);
      assert.equal(existsSync(file), false, "nothing remembered");
    } finally {
      await busy.dispose();
    }
    // The next load measures again (a remembered choice would say "remembered").
    const again = await load(chatModelPath(), "auto", file);
    try {
      assert.equal(again.threads.source, "calibrated");
      assert.ok(again.threads.othersShare === undefined || again.threads.othersShare >= 0);
    } finally {
      await again.dispose();
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
