// OpenAI's published byte-pair encodings (gpt-tokenizer) and counting with them, apart from the rest of tokens.ts so
// that the token-count worker loads only this (no node-llama-cpp).
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";

export type BpeName = "cl100k_base" | "o200k_base";

export const BPE_ENCODE: Record<BpeName, (text: string) => number[]> = {
  cl100k_base: encodeCl100k,
  o200k_base: encodeO200k,
};

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
