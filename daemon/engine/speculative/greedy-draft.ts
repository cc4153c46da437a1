// Draft-model token prediction, synchronous: each call drafts k tokens greedily on the draft sequence from exactly
// the tokens the target has been fed. Measured here: node-llama-cpp's DraftSequenceTokenPredictor (asynchronous
// drafting) accepted 12 of 58 drafted tokens on a pair whose greedy outputs are identical token for token — its
// predictions run one token out of step; this one drafts in step with the target (test/integration/engine/speculative.test.ts).
import { TokenPredictor, type LlamaContextSequence, type Token } from "node-llama-cpp";

export class GreedyDraftPredictor extends TokenPredictor {
  /** Every token the target sequence holds or is about to evaluate. */
  private state: Token[] = [];

  constructor(
    readonly draftSequence: LlamaContextSequence,
    private readonly draftTokens: number,
  ) {
    super();
  }

  reset({ stateTokens }: { stateTokens: Token[] }): void {
    this.state = stateTokens.slice();
  }

  pushTokens(tokens: Token[]): void {
    for (const t of tokens) this.state.push(t);
  }

  async predictTokens(): Promise<Token[]> {
    const draft = this.draftSequence;
    if (this.state.length === 0 || draft.disposed) return [];
    // Keep what the draft already holds of the target's tokens; evaluate at least the last one for its logits.
    const shared = draft.nextTokenIndex === 0 ? 0 : draft.compareContextTokens(this.state).firstDifferentIndex;
    const keep = Math.min(shared, this.state.length - 1);
    if (draft.nextTokenIndex > keep) await draft.eraseContextTokenRanges([{ start: keep, end: draft.nextTokenIndex }]);
    const room = draft.contextSize - this.state.length - 1;
    const n = Math.min(this.draftTokens, room);
    if (n <= 0) return [];
    const drafted: Token[] = [];
    const iterator = draft.evaluate(this.state.slice(keep), { temperature: 0 });
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

  override dispose(): void {
    if (!this.draftSequence.disposed) this.draftSequence.dispose();
  }
}
