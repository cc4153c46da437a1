// Per-model speculative decoding setup: a draft model ("path.gguf") or prompt lookup ("lookup"), one predictor per
// target sequence, each wrapped so the adaptive switch can turn it off.
import { InputLookupTokenPredictor, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from "node-llama-cpp";
import { validateGguf } from "../gguf/validate.js";
import { GreedyDraftPredictor } from "./greedy-draft.js";
import { SwitchablePredictor } from "./predictor.js";

/**
 * Tokens drafted per verification step. 1, because node-llama-cpp 3.22.1 validates at most one predicted token per
 * target batch (LlamaContextSequence._speculativeEvaluate compares later predictions with `validatedTokens.at(-1)`,
 * an array it never fills): further drafted tokens are always refuted and only cost time. Measured on a pair with
 * identical greedy outputs: 6 drafted per step → 24 of 144 accepted, exactly one per step.
 */
export const DRAFT_TOKENS = 1;

function vocabularySize(model: LlamaModel): number | undefined {
  return (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer?.ggml?.tokens?.length;
}

export interface Speculator {
  kind: "draft" | "lookup";
  /** Draft sequences handed out so far (disposed with the speculator). */
  readonly draftSequences: readonly LlamaContextSequence[];
  /** Makes a target sequence with its own predictor (and draft sequence). */
  createSequence(context: LlamaContext): LlamaContextSequence;
  dispose(): Promise<void>;
}

export interface SpeculatorOptions {
  contextSize: number;
  sequences: number;
  threads: number;
  gpuLayers: "auto" | number;
}

export async function createSpeculator(llama: Llama, target: LlamaModel, draft: string, o: SpeculatorOptions): Promise<Speculator> {
  if (draft === "lookup") {
    return {
      kind: "lookup",
      draftSequences: [],
      createSequence: (context) => context.getSequence({ tokenPredictor: new SwitchablePredictor(new InputLookupTokenPredictor()) }),
      dispose: async () => undefined,
    };
  }
  await validateGguf(draft);
  const model = await llama.loadModel({ modelPath: draft, gpuLayers: o.gpuLayers });
  try {
    const probe = "The quick brown fox, 42 times: {\"a\": [1]}";
    if (
      vocabularySize(model) !== vocabularySize(target) ||
      model.tokens.bos !== target.tokens.bos ||
      model.tokens.eos !== target.tokens.eos ||
      model.tokenize(probe).join() !== target.tokenize(probe).join()
    ) {
      throw new Error(`draft model ${draft} does not share the target's vocabulary; a draft must use the same tokenizer`);
    }
    const context = await model.createContext({ contextSize: o.contextSize, sequences: o.sequences, threads: o.threads });
    const drafts: LlamaContextSequence[] = [];
    return {
      kind: "draft",
      draftSequences: drafts,
      createSequence(targetContext) {
        const draftSequence = context.getSequence();
        drafts.push(draftSequence);
        // minConfidence 0: at temperature 0 the draft's argmax is the best guess whatever its probability.
        const inner = new GreedyDraftPredictor(draftSequence, DRAFT_TOKENS);
        return targetContext.getSequence({ tokenPredictor: new SwitchablePredictor(inner, [draftSequence]) });
      },
      async dispose() {
        // node-llama-cpp disposes a sequence's predictor but never the predictor's draft sequence.
        for (const d of drafts) if (!d.disposed) d.dispose();
        await context.dispose();
        await model.dispose();
      },
    };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
