// Token counts per section, with the target model's tokenizer where Hotpath has it: the GGUF's own vocabulary for
// local models, OpenAI's published BPE (gpt-tokenizer) for OpenAI models, and a labelled estimate otherwise
// (Anthropic does not publish its tokenizer).
import type { LlamaModel } from "node-llama-cpp";
import { maxTokenChars } from "../engine/context-bound.js";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";

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

/**
 * Runs this long of one pre-token class are counted in slices. OpenAI's pre-tokenizer keeps a run of letters,
 * punctuation or whitespace as one piece, and byte-pair merging a piece costs the square of its length (gpt-tokenizer
 * spent 2.2 s on 83,000 x's); no real word is this long, and slicing one adds at most a token per slice.
 */
const LONG_RUN = /\p{L}{256,}|[^\s\p{L}\p{N}]{256,}|\s{256,}/gu;
const HAS_LONG_RUN = new RegExp(LONG_RUN.source, "u"); // not global: test() keeps no lastIndex
const SLICE = 256;

/** encode(text).length, with pathological runs (see LONG_RUN) counted slice by slice. */
export function countBpe(encode: (text: string) => number[], text: string): number {
  if (text.length < SLICE || !HAS_LONG_RUN.test(text)) return encode(text).length;
  let n = 0;
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    n += encode(text.slice(last, m.index)).length;
    const run = m[0];
    for (let i = 0; i < run.length;) {
      let end = Math.min(run.length, i + SLICE);
      const c = run.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff && end < run.length) end++; // never split a surrogate pair
      n += encode(run.slice(i, end)).length;
      i = end;
    }
    last = m.index + run.length;
  }
  return n + encode(text.slice(last)).length;
}

/** o200k_base for the GPT-4o / 4.1 / 5 / o-series families, cl100k_base for GPT-4 and GPT-3.5. */
export function openaiCounter(model: string): TokenCounter {
  const legacy = /^(gpt-4(?!o|\.)|gpt-3\.5|text-embedding-3|text-embedding-ada)/.test(model.replace(/^openai:/, ""));
  return legacy
    ? { tokenizer: "openai:cl100k_base", exact: true, count: (t) => countBpe(encodeCl100k, t) }
    : { tokenizer: "openai:o200k_base", exact: true, count: (t) => countBpe(encodeO200k, t) };
}

/** Claude's tokenizer is not public; cl100k_base counts are within roughly 10–20% of it on English text. */
export function estimateCounter(label = "estimate:cl100k_base"): TokenCounter {
  return { tokenizer: label, exact: false, count: (t) => countBpe(encodeCl100k, t) };
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
