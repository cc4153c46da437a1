// Drafting with a small model that shares the target's tokenizer: greedy decoding on a draft sequence that mirrors
// the target's tokens. It keeps what the draft sequence already holds of the target's state (prefix reuse, like the
// target's own pool) and erases the rest, so rejected drafts never linger.
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { Drafter } from "./drafter.js";

export class DraftModelDrafter implements Drafter {
  constructor(readonly sequence: LlamaContextSequence) {}

  async draft(state: readonly Token[], count: number): Promise<Token[]> {
    const draft = this.sequence;
    if (state.length === 0 || draft.disposed) return [];
    // Evaluate at least the last state token: its logits give the first drafted token.
    const shared = draft.nextTokenIndex === 0 ? 0 : draft.compareContextTokens(state as Token[]).firstDifferentIndex;
    const keep = Math.min(shared, state.length - 1);
    if (draft.nextTokenIndex > keep) await draft.eraseContextTokenRanges([{ start: keep, end: draft.nextTokenIndex }]);
    const n = Math.min(count, draft.contextSize - state.length - 1);
    if (n <= 0) return [];
    const drafted: Token[] = [];
    const iterator = draft.evaluate(state.slice(keep), { temperature: 0 });
    try {
      for await (const token of iterator) {
        drafted.push(token);
        if (drafted.length >= n) break;
      }
    } finally {
      await iterator.return();
    }
    return drafted;
  }
}
