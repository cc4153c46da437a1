// A model's chat wrapper is resolved in a worker (node-llama-cpp's Jinja checks take seconds for a ChatML template)
// and is the wrapper resolution on the event loop gives: same type, same settings, same prompts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getLlama, resolveChatWrapper, type Llama } from "node-llama-cpp";
import { ChatWrapperResolution, resolvingWorkerRunning } from "../../../daemon/models/chat-wrapper.js";
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
      const resolution = new ChatWrapperResolution(file);
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

  it("a model without a chat template ends the worker it did not need; one another load waits on stays", async function () {
    // The worker starts before the weights load (the template is not known yet). A model without a template is
    // resolved on the event loop at once, and the worker went on starting up (bundle compile, node-llama-cpp import)
    // beside the thread calibration that follows: stories260K calibrated at 0.4–0.6× its real speeds and picked one
    // thread for prefill.
    const plain = generatedModelPath({ ...SMALL_CHAT_PARAMS, omitMetadata: ["tokenizer.chat_template"] });
    const chatml = generatedModelPath();
    const alone = new ChatWrapperResolution(plain);
    assert.equal(resolvingWorkerRunning(), true);
    const model = await llama.loadModel({ modelPath: plain });
    try {
      assert.equal((await alone.wrapperFor(model)).source, "event loop");
      assert.equal(resolvingWorkerRunning(), false, "the worker no load waits on is ended");

      const needed = new ChatWrapperResolution(chatml);
      const notNeeded = new ChatWrapperResolution(plain);
      assert.equal((await notNeeded.wrapperFor(model)).source, "event loop");
      assert.equal(resolvingWorkerRunning(), true, "another load still waits on the worker");
      const other = await llama.loadModel({ modelPath: chatml });
      try {
        assert.equal((await needed.wrapperFor(other)).source, "worker");
      } finally {
        await other.dispose();
      }
    } finally {
      await model.dispose();
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
