// A model's chat wrapper is resolved in a worker (node-llama-cpp's Jinja checks take seconds for a ChatML template)
// and is the wrapper resolution on the event loop gives: same type, same settings, same prompts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getLlama, resolveChatWrapper, type Llama } from "node-llama-cpp";
import { validateGguf } from "../../../daemon/engine/gguf/validate.js";
import { llamaRuntime } from "../../../daemon/engine/llama.js";
import { LocalModel } from "../../../daemon/engine/model.js";
import { ChatWrapperResolution, resolutionsAsked } from "../../../daemon/models/chat-wrapper.js";
import { renderProbes } from "../../../daemon/models/chat-wrapper-probe.js";
import { generatedModelPath, SMALL_CHAT_PARAMS, sharedModelPath } from "../../fixtures/models.js";

describe("chat wrapper resolution off the event loop", function () {
  this.timeout(180_000);
  let llama: Llama;
  before(async () => (llama = await getLlama({ gpu: false })));
  after(() => llama?.dispose());

  const models: [string, () => string | undefined][] = [
    ["a generated ChatML model", () => generatedModelPath()],
    ["stories260K", () => sharedModelPath("stories260K.gguf")],
    ["llama-2-tiny-random", () => sharedModelPath("llama-2-tiny-random.gguf")],
  ];
  for (const [name, path] of models)
    it(`${name}: the worker's wrapper renders as the event loop's`, async function () {
      const file = path();
      if (!file) return this.skip(); // ../shared absent: the generated model still runs
      const resolution = new ChatWrapperResolution(file, (await validateGguf(file)).hasChatTemplate);
      const model = await llama.loadModel({ modelPath: file });
      try {
        let maxGap = 0;
        let last = performance.now();
        const ticker = setInterval(() => {
          maxGap = Math.max(maxGap, performance.now() - last);
          last = performance.now();
        }, 5);
        const inWorker = await resolution.wrapperFor(model, (m) => console.log(`      ${m}`));
        clearInterval(ticker);
        const started = performance.now();
        const onLoop = resolveChatWrapper(model);
        const onLoopMs = performance.now() - started;
        console.log(
          `      ${name}: ${inWorker.wrapper.wrapperName} via ${inWorker.source}; event loop held ≤ ${maxGap.toFixed(0)} ms meanwhile; resolving on the event loop took ${onLoopMs.toFixed(0)} ms`,
        );
        assert.equal(inWorker.wrapper.constructor, onLoop.constructor);
        assert.equal(renderProbes(inWorker.wrapper), renderProbes(onLoop));
        if (name.includes("ChatML"))
          assert.equal(inWorker.source, "worker", "a ChatML template resolves in the worker");
      } finally {
        await model.dispose();
      }
    });

  it("a model without a chat template asks no worker; one with a template does", async function () {
    // Without a template nothing is rendered to resolve. A worker asked anyway went on starting up (bundle compile,
    // node-llama-cpp's import) beside the thread calibration that follows the load — stories260K calibrated at
    // 0.4–0.6× its real speeds — and ending it mid start-up aborted the process (a Napi::Error thrown while the
    // worker was torn down; the fresh-clone CI's node suite died of it in the threads test).
    const plain = generatedModelPath({ ...SMALL_CHAT_PARAMS, omitMetadata: ["tokenizer.chat_template"] });
    const chatml = generatedModelPath();
    assert.equal((await validateGguf(plain)).hasChatTemplate, false);
    assert.equal((await validateGguf(chatml)).hasChatTemplate, true);

    // Through LocalModel.load, which reads the header first (fixed threads: no calibration).
    const before = resolutionsAsked();
    const runtime = await llamaRuntime("off", 1);
    const options = { alias: "m", contextSize: 256, sequences: 1, threads: 1, maxQueued: 1, gpuLayers: 0 };
    const local = await LocalModel.load(runtime, { ...options, path: plain });
    await local.dispose();
    assert.equal(resolutionsAsked(), before, "a model without a template asked the worker");
    const templated = await LocalModel.load(runtime, { ...options, path: chatml });
    await templated.dispose();
    assert.equal(resolutionsAsked(), before + 1, "a model with a template is resolved by the worker");

    // And directly: the worker's wrapper only where the file has a template.
    const model = await llama.loadModel({ modelPath: chatml });
    try {
      assert.equal((await new ChatWrapperResolution(chatml, true).wrapperFor(model)).source, "worker");
    } finally {
      await model.dispose();
    }
    const other = await llama.loadModel({ modelPath: plain });
    try {
      assert.equal((await new ChatWrapperResolution(plain, false).wrapperFor(other)).source, "event loop");
    } finally {
      await other.dispose();
    }
  });

  it("a process that resolved a wrapper in the worker exits when its work is done (the worker keeps nothing alive)", async function () {
    // `hotpath audit` stayed up for the worker's 2 min idle time after its report: a 'message' listener added after
    // unref() had made the worker's port keep the process alive again.
    const file = generatedModelPath();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./chat-wrapper-child.ts", import.meta.url)), file],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    let doneAt = 0;
    child.stdout.on("data", (d) => {
      out += d;
      if (!doneAt && out.includes("resolved via")) doneAt = performance.now();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, out);
    assert.match(out, /resolved via worker/);
    const lingerMs = performance.now() - doneAt;
    // The idle time is 120 s; a process kept alive by the worker would stay at least that long.
    assert.ok(lingerMs < 60_000, `the process stayed ${Math.round(lingerMs)} ms after its work was done`);
  });
});
