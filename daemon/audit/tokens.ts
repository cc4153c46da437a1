// Token counts per section, with the target model's tokenizer where Hotpath has it: the GGUF's own vocabulary for
// local models, OpenAI's published BPE (gpt-tokenizer) for OpenAI models, and a labelled estimate otherwise
// (Anthropic does not publish its tokenizer).
import type { LlamaModel } from "node-llama-cpp";
import { maxTokenChars } from "../engine/context-bound.js";
import { BPE_ENCODE, countBpe, type BpeName } from "./bpe.js";

export { countBpe } from "./bpe.js";

export interface TokenCounter {
  /** What counted: "gguf:<file>", "openai:o200k_base", "estimate:cl100k_base". */
  tokenizer: string;
  /** False where the count is an estimate. */
  exact: boolean;
  count(text: string): number;
  /**
   * More characters than this cannot fit the model's context (its longest token × its context length), so text over
   * it is refused before counting: a GGUF tokenizes synchronously on the event loop (~0.3 s for 32k tokens).
   */
  fitChars?: number;
  /** The OpenAI BPE that `count` runs, where it is one: such counts can also be made off the event loop (token-count.ts). */
  bpe?: BpeName;
}

export function ggufCounter(model: LlamaModel, name: string): TokenCounter {
  return {
    tokenizer: `gguf:${name}`,
    exact: true,
    count: (text) => (text ? model.tokenize(text, false).length : 0),
    ...(contextOf(model) ? { fitChars: contextOf(model)! * maxTokenChars(model) } : {}),
  };
}

/** The context the model was trained for; a vocabulary-only load reports 0 as trainContextSize, so from metadata. */
function contextOf(model: LlamaModel): number | undefined {
  const fromMetadata = (model.fileInfo.architectureMetadata as { context_length?: unknown } | undefined)
    ?.context_length;
  const n = model.trainContextSize || (typeof fromMetadata === "number" ? fromMetadata : 0);
  return n > 0 ? n : undefined;
}

/** o200k_base for the GPT-4o / 4.1 / 5 / o-series families, cl100k_base for GPT-4 and GPT-3.5. */
export function openaiCounter(model: string): TokenCounter {
  const legacy = /^(gpt-4(?!o|\.)|gpt-3\.5|text-embedding-3|text-embedding-ada)/.test(model.replace(/^openai:/, ""));
  return legacy
    ? {
        tokenizer: "openai:cl100k_base",
        exact: true,
        bpe: "cl100k_base",
        count: (t) => countBpe(BPE_ENCODE.cl100k_base, t),
      }
    : {
        tokenizer: "openai:o200k_base",
        exact: true,
        bpe: "o200k_base",
        count: (t) => countBpe(BPE_ENCODE.o200k_base, t),
      };
}

/** Claude's tokenizer is not public; cl100k_base counts are within roughly 10–20% of it on English text. */
export function estimateCounter(label = "estimate:cl100k_base"): TokenCounter {
  return { tokenizer: label, exact: false, bpe: "cl100k_base", count: (t) => countBpe(BPE_ENCODE.cl100k_base, t) };
}

/** A counter for a model name when no GGUF is at hand: OpenAI names exactly, everything else as an estimate. */
export function counterForModelName(model: string): TokenCounter {
  const m = model.toLowerCase();
  if (m.startsWith("openai:") || /^(gpt-|o1|o3|o4|chatgpt-)/.test(m)) return openaiCounter(m);
  if (m.startsWith("anthropic:") || m.includes("claude")) return estimateCounter("estimate:cl100k_base (Anthropic)");
  return estimateCounter();
}

/** Exact counts for a GGUF without loading its weights (vocabulary only). */
export async function ggufVocabCounter(path: string): Promise<{ counter: TokenCounter; dispose(): Promise<void> }> {
  const { getLlama } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  const name = path.split(/[\\/]/).pop() ?? path;
  return { counter: ggufCounter(model, name), dispose: () => model.dispose() };
}
