// Generated models are real GGUF files: node-llama-cpp loads them, generates text, and chats with the ChatML template.
import assert from "node:assert/strict";
import {
  getLlama,
  LlamaChatSession,
  LlamaCompletion,
  type Llama,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { validateGguf } from "../../../daemon/engine/gguf/validate.js";
import { generatedDraftPair, generatedModelPath, SMALL_CHAT_PARAMS, testThreads } from "../../fixtures/models.js";

const threads = testThreads();

async function greedy(seq: LlamaContextSequence, prompt: Token[], n: number): Promise<Token[]> {
  const out: Token[] = [];
  for await (const t of seq.evaluate(prompt, { temperature: 0 })) {
    out.push(t);
    if (out.length >= n) break;
  }
  return out;
}

/** Fraction of positions where the target's greedy token equals the draft's, with the draft's tokens fed in
 *  (teacher forcing): what speculative decoding's acceptance depends on. */
async function forcedAgreement(seq: LlamaContextSequence, prompt: Token[], draftTokens: Token[]): Promise<number> {
  const it = seq.evaluate(prompt, { temperature: 0 });
  let r = await it.next();
  let match = 0;
  for (let i = 0; i < draftTokens.length && !r.done; i++) {
    if (r.value === draftTokens[i]) match++;
    if (i + 1 < draftTokens.length) r = await it.next(draftTokens[i]);
  }
  await it.return(undefined);
  return match / draftTokens.length;
}

describe("generated GGUF models in node-llama-cpp", function () {
  this.timeout(60_000);
  let llama: Llama;
  const models: LlamaModel[] = [];
  before(async () => {
    llama = await getLlama({ gpu: false });
  });
  after(async () => {
    for (const m of models) await m.dispose();
  });

  async function load(path: string): Promise<LlamaModel> {
    await validateGguf(path);
    const m = await llama.loadModel({ modelPath: path });
    models.push(m);
    return m;
  }

  for (const type of ["f16", "q8_0"] as const) {
    it(`a ${type} model loads, completes text and chats`, async () => {
      const model = await load(generatedModelPath({ ...SMALL_CHAT_PARAMS, type }));
      const context = await model.createContext({ contextSize: 256, sequences: 2, threads });
      try {
        const seq = context.getSequence();
        const started = performance.now();
        const text = await new LlamaCompletion({ contextSequence: seq }).generateCompletion("Once upon a time", {
          maxTokens: 24,
        });
        const ms = performance.now() - started;
        console.log(`    ${type} completion (24 tokens, ${ms.toFixed(0)} ms): ${JSON.stringify(text.slice(0, 80))}`);
        assert.ok(text.trim().length > 0);
        assert.doesNotMatch(text, /\uFFFD/, "no stray byte tokens");
        const chat = new LlamaChatSession({ contextSequence: context.getSequence() });
        assert.equal(chat.chatWrapper.wrapperName, "ChatML", "the GGUF's chat template is recognised");
        const answer = await chat.prompt("Hello, who are you?", { maxTokens: 16 });
        assert.ok(answer.trim().length > 0);
        const words = model.tokenize("the water was good");
        assert.equal(words.length, 4, "common words are single tokens");
        assert.equal(model.detokenize(words), "the water was good");
      } finally {
        await context.dispose();
      }
    });
  }

  it("a draft pair: at epsilon 0 the target predicts the draft's tokens; agreement falls as epsilon grows", async () => {
    const base = { seed: 21, vocabSize: 1024, nEmbd: 64, draftLayers: 1, extraLayers: 2, type: "f16" as const };
    const n = 24;
    const agreement: Record<string, number> = {};
    let draftTokens: Token[] = [];
    let prompt: Token[] = [];
    for (const epsilon of [0, 0.05, 1]) {
      const pair = generatedDraftPair({ ...base, epsilon });
      const [draft, target] = [await load(pair.draft), await load(pair.target)];
      if (draftTokens.length === 0) {
        prompt = draft.tokenize("Once upon a time there was a little dog");
        const dctx = await draft.createContext({ contextSize: 256, threads });
        draftTokens = await greedy(dctx.getSequence(), prompt, n);
        await dctx.dispose();
        assert.equal(draftTokens.length, n, "the draft generates the requested tokens (no early end of text)");
      }
      const tctx = await target.createContext({ contextSize: 256, threads });
      agreement[epsilon] = await forcedAgreement(tctx.getSequence(), prompt, draftTokens);
      await tctx.dispose();
    }
    console.log(`    greedy agreement target vs draft over ${n} tokens: ${JSON.stringify(agreement)}`);
    assert.ok(agreement[0]! >= 0.9, `epsilon 0: ${agreement[0]}`);
    assert.ok(
      agreement[1]! < agreement[0]!,
      `epsilon 1 (${agreement[1]}) agrees less than epsilon 0 (${agreement[0]})`,
    );
  });
});
