// The incremental detokenizer gives, after every token, exactly the text of detokenizing all tokens at once (and its
// deltas that text up to an incomplete last character): on
// random token sequences (byte-fallback tokens split UTF-8 characters across tokens) of a 512, an 8k and a 32k vocab.
import assert from "node:assert/strict";
import type { LlamaModel, Token } from "node-llama-cpp";
import { TextStream } from "../../../daemon/engine/detokenize.js";
import { llamaRuntime } from "../../../daemon/engine/llama.js";
import { chatModelPath, generatedModelPath, sharedModelPath } from "../../fixtures/models.js";

describe("engine: incremental detokenizer", function () {
  this.timeout(60_000);
  const paths = [
    chatModelPath(),
    generatedModelPath({ seed: 3, vocabSize: 8192, nLayer: 1, nEmbd: 32, type: "f16", contextLength: 256 }),
    sharedModelPath("llama-2-tiny-random.gguf"),
  ].filter((p): p is string => !!p);

  for (const path of paths) {
    it(`matches whole-output detokenizing: ${path.split("/").pop()}`, async function () {
      const llama = await llamaRuntime("off", 1);
      const model: LlamaModel = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
      try {
        const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
        let seed = 12345;
        const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        let multiByte = 0;
        for (let trial = 0; trial < 200; trial++) {
          const tokens: Token[] = [];
          const stream = new TextStream(model);
          const deltas = new TextStream(model);
          let joined = "";
          const length = 1 + Math.floor(random() * 48);
          while (tokens.length < length) {
            const token = Math.floor(random() * vocab) as Token;
            if (model.isSpecialToken(token)) continue;
            tokens.push(token);
            const whole = model.detokenize(tokens);
            assert.equal(stream.text(tokens), whole, `after ${JSON.stringify(tokens)}`);
            joined += deltas.delta(tokens);
            // The deltas hold back only text that ends inside a character (a trailing U+FFFD).
            if (whole.charCodeAt(whole.length - 1) !== 0xfffd)
              assert.equal(joined, whole, `deltas after ${JSON.stringify(tokens)}`);
          }
          if ([...model.detokenize(tokens)].some((c) => c.charCodeAt(0) > 127)) multiByte++;
        }
        assert.ok(multiByte > 0, "some sequences hold non-ASCII text");
      } finally {
        await model.dispose();
      }
    });
  }
});
