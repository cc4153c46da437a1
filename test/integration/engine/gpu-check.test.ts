// The GPU check (daemon/engine/gpu-check.ts): a child process runs a generated model's batch and decode steps on the
// backend node-llama-cpp picks, so that a backend aborting at its first kernel ends the child, not the daemon. On this
// GPU-less machine the child runs the CPU build; the abort is a real one (llama.cpp on a model it aborts on).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { getLlamaGpuTypes } from "node-llama-cpp";
import { checkGpuInChild, type GpuCheck } from "../../../daemon/engine/gpu-check.js";
import { gpuVerdict, usableGpu } from "../../../daemon/engine/llama.js";
import type { LocalModelList } from "../../../daemon/api.js";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath, corruptModels } from "../../fixtures/models.js";

describe("engine: GPU check in a child process", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-gpu-check-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs a batch and decode steps in the child and reports the backend it got", async () => {
    const check = await checkGpuInChild("auto");
    assert.equal(check.ok, true, check.why);
    const supported = (await getLlamaGpuTypes("supported")).filter(Boolean);
    if (supported.length === 0) {
      assert.equal(check.gpu, false);
      assert.deepEqual(check.devices, []);
    }
  });

  it("contains an abort in llama.cpp: the child ends by its signal, with what it printed, and this process goes on", async () => {
    const models = corruptModels(dir);
    const check = await checkGpuInChild("auto", { modelPath: models.missingFeedForward });
    assert.equal(check.ok, false);
    // How it ended, and what llama.cpp said before it aborted (its assertion), not a backtrace's frames.
    assert.match(
      check.why ?? "",
      /^the check process was ended by SIGABRT: .*llama-model-loader\.cpp:\d+: GGML_ASSERT\(.*\) failed$/,
    );
  });

  it("gives up on a child that does not answer in time", async () => {
    const check = await checkGpuInChild("auto", { timeoutMs: 100 });
    assert.equal(check.ok, false);
    assert.match(check.why ?? "", /no answer within 0\.1 s/);
  });

  it("the daemon's bundle carries the child beside main.js, and it runs there", () => {
    const out = execFileSync(process.execPath, [join(dirname(DAEMON_BIN), "gpu-check-child.js"), '{"gpu":"auto"}'], {
      encoding: "utf8",
    });
    const report = JSON.parse(out.trim()) as { gpu: unknown; devices: unknown };
    assert.ok(Array.isArray(report.devices) && "gpu" in report, out);
  });

  it("an explicit backend this machine has no build for is refused with what it needs, through the real child", async function () {
    if ((await getLlamaGpuTypes("supported")).includes("cuda")) this.skip(); // a CUDA machine checks for real
    const lines: string[] = [];
    await assert.rejects(
      usableGpu("cuda", (level, m) => lines.push(`${level}: ${m}`)),
      /^Error: --gpu cuda: the cuda backend could not run a model \(the check process exited with code 1: NoBinaryFoundError\)\. node-llama-cpp has no build for it that loads here: .*libcuda\.so\.1.* Start with --gpu auto/,
    );
    // Announced first: on a GPU's first use the check waits for the driver's compilation (47 s on an H200).
    assert.match(lines.join("\n"), /^info: GPU check: running a small model on the cuda backend .*a minute or two/);
  });

  it("needs no child where there is nothing to check", async function () {
    assert.equal(await usableGpu("off"), false);
    if ((await getLlamaGpuTypes("supported")).some(Boolean)) this.skip(); // a GPU machine checks for real
    const started = performance.now();
    assert.equal(await usableGpu("auto"), false);
    assert.ok(performance.now() - started < 5_000, "auto on a GPU-less machine asks node-llama-cpp's detection only");
  });
});

describe("engine: what a GPU check's result means", () => {
  // What the child said on an H200 with driver 580.159 (CUDA 13.0), node-llama-cpp 3.22.1's CUDA build.
  const h200: GpuCheck = {
    ok: false,
    gpu: false,
    devices: [],
    why: "the check process was ended by SIGABRT: /home/runner/work/node-llama-cpp/node-llama-cpp/llama/llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error",
    ms: 2400,
  };
  const logs = () => {
    const lines: string[] = [];
    return { lines, log: (level: string, m: string) => lines.push(`${level}: ${m}`) };
  };

  it("auto: serves on the CPU, and the warning says what failed and what to do", () => {
    const { lines, log } = logs();
    assert.equal(gpuVerdict("auto", h200, log, "cuda"), false);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^warn: the cuda backend could not run a model \(the check process was ended by SIGABRT: .*CUDA error\); serving local models on the CPU/,
    );
    assert.match(lines[0], /R590 or newer driver: update the NVIDIA driver\.$/);
  });

  it("an explicit backend is refused with the reason, never swapped silently", () => {
    const { lines, log } = logs();
    assert.throws(
      () => gpuVerdict("cuda", h200, log),
      /^Error: --gpu cuda: the cuda backend could not run a model \(.*SIGABRT.*\)\. .*R590 or newer driver: update the NVIDIA driver\. Start with --gpu auto \(the CPU where the GPU fails\) or --gpu off\.$/,
    );
    assert.throws(
      () => gpuVerdict("vulkan", { ...h200, why: "no answer within 120 s" }, log),
      /--gpu vulkan: the vulkan backend could not run a model \(no answer within 120 s\)\. Start with --gpu auto \(the CPU where the GPU fails\) or --gpu off\.$/,
    );
    assert.deepEqual(lines, []);
  });

  it("a check that ran kernels keeps its backend and says where", () => {
    const { lines, log } = logs();
    const ok: GpuCheck = { ok: true, gpu: "cuda", devices: ["NVIDIA H200"], ms: 2100 };
    assert.equal(gpuVerdict("auto", ok, log), "cuda");
    assert.deepEqual(lines, ["info: GPU check: cuda ran kernels on NVIDIA H200 (2100 ms)"]);
    assert.equal(gpuVerdict("auto", { ok: true, gpu: false, devices: [], ms: 900 }, log), false);
  });
});

describe("daemon: --gpu auto where the GPU check fails", function () {
  this.timeout(180_000);
  let daemon: TestDaemon | undefined;
  let libs: string;
  before(() => (libs = mkdtempSync(join(tmpdir(), "hotpath-cuda-names-"))));
  after(async () => {
    await daemon?.dispose();
    rmSync(libs, { recursive: true, force: true });
  });

  it("serves on the CPU and says why, in the log, the models API and `hotpath ps`", async function () {
    if ((await getLlamaGpuTypes("supported")).some(Boolean)) this.skip(); // a GPU machine checks its own GPU
    // node-llama-cpp detects CUDA by its libraries' names on the library path; empty files by those names make it
    // find a CUDA it cannot load (what a broken driver install looks like), so the daemon's check runs and fails.
    for (const name of ["libnvidia-ml.so.1", "libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"])
      writeFileSync(join(libs, name), "");
    daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`, "--gpu", "auto"],
      env: { LD_LIBRARY_PATH: libs },
      waitForModels: ["chat"],
    });
    const why = /node-llama-cpp found cuda libraries but no GPU build of its loaded with them/;
    assert.match(daemon.output(), new RegExp(`${why.source}; serving local models on the CPU\\. .*libcuda\\.so\\.1`));
    const res = await daemon.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }),
    });
    assert.equal(res.status, 200, await res.text());
    const { data } = (await (await daemon.fetch("/hotpath/models")).json()) as LocalModelList;
    const chat = data.find((m) => m.alias === "chat")!;
    assert.equal(chat.gpu, false);
    assert.match(chat.gpuFallback ?? "", new RegExp(`^${why.source}$`));
    const ps = execFileSync(process.execPath, [DAEMON_BIN, "ps", "--data-dir", daemon.dataDir], { encoding: "utf8" });
    assert.match(ps, /^chat\s+ready\s+\S+ [kMG]?B\s+CPU \(GPU not used\)/m);
    assert.match(ps, new RegExp(`^CPU instead of the GPU: ${why.source}\\. See docs/models\\.md#gpu\\.$`, "m"));
  });
});
