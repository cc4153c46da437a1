// Generated tokens to text, incrementally: each step detokenizes only the tokens not yet turned into complete
// characters (with a few earlier tokens as context, as node-llama-cpp's own streaming does), instead of the whole
// output again — that made every token cost O(output length) on the event loop.
import type { LlamaModel, Token } from "node-llama-cpp";

/** Earlier tokens handed to the detokenizer as context (leading-space and merge rules look back this far). */
const CONTEXT_TOKENS = 4;

export class TextStream {
  private stable = "";
  private stableCount = 0;

  constructor(private readonly model: LlamaModel) {}

  /** The text of all `generated` tokens (the same array, grown since the last call). */
  text(generated: readonly Token[]): string {
    const tail = generated.slice(this.stableCount);
    if (tail.length === 0) return this.stable;
    const before = generated.slice(Math.max(0, this.stableCount - CONTEXT_TOKENS), this.stableCount);
    const tailText = this.model.detokenize(tail, false, before);
    // A trailing U+FFFD is an incomplete UTF-8 sequence split across tokens: keep those tokens pending.
    if (tailText.charCodeAt(tailText.length - 1) === 0xfffd) return this.stable + tailText;
    this.stable += tailText;
    this.stableCount = generated.length;
    return this.stable;
  }
}
