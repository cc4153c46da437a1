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
/**
 * Requests per mode before the comparison is trusted: the first one is not measured (COLD), two are. A mode's first
 * request pays one-time costs: on an H200 the first speculative request decoded at 6.6 tok/s while the kernels the
 * draft needed were compiled, against 848 after; counted, it kept speculation off for ~100 requests.
 */
const COLD = 1;
const WARMUP = COLD + 2;
/**
 * The losing mode is probed after PROBE_MIN requests, to notice when it starts winning; each probe that confirms the
 * loser doubles the interval (up to PROBE_MAX), so a mode that keeps losing costs at most a few percent: a probe at
 * 0.25× speed every 64 requests adds ~5% decode time, every 256 ~1%.
 */
const PROBE_MIN = 16;
const PROBE_MAX = 256;
const EWMA = 0.3;
/** Speculation must be at least this much faster to stay on (a tie costs the draft model's memory and prompt time). */
const MARGIN = 1.02;

export class AdaptiveSpeculation {
  private on: ModeStats = { requests: 0, tokensPerSecond: 0 };
  private off: ModeStats = { requests: 0, tokensPerSecond: 0 };
  private sinceProbe = 0;
  private probeEvery = PROBE_MIN;
  private drafted = 0;
  private accepted = 0;
  /** "auto" measures and decides; "on"/"off" pin the mode (operators comparing, benchmarks). */
  mode: "auto" | "on" | "off" = "auto";

  /** Whether the next request should speculate. */
  next(): boolean {
    if (this.mode !== "auto") return this.mode === "on";
    if (this.on.requests < WARMUP) return true;
    if (this.off.requests < WARMUP) return false;
    const winner = this.winner();
    if (++this.sinceProbe < this.probeEvery) return winner;
    this.sinceProbe = 0;
    return !winner;
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
    const before = this.winner();
    const mode = speculated ? this.on : this.off;
    const speed = ((generatedTokens - 1) * 1000) / decodeMs;
    if (mode.requests >= COLD)
      mode.tokensPerSecond = mode.requests === COLD ? speed : mode.tokensPerSecond * (1 - EWMA) + speed * EWMA;
    mode.requests++;
    const probe = this.on.requests > WARMUP && this.off.requests > WARMUP && speculated !== before;
    if (probe) this.probeEvery = this.winner() === before ? Math.min(PROBE_MAX, this.probeEvery * 2) : PROBE_MIN;
  }

  /** Forgets all measurements (e.g. after the model's workload changed). */
  reset(): void {
    this.on = { requests: 0, tokensPerSecond: 0 };
    this.off = { requests: 0, tokensPerSecond: 0 };
    this.sinceProbe = this.drafted = this.accepted = 0;
    this.probeEvery = PROBE_MIN;
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
