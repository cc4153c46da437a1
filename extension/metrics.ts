// Live numbers for the status bar, computed from the daemon's request.finished events over a sliding window.
import type { DaemonEvent } from "../daemon/api.js";

const WINDOW_MS = 30_000;

export class LiveMetrics {
  private finished: { at: number; cacheHit: boolean; cacheAsked: boolean }[] = [];
  lastModel: string | undefined;

  record(e: DaemonEvent, now = Date.now()): void {
    if (e.type !== "request.finished") return;
    const verdict = e.cache ?? "";
    this.finished.push({
      at: now,
      cacheHit: /hit/i.test(verdict),
      cacheAsked: verdict !== "" && !/bypass|skip|off/i.test(verdict),
    });
    if (e.model) this.lastModel = e.model;
    this.prune(now);
  }

  private prune(now: number): void {
    const cutoff = now - WINDOW_MS;
    let i = 0;
    while (i < this.finished.length && this.finished[i]!.at < cutoff) i++;
    if (i) this.finished.splice(0, i);
  }

  requestsPerSecond(now = Date.now()): number {
    this.prune(now);
    return this.finished.length / (WINDOW_MS / 1000);
  }

  /** Hit rate over the window among requests the cache was asked about; undefined when none was. */
  cacheHitRate(now = Date.now()): number | undefined {
    this.prune(now);
    const asked = this.finished.filter((f) => f.cacheAsked);
    return asked.length ? asked.filter((f) => f.cacheHit).length / asked.length : undefined;
  }
}
