// A model's chat wrapper is resolved in a worker (node-llama-cpp's Jinja checks take seconds for a ChatML template)
// and is the wrapper resolution on the event loop gives: same type, same settings, same prompts.
import assert from "node:assert/strict";
import { getLlama, resolveChatWrapper, type Llama } from "node-llama-cpp";
import { ChatWrapperResolution } from "../../../daemon/models/chat-wrapper.js";
import { renderProbes } from "../../../daemon/models/chat-wrapper-probe.js";
import { generatedModelPath, sharedModelPath } from "../../fixtures/models.js";

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
});
