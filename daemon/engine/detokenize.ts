// Generated tokens to text, incrementally: each step detokenizes only the tokens not yet turned into complete
// characters (with a few earlier tokens as context, as node-llama-cpp's own streaming does), instead of the whole
// output again — that made every token cost O(output length) on the event loop.
import type { LlamaModel, Token } from "node-llama-cpp";

/** Earlier tokens handed to the detokenizer as context (leading-space and merge rules look back this far). */
const CONTEXT_TOKENS = 4;

export class TextStream {
  private stable = "";
  private stableCount = 0;
  /** Text of the tokens after stableCount: ends inside a UTF-8 character (a trailing U+FFFD). */
  private pending = "";
  private pendingCount = 0;

  constructor(private readonly model: LlamaModel) {}

  /** The text of all `generated` tokens (the same array, grown since the last call). */
  text(generated: readonly Token[]): string {
    this.advance(generated);
    return this.pending ? this.stable + this.pending : this.stable;
  }

  /**
   * The text completed by the tokens added since the last call, "" while they end inside a character: the deltas
   * joined are text() without its incomplete end. Nothing is sliced from the text so far, so a token costs the same
   * at any output length. (Use either this or text() on one stream.)
   */
  delta(generated: readonly Token[]): string {
    return this.advance(generated);
  }

  /** Detokenizes the tokens added since the last call; returns the text they completed. */
  private advance(generated: readonly Token[]): string {
    const count = generated.length;
    if (count === this.stableCount || count === this.pendingCount) return "";
    const tail = count === this.stableCount + 1 ? [generated[count - 1]] : generated.slice(this.stableCount);
    const before = generated.slice(Math.max(0, this.stableCount - CONTEXT_TOKENS), this.stableCount);
    const tailText = this.model.detokenize(tail, false, before);
    // A trailing U+FFFD is an incomplete UTF-8 sequence split across tokens: keep those tokens pending.
    if (tailText.charCodeAt(tailText.length - 1) === 0xfffd) {
      this.pending = tailText;
      this.pendingCount = count;
      return "";
    }
    this.stable += tailText;
    this.stableCount = count;
    this.pending = "";
    this.pendingCount = 0;
    return tailText;
  }
}
