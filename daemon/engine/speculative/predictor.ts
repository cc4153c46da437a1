// A token predictor that can be switched off between requests. node-llama-cpp fixes a sequence's predictor when the
// sequence is created; this wrapper lets the adaptive switch turn speculation off without recreating sequences (and
// losing their KV prefixes). Switched off, it predicts nothing and does no draft work.
import { TokenPredictor, type LlamaContextSequence, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";

export class SwitchablePredictor extends TokenPredictor {
  /** Read at the start of each evaluation (node-llama-cpp resets the predictor then); change it only between requests. */
  enabled = true;

  constructor(
    readonly inner: TokenPredictor,
    /** Disposed with this predictor: node-llama-cpp disposes a sequence's predictor, but not the draft sequence. */
    private readonly owned: { dispose(): unknown }[] = [],
  ) {
    super();
  }

  reset(params: { targetSequence: LlamaContextSequence; stateTokens: Token[]; evaluateOptions: Readonly<SequenceEvaluateOptions> }): Promise<void> | void {
    if (this.enabled) return this.inner.reset(params);
  }

  pushTokens(tokens: Token[]): void {
    if (this.enabled) this.inner.pushTokens(tokens);
  }

  predictTokens(): Promise<Token[]> | Token[] {
    return this.enabled ? this.inner.predictTokens() : [];
  }

  override updateInputTokens(tokens: Token[]): void {
    this.inner.updateInputTokens?.(tokens);
  }

  override stop(untilPredictionsExhausted?: boolean): Promise<void> | void {
    return this.inner.stop(untilPredictionsExhausted);
  }

  override dispose(): void {
    this.inner.dispose();
    for (const o of this.owned) void o.dispose();
  }
}
