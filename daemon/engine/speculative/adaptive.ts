// Speculation that never loses: per model, decode speed is measured with and without the token predictor, and the
// faster mode is used; the other one is probed now and then, since load, prompts and acceptance change.

export interface ModeStats {
  requests: number;
  /** Exponentially weighted decode speed (tokens/s after the first token). */
  tokensPerSecond: number;
}

export interface SpeculationStats {
  /** Mode the next request will use. */
  enabled: boolean;
  on: ModeStats;
  off: ModeStats;
  drafted: number;
  accepted: number;
  /** accepted / drafted over the model's lifetime. */
  acceptance: number;
}

/** Requests with fewer generated tokens say little about decode speed. */
const MIN_TOKENS = 8;
/** Measurements per mode before the comparison is trusted. */
const WARMUP = 2;
/** Every PROBE_EVERY-th request runs in the mode that is currently losing, to notice when it starts winning. */
const PROBE_EVERY = 16;
const EWMA = 0.3;
/** Speculation must be at least this much faster to stay on (a tie costs the draft model's memory and prompt time). */
const MARGIN = 1.02;

export class AdaptiveSpeculation {
  private readonly on: ModeStats = { requests: 0, tokensPerSecond: 0 };
  private readonly off: ModeStats = { requests: 0, tokensPerSecond: 0 };
  private decided = 0;
  private drafted = 0;
  private accepted = 0;
  /** "auto" measures and decides; "on"/"off" pin the mode (operators comparing, benchmarks). */
  mode: "auto" | "on" | "off" = "auto";

  /** Whether the next request should speculate. */
  next(): boolean {
    if (this.mode !== "auto") return this.mode === "on";
    this.decided++;
    if (this.on.requests < WARMUP) return true;
    if (this.off.requests < WARMUP) return false;
    const winner = this.winner();
    return this.decided % PROBE_EVERY === 0 ? !winner : winner;
  }

  /** The mode that measured faster (speculation on unless it is not at least MARGIN faster). */
  winner(): boolean {
    if (this.on.requests < WARMUP || this.off.requests < WARMUP) return true;
    return this.on.tokensPerSecond >= this.off.tokensPerSecond * MARGIN;
  }

  record(speculated: boolean, generatedTokens: number, decodeMs: number, drafted = 0, accepted = 0): void {
    this.drafted += drafted;
    this.accepted += accepted;
    if (generatedTokens < MIN_TOKENS || decodeMs <= 0) return;
    const mode = speculated ? this.on : this.off;
    const speed = ((generatedTokens - 1) * 1000) / decodeMs;
    mode.tokensPerSecond = mode.requests === 0 ? speed : mode.tokensPerSecond * (1 - EWMA) + speed * EWMA;
    mode.requests++;
  }

  stats(): SpeculationStats {
    return {
      enabled: this.winner(),
      on: { ...this.on },
      off: { ...this.off },
      drafted: this.drafted,
      accepted: this.accepted,
      acceptance: this.drafted ? this.accepted / this.drafted : 0,
    };
  }
}
