// Per-model speculative decoding setup: a draft model ("path.gguf") or prompt lookup ("lookup"), one drafter per
// target sequence (a draft sequence mirrors its target), and the draft length learned from acceptance.
import type { Llama, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { validateGguf } from "../gguf/validate.js";
import { DraftLength } from "./draft-length.js";
import { DraftModelDrafter } from "./draft-model.js";
import type { Drafter } from "./drafter.js";
import { PromptLookupDrafter } from "./prompt-lookup.js";

/**
 * Draft length bounds. Measured on one CPU thread with a 92 MB q8_0 target: a batch of 8 tokens costs 3.3× one
 * token, of 16 about 5.7×, so long drafts pay while they are accepted; DraftLength shortens them when they are not.
 */
const INITIAL_DRAFT = 4;
const MAX_DRAFT = 16;

function vocabularySize(model: LlamaModel): number | undefined {
  return (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer?.ggml
    ?.tokens?.length;
}

export interface Speculator {
  kind: "draft" | "lookup";
  /** Tokens to draft per step, adapted to this model's acceptance. */
  readonly draftLength: DraftLength;
  /** Draft sequences handed out so far (disposed with the speculator). */
  readonly draftSequences: readonly LlamaContextSequence[];
  /** The drafter for a target sequence (a draft model's drafter owns a draft sequence paired with it). */
  drafterFor(target: LlamaContextSequence): Drafter;
  dispose(): Promise<void>;
}

export interface SpeculatorOptions {
  contextSize: number;
  sequences: number;
  threads: number;
  gpuLayers: "auto" | number;
}

export async function createSpeculator(
  llama: Llama,
  target: LlamaModel,
  draft: string,
  o: SpeculatorOptions,
): Promise<Speculator> {
  const draftLength = new DraftLength(INITIAL_DRAFT, MAX_DRAFT);
  if (draft === "lookup") {
    const lookup = new PromptLookupDrafter();
    return {
      kind: "lookup",
      draftLength,
      draftSequences: [],
      drafterFor: () => lookup,
      dispose: async () => undefined,
    };
  }
  await validateGguf(draft);
  const model = await llama.loadModel({ modelPath: draft, gpuLayers: o.gpuLayers });
  try {
    const probe = 'The quick brown fox, 42 times: {"a": [1]}';
    if (
      vocabularySize(model) !== vocabularySize(target) ||
      model.tokens.bos !== target.tokens.bos ||
      model.tokens.eos !== target.tokens.eos ||
      model.tokenize(probe).join() !== target.tokenize(probe).join()
    ) {
      throw new Error(
        `draft model ${draft} does not share the target's vocabulary; a draft must use the same tokenizer`,
      );
    }
    const context = await model.createContext({
      contextSize: o.contextSize,
      sequences: o.sequences,
      threads: o.threads,
    });
    const drafters = new Map<LlamaContextSequence, DraftModelDrafter>();
    const draftSequences: LlamaContextSequence[] = [];
    return {
      kind: "draft",
      draftLength,
      draftSequences,
      drafterFor(targetSequence) {
        let drafter = drafters.get(targetSequence);
        if (!drafter) {
          const sequence = context.getSequence();
          draftSequences.push(sequence);
          drafter = new DraftModelDrafter(sequence);
          drafters.set(targetSequence, drafter);
        }
        return drafter;
      },
      async dispose() {
        for (const d of draftSequences) if (!d.disposed) d.dispose();
        await context.dispose();
        await model.dispose();
      },
    };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
