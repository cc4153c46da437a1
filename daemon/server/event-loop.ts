// How long the event loop was held: a timer every 10 ms records how late it fires, reported per 60 s window (the last
// complete one and the one in progress) on /hotpath/stats and as gauges on /metrics. The histogram records whole timer
// intervals, so the sampling interval is taken off: an idle loop reads ~0 ms.
//
// The timer runs only while the daemon has work: from an HTTP request's arrival until LINGER_MS after the last one
// closed (the span move, the cache's counts and the idle collection that follow a burst fall inside it). An idle daemon
// sampled at 10 ms woke 100 times a second for it (~8 ms of CPU a second); paused, not at all. The paused time counts as
// samples of no delay, one per interval, so the windows read as if the timer had run on an idle loop.
//
// Not perf_hooks.monitorEventLoopDelay: its histogram keeps the time of its last sample across disable() and enable(),
// so its first sample after a pause is the whole pause (a 500 ms pause read as a 527 ms hold), and its data cannot be
// merged into another histogram; this timer knows when it was started, so the first interval after a pause is a real
// one (a hold right after a request arrives is seen).
import perfHooks, { createHistogram, type IntervalHistogram, type RecordableHistogram } from "node:perf_hooks";
import type { EventLoopDelayWindow } from "../api.js";

export const RESOLUTION_MS = 10;
const RESOLUTION_NS = RESOLUTION_MS * 1e6;
/** How long sampling goes on after the last request closed. */
export const LINGER_MS = 2_000;

/**
 * The window's length: 60 s, or HOTPATH_EVENT_LOOP_WINDOW_S (1–3600) to watch what single requests do (the tests that
 * bound how long one request may hold the loop read windows of a few seconds).
 */
function windowFromEnv(): number {
  const s = Number(process.env.HOTPATH_EVENT_LOOP_WINDOW_S);
  return Number.isFinite(s) && s >= 1 && s <= 3600 ? s : 60;
}

/**
 * One sampling timer, running while there is work (`enter`/`leave`, `wake`), feeding its histograms. Each histogram
 * has its own start (reset); between its start and now, the paused intervals are its samples of no delay.
 */
export class LoopSampler {
  private timer: NodeJS.Timeout | undefined;
  /** When the last sample was taken (performance.now()); undefined while paused. */
  private last: number | undefined;
  /** Requests open now. */
  private open = 0;
  /** When work last ended (the last request closed, or `wake`). */
  private lastWork = performance.now();
  /** Paused intervals before the current pause, and when the current one began. */
  private pausedIntervals = 0;
  private pausedAt: number | undefined;
  private readonly sinks = new Set<DelayHistogram>();
  private stopped = false;

  constructor(readonly lingerMs = LINGER_MS) {
    this.start();
  }

  /** A request arrived: sampling runs until it has closed and LINGER_MS more passed. */
  enter(): void {
    this.open++;
    if (this.last === undefined) this.start();
  }

  /** A request closed (once for each `enter`). */
  leave(): void {
    if (--this.open === 0) this.lastWork = performance.now();
  }

  /** Work that is not a request (an idle collection about to run): sampling runs for LINGER_MS from now. */
  wake(): void {
    this.lastWork = performance.now();
    if (this.last === undefined) this.start();
  }

  get sampling(): boolean {
    return this.last !== undefined;
  }

  /** A histogram fed from now on (the paused intervals since its start included). */
  histogram(): DelayHistogram {
    const h = new DelayHistogram(this);
    this.sinks.add(h);
    return h;
  }

  /** Paused intervals so far, the current pause's included. */
  pausedSoFar(): number {
    return (
      this.pausedIntervals +
      (this.pausedAt === undefined ? 0 : Math.floor((performance.now() - this.pausedAt) / RESOLUTION_MS))
    );
  }

  stop(): void {
    this.stopped = true;
    this.pause();
  }

  private start(): void {
    if (this.stopped) return;
    const now = performance.now();
    if (this.pausedAt !== undefined) this.pausedIntervals += Math.floor((now - this.pausedAt) / RESOLUTION_MS);
    this.pausedAt = undefined;
    this.last = now;
    // Unreferenced: sampling never keeps the process alive.
    this.timer = setTimeout(() => this.sample(), RESOLUTION_MS).unref();
  }

  private pause(): void {
    if (this.last === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.pausedAt = performance.now();
  }

  private sample(): void {
    const now = performance.now();
    // The whole interval since the last sample, as monitorEventLoopDelay records it (the resolution is taken off when
    // read); at least 1 ns, the histogram's floor.
    const ns = Math.max(1, Math.round((now - this.last!) * 1e6));
    for (const h of this.sinks) h.record(ns);
    if (this.open === 0 && now - this.lastWork >= this.lingerMs) {
      this.pause();
      return;
    }
    this.last = now;
    this.timer!.refresh();
  }
}

/**
 * The samples since its start (reset): those the timer took, plus one of no delay (exactly the resolution) for each
 * interval the timer was paused. Reads the same fields as perf_hooks' histograms, in ns.
 */
export class DelayHistogram {
  private readonly taken: RecordableHistogram = createHistogram();
  private pausedAtReset: number;

  constructor(private readonly sampler: LoopSampler) {
    this.pausedAtReset = sampler.pausedSoFar();
  }

  record(ns: number): void {
    this.taken.record(ns);
  }

  reset(): void {
    this.taken.reset();
    this.pausedAtReset = this.sampler.pausedSoFar();
  }

  /** Samples of no delay: the paused intervals since the start. */
  get idle(): number {
    return this.sampler.pausedSoFar() - this.pausedAtReset;
  }

  get count(): number {
    return this.taken.count + this.idle;
  }

  get min(): number {
    const t = this.taken;
    if (!this.idle) return t.min;
    return t.count ? Math.min(t.min, RESOLUTION_NS) : RESOLUTION_NS;
  }

  get max(): number {
    const t = this.taken;
    if (!this.idle) return t.max;
    return t.count ? Math.max(t.max, RESOLUTION_NS) : RESOLUTION_NS;
  }

  get mean(): number {
    const t = this.taken;
    const z = this.idle;
    if (!z) return t.mean;
    return t.count ? (t.count * t.mean + z * RESOLUTION_NS) / (t.count + z) : RESOLUTION_NS;
  }

  get stddev(): number {
    const t = this.taken;
    const z = this.idle;
    if (!z) return t.stddev;
    if (!t.count) return 0;
    const n = t.count + z;
    const mean = this.mean;
    const variance = (t.count * (t.stddev ** 2 + (t.mean - mean) ** 2) + z * (RESOLUTION_NS - mean) ** 2) / n;
    return Math.sqrt(variance);
  }

  /** The sample at `q` percent: the idle samples are the lowest (no delay), the timer's above them in their order. */
  percentile(q: number): number {
    const t = this.taken;
    const z = this.idle;
    if (!z) return t.percentile(q);
    const rank = (q / 100) * (t.count + z);
    if (rank <= z || !t.count) return RESOLUTION_NS;
    return t.percentile(Math.min(100, ((rank - z) / t.count) * 100));
  }
}

export class EventLoopDelay {
  private readonly histogram: DelayHistogram;
  private previous?: EventLoopDelayWindow;
  private windowStarted = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly sampler: LoopSampler,
    readonly windowS = windowFromEnv(),
  ) {
    this.histogram = sampler.histogram();
    this.timer = setInterval(() => this.rotate(), windowS * 1000);
    this.timer.unref();
  }

  /** The window in progress (since its start) and the last complete one. */
  snapshot(): { current: EventLoopDelayWindow; previous?: EventLoopDelayWindow } {
    return { current: this.read(), ...(this.previous ? { previous: this.previous } : {}) };
  }

  close(): void {
    clearInterval(this.timer);
    this.sampler.stop();
  }

  private rotate(): void {
    this.previous = this.read();
    this.histogram.reset();
    this.windowStarted = Date.now();
  }

  private read(): EventLoopDelayWindow {
    const h = this.histogram;
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
    const seconds = Math.round((Date.now() - this.windowStarted) / 100) / 10;
    if (!h.count) return { seconds, samples: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    return { seconds, samples: h.count, p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
  }
}

/**
 * Runs `install` (prom-client's collectDefaultMetrics) with perf_hooks.monitorEventLoopDelay answering with a
 * histogram of `sampler`: prom-client's own event-loop lag gauges (nodejs_eventloop_lag_*, reset at each scrape) then
 * read the same pausable sampling instead of a second 10 ms timer that would wake an idle daemon 100 times a second.
 * The swap lasts only the synchronous call.
 */
export function withLoopSampler<T>(sampler: LoopSampler, install: () => T): T {
  const original = perfHooks.monitorEventLoopDelay;
  perfHooks.monitorEventLoopDelay = (() => {
    const h = sampler.histogram();
    // What prom-client calls on it besides the reads: enable() once (sampling is the sampler's), reset() per scrape.
    return Object.assign(h, { enable: () => true, disable: () => true }) as unknown as IntervalHistogram;
  }) as typeof perfHooks.monitorEventLoopDelay;
  try {
    return install();
  } finally {
    perfHooks.monitorEventLoopDelay = original;
  }
}
