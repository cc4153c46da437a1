// Prompt lookup decoding: when the last few tokens already occurred earlier in the context (the prompt or the output
// so far), propose what followed them then. Free to compute and strong on copy-heavy work: code edits, quoting
// tool output, rewriting a file with small changes.
import type { Token } from "node-llama-cpp";
import type { Drafter } from "./drafter.js";

/** Longest and shortest suffix looked up. One-token matches are mostly coincidences that cost a wider batch. */
const MAX_NGRAM = 4;
const MIN_NGRAM = 2;

export class PromptLookupDrafter implements Drafter {
  draft(state: readonly Token[], count: number): Token[] {
    for (let n = Math.min(MAX_NGRAM, state.length - 1); n >= MIN_NGRAM; n--) {
      const end = state.length - n;
      // The most recent earlier occurrence: recent text is the likeliest to be continued the same way.
      for (let i = end - 1; i >= 0; i--) {
        let match = true;
        for (let j = 0; j < n && match; j++) match = state[i + j] === state[end + j];
        if (match) return state.slice(i + n, Math.min(i + n + count, state.length));
      }
    }
    return [];
  }
}
