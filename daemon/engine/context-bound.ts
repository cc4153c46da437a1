// Refuses input that cannot fit the context before tokenizing it: node-llama-cpp tokenizes synchronously on the event
// loop (~3 ms per 1,000 characters here), so a 5 MB input would hold every other request for seconds. No token covers
// more characters than the vocabulary's longest token string, so more than contextSize × that many characters cannot
// fit. Input under the bound is still tokenized and checked exactly.
import type { LlamaModel } from "node-llama-cpp";
import { ContextOverflowError } from "./generate.js";

/** When a GGUF carries no token list: longer than any token of the vocabularies we know. */
const UNKNOWN_VOCAB_MAX_CHARS = 256;
const longest = new WeakMap<LlamaModel, number>();

/** The longest token string in the model's vocabulary (GGUF metadata), in UTF-16 units. */
export function maxTokenChars(model: LlamaModel): number {
  let max = longest.get(model);
  if (max === undefined) {
    const tokens = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } } | undefined)?.tokenizer
      ?.ggml?.tokens;
    max = 0;
    if (Array.isArray(tokens)) for (const t of tokens) if (typeof t === "string" && t.length > max) max = t.length;
    if (max === 0) max = UNKNOWN_VOCAB_MAX_CHARS;
    longest.set(model, max);
  }
  return max;
}

/** Throws ContextOverflowError when `chars` characters cannot fit in `contextSize` tokens of this model. */
export function refuseUnfittable(model: LlamaModel, chars: number, contextSize: number, param = "messages"): void {
  const bound = contextSize * maxTokenChars(model);
  if (chars > bound) {
    throw new ContextOverflowError(
      `the input is ${chars} characters, more than the model's ${contextSize}-token context can hold (at most ${bound} characters); shorten it or start the daemon with a larger --context-size`,
      param,
    );
  }
}
