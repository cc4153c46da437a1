// How long the event loop was held: perf_hooks.monitorEventLoopDelay sampled every 10 ms, reported per 60 s window
// (the last complete one and the one in progress) on /hotpath/stats and as gauges on /metrics. The histogram
// records whole timer intervals, so the sampling interval is taken off: an idle loop reads ~0 ms.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { EventLoopDelayWindow } from "../api.js";

const RESOLUTION_MS = 10;

/**
 * The window's length: 60 s, or HOTPATH_EVENT_LOOP_WINDOW_S (1–3600) to watch what single requests do (the tests that
 * bound how long one request may hold the loop read windows of a few seconds).
 */
function windowFromEnv(): number {
  const s = Number(process.env.HOTPATH_EVENT_LOOP_WINDOW_S);
  return Number.isFinite(s) && s >= 1 && s <= 3600 ? s : 60;
}

export class EventLoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private previous?: EventLoopDelayWindow;
  private windowStarted = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly windowS = windowFromEnv()) {
    this.histogram.enable();
    this.timer = setInterval(() => this.rotate(), windowS * 1000);
    this.timer.unref();
  }

  /** The window in progress (since its start) and the last complete one. */
  snapshot(): { current: EventLoopDelayWindow; previous?: EventLoopDelayWindow } {
    return { current: this.read(), ...(this.previous ? { previous: this.previous } : {}) };
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
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
