// Token counts per section, with the target model's tokenizer where Hotpath has it: the GGUF's own vocabulary for
// local models, OpenAI's published BPE (gpt-tokenizer) for OpenAI models, and a labelled estimate otherwise
// (Anthropic does not publish its tokenizer).
import type { LlamaModel } from "node-llama-cpp";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";

export interface TokenCounter {
  /** What counted: "gguf:<file>", "openai:o200k_base", "estimate:cl100k_base". */
  tokenizer: string;
  /** False where the count is an estimate. */
  exact: boolean;
  count(text: string): number;
}

export function ggufCounter(model: LlamaModel, name: string): TokenCounter {
  return { tokenizer: `gguf:${name}`, exact: true, count: (text) => (text ? model.tokenize(text, false).length : 0) };
}

/** o200k_base for the GPT-4o / 4.1 / 5 / o-series families, cl100k_base for GPT-4 and GPT-3.5. */
export function openaiCounter(model: string): TokenCounter {
  const legacy = /^(gpt-4(?!o|\.)|gpt-3\.5|text-embedding-3|text-embedding-ada)/.test(model.replace(/^openai:/, ""));
  return legacy
    ? { tokenizer: "openai:cl100k_base", exact: true, count: (t) => encodeCl100k(t).length }
    : { tokenizer: "openai:o200k_base", exact: true, count: (t) => encodeO200k(t).length };
}

/** Claude's tokenizer is not public; cl100k_base counts are within roughly 10–20% of it on English text. */
export function estimateCounter(label = "estimate:cl100k_base"): TokenCounter {
  return { tokenizer: label, exact: false, count: (t) => encodeCl100k(t).length };
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
