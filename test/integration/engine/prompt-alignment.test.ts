// A prompt that reuses a prefix off llama.cpp's KV padding is evaluated in batches that end on multiples of it again
// (daemon/engine/prefix/alignment.ts): observed at the native context's batches, on a real generated model.
import assert from "node:assert/strict";
import type { LlamaContext } from "node-llama-cpp";
import type { GenerateResult } from "../../../daemon/engine/generate.js";
import { KV_PAD_CELLS } from "../../../daemon/engine/prefix/alignment.js";
import type { LocalModel } from "../../../daemon/engine/model.js";
import { generateAll, testEngine } from "../../fixtures/engine.js";
import { generatedModelPath, SMALL_CHAT_PARAMS } from "../../fixtures/models.js";
import { syntheticTokens } from "../../fixtures/prompts.js";

/** The token count of each batch the context sends to llama.cpp while `f` runs. */
async function batchesOf(context: LlamaContext, f: () => Promise<unknown>): Promise<number[]> {
  const native = (context as unknown as { _ctx: { initBatch(size: number): void } })._ctx;
  const own = Object.getOwnPropertyDescriptor(native, "initBatch");
  const initBatch = native.initBatch.bind(native);
  const sizes: number[] = [];
  Object.defineProperty(native, "initBatch", {
    configurable: true,
    value: (size: number) => {
      sizes.push(size);
      return initBatch(size);
    },
  });
  try {
    await f();
  } finally {
    if (own) Object.defineProperty(native, "initBatch", own);
    else delete (native as { initBatch?: unknown }).initBatch;
  }
  return sizes;
}

describe("engine: a prompt after a reused prefix is evaluated in batches on llama.cpp's KV padding", function () {
  this.timeout(180_000);
  const engine = testEngine({ contextSize: 2048, sequences: 1 });
  let local: LocalModel;
  before(async () => {
    engine.add([{ alias: "m", source: generatedModelPath(SMALL_CHAT_PARAMS) }]);
    local = (await engine.ready("m")).model;
  });
  after(() => engine.dispose());

  /** The positions where the prompt's batches end (the batches before the first one-token decode step). */
  const promptBatchEnds = (sizes: number[], from: number) => {
    const ends: number[] = [];
    let at = from;
    for (const n of sizes) {
      if (n === 1 && ends.length > 0) break;
      at += n;
      ends.push(at);
    }
    return ends;
  };

  it("a 3-token shared start and a 900-token rest: a batch to 256, then whole batches", async () => {
    const batch = local.context.batchSize;
    assert.equal(batch % KV_PAD_CELLS, 0, `batch size ${batch}`);
    const start = syntheticTokens(3, 1);
    await generateAll(local, [...start, ...syntheticTokens(100, 2)], 2);
    const prompt = [...start, ...syntheticTokens(900, 3)];
    let result: GenerateResult | undefined;
    // The caller's work while the prompt is evaluated (ChatOptions.whileWaiting) runs once, aligned or not.
    let waited = 0;
    const sizes = await batchesOf(
      local.context,
      async () => (result = await generateAll(local, prompt, 2, { whileWaiting: () => waited++ })),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(waited, 1);
    assert.equal(result!.cachedTokens, 3);
    assert.equal(result!.promptTokens, 903);
    const ends = promptBatchEnds(sizes, 3);
    const expected = [256];
    while (expected.at(-1)! + batch < 903) expected.push(expected.at(-1)! + batch);
    assert.deepEqual(ends, [...expected, 903], `batches ${sizes.join(",")}`);
  });

  it("a rest that fits one batch, and a prompt from the start, are evaluated as before", async () => {
    const start = syntheticTokens(5, 4);
    await generateAll(local, [...start, ...syntheticTokens(50, 5)], 2);
    const sizes = await batchesOf(local.context, () => generateAll(local, [...start, ...syntheticTokens(400, 6)], 2));
    assert.deepEqual(promptBatchEnds(sizes, 5), [405], `batches ${sizes.join(",")}`);
    await local.pool.sequences[0].clearHistory();
    const fresh = await batchesOf(local.context, () => generateAll(local, syntheticTokens(900, 7), 2));
    assert.deepEqual(promptBatchEnds(fresh, 0), [local.context.batchSize, 900], `batches ${fresh.join(",")}`);
  });
});
