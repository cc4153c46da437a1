// Import workers started ahead of the imports that use them. Starting one is on an import's critical path otherwise:
// a new thread loads and compiles the ~1 MB worker bundle (importers, zod, analysis) and opens SQLite before it can
// take the first block of the upload — 0.2–0.3 s on an idle 2-core machine, 0.5–3 s on a busy one, for each of an
// import's two threads. A started worker waits for its job (ImportJob as its first message) and does one import, as a
// worker started for the job would; the daemon keeps SPARE_IMPORT_WORKERS of them waiting, started shortly after it
// starts and again after each import, when the machine is idle.
import type { Worker } from "node:worker_threads";
import { startWorker } from "../../worker-thread.js";

/** One large import's two threads (parse + store). */
export const SPARE_IMPORT_WORKERS = 2;

/** How long after the daemon starts, or an import ends, spare workers start (off the start-up's and import's CPU). */
export const SPARE_START_DELAY_MS = 1000;

/**
 * How much lower an import thread's priority is than the daemon's (nice values): the daemon's own thread answers
 * requests while an import runs, and on a machine with few cores the import's threads would take its core.
 */
const IMPORT_NICE_STEP = 5;

/** A worker that gets its job as its first message (see worker.ts), IMPORT_NICE_STEP below the daemon from its start. */
export function startImportWorker(): Worker {
  return startWorker(import.meta.url, "./trace-import-worker.js", "./worker.ts", {}, IMPORT_NICE_STEP);
}

export class ImportWorkers {
  private readonly spare: Worker[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;
  private warm = false;

  constructor(private readonly count = SPARE_IMPORT_WORKERS) {}

  /** A waiting worker (not yet given a job), or a new one. */
  take(): Worker {
    const w = this.spare.shift() ?? startImportWorker();
    w.ref();
    return w;
  }

  /** Keeps `count` workers waiting from now on: started after `delayMs`, and again after each import (`used`). */
  keepWarm(delayMs = SPARE_START_DELAY_MS): void {
    if (this.closed) return;
    this.warm = true;
    this.refillAfter(delayMs);
  }

  /** An import that took workers ended: the spares are started again (when warm). */
  used(): void {
    if (this.warm && !this.closed) this.refillAfter(SPARE_START_DELAY_MS);
  }

  /** How many workers wait. */
  get waiting(): number {
    return this.spare.length;
  }

  /** Stops the waiting workers; none is started again. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all(this.spare.splice(0).map((w) => w.terminate()));
  }

  private refillAfter(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refill(), ms);
    this.timer.unref();
  }

  private refill(): void {
    while (!this.closed && this.spare.length < this.count) {
      const w = startImportWorker();
      // A waiting worker never keeps the process alive (taken, it is ref'd), and one that ended is not handed out.
      w.unref();
      const drop = () => {
        const i = this.spare.indexOf(w);
        if (i !== -1) this.spare.splice(i, 1);
      };
      w.once("exit", drop);
      w.once("error", drop);
      this.spare.push(w);
    }
  }
}
