// Import workers started ahead of the imports that use them. Starting one is on an import's critical path otherwise:
// a new thread loads and compiles the ~1 MB worker bundle (importers, zod, analysis) and opens SQLite before it can
// take the first block of the upload — 0.2–0.3 s on an idle 2-core machine, 0.5–3 s on a busy one, for each of an
// import's two threads. A started worker waits for its job (ImportJob as its first message); the daemon keeps
// SPARE_IMPORT_WORKERS of them waiting, started shortly after it starts and again after each import, when the machine
// is idle.
// A worker whose job succeeded waits for the next one (reuse): a new thread runs its first import on cold code — V8 has
// compiled and optimised nothing yet, and a 100k-span import's analysis took 1.2–1.4 s cold against ~0.7–0.8 s on a
// thread that had done one before (part of it V8 compiling on helper threads, findParallelism alone re-optimised 5+
// times). A worker is reused only after a job that succeeded (one that failed, was stopped or whose import failed is
// terminated), by the role it last ran (a parse thread's next job is a parse), at most MAX_JOBS_PER_WORKER times and
// for REUSE_IDLE_MS after its last job; IDLE_COLLECT_MS after it, a waiting worker lets go of what the job left.
import type { Worker } from "node:worker_threads";
import { startWorker } from "../../worker-thread.js";
import type { IdleCollected, IdleCollection, ImportJob, JobMessage } from "./job.js";
import { warmBlocks } from "./upload-blocks.js";

/** One large import's two threads (parse + store). */
export const SPARE_IMPORT_WORKERS = 2;

/**
 * How many jobs one worker runs before it is ended and a new one takes its place: each job's garbage is collected with
 * the job (its heap drops back), but a thread that lives for weeks would keep whatever V8 or a library holds on to.
 */
export const MAX_JOBS_PER_WORKER = 32;

/**
 * How long a worker that ran a job waits for the next one before it ends (a new spare takes its place): imports in a
 * row (a session's files, a retry) get warm threads. It lets go of its last job's memory before then (IDLE_COLLECT_MS).
 */
export const REUSE_IDLE_MS = 60_000;

/**
 * How long a worker waits after a job before it lets go of what the job left (worker.ts collectIdle): the buffers kept
 * for a next job and the job's garbage, which V8 would keep until the thread next allocates (a 100k-span import's parse
 * thread held 210 MB of heap until its next job or its end; the daemon ~600 MB RSS after such imports, ~300 MB once
 * let go). Not sooner: the next job then touches its heap's pages and its buffers anew — at 10 s, the import bench's
 * Claude Code imports (~10 s apart per daemon) ran 1.05–1.16× the build before, all three measures the same way though
 * within the pairs' noise. Imports in a row (a session's files, a retry) come within this.
 */
export const IDLE_COLLECT_MS = 30_000;

/** How long a closing daemon waits for the workers still on a job before it stops them (ImportWorkers.close). */
export const CLOSE_GRACE_MS = 10_000;

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

type Role = ImportJob["role"];

/**
 * Ends a worker that answered its job once it is done with it: not terminate(), which would cut off what it does after
 * answering (the writing worker's checkpoint, see worker.ts checkpointAndClose).
 */
function retire(w: Worker): void {
  w.postMessage({ end: true } satisfies JobMessage);
}

/** A waiting worker: the role of its last job (none: new), how many it has run, and its exit/error listener. */
interface Spare {
  worker: Worker;
  role?: Role;
  jobs: number;
  drop: () => void;
  /** A reused one: ends at REUSE_IDLE_MS. */
  idle?: NodeJS.Timeout;
  /** What it let go of while waiting (IdleCollected), once it has. */
  collected?: IdleCollection;
  onMessage?: (m: IdleCollected) => void;
}

export class ImportWorkers {
  private readonly spare: Spare[] = [];
  /** Jobs run by each worker handed out (see reuse). */
  private readonly jobs = new WeakMap<Worker, number>();
  /** Workers handed out and not back (reused) or ended, each with its exit listener. */
  private readonly working = new Map<Worker, () => void>();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private warm = false;

  constructor(
    private readonly count = SPARE_IMPORT_WORKERS,
    private readonly maxJobs = MAX_JOBS_PER_WORKER,
    private readonly reuseIdleMs = REUSE_IDLE_MS,
    /** Told to each worker with its job (ImportJob.idleCollectMs). */
    readonly idleCollectMs = IDLE_COLLECT_MS,
  ) {}

  /** A waiting worker (not yet given this job): one whose last job had this role, else a new one, else any; or a new one. */
  take(role?: Role): Worker {
    const at = [
      this.spare.findIndex((s) => s.role === role),
      this.spare.findIndex((s) => s.role === undefined),
      this.spare.length ? 0 : -1,
    ].find((i) => i !== -1);
    const s = at === undefined ? undefined : this.spare.splice(at, 1)[0];
    let w: Worker;
    if (s) {
      w = s.worker;
      clearTimeout(s.idle);
      w.off("exit", s.drop);
      w.off("error", s.drop);
      if (s.onMessage) w.off("message", s.onMessage);
      this.jobs.set(w, s.jobs + 1);
    } else {
      w = startImportWorker();
      this.jobs.set(w, 1);
    }
    w.ref();
    const ended = () => this.working.delete(w);
    this.working.set(w, ended);
    w.once("exit", ended);
    return w;
  }

  /** How many workers handed out are running a job (or ending after one): an import or a stored trace's read. */
  get running(): number {
    return this.working.size;
  }

  /**
   * `w` (from take) ran a `role` job that succeeded and waits for its next job (it was told it may: ImportJob.reuse):
   * kept as a spare, in place of a new one if all are taken, or ended (closed, MAX_JOBS_PER_WORKER reached).
   */
  reuse(w: Worker, role: Role): void {
    const ended = this.working.get(w);
    if (ended) {
      w.off("exit", ended);
      this.working.delete(w);
    }
    const jobs = this.jobs.get(w) ?? this.maxJobs;
    if (this.closed || jobs >= this.maxJobs) return retire(w);
    if (this.spare.length >= this.count) {
      const cold = this.spare.findIndex((s) => s.role === undefined);
      if (cold === -1) return retire(w);
      const [s] = this.spare.splice(cold, 1);
      clearTimeout(s.idle);
      s.worker.off("exit", s.drop);
      s.worker.off("error", s.drop);
      void s.worker.terminate();
    }
    this.keep(w, role, jobs);
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

  /**
   * The waiting workers' thread ids, the role each last ran (undefined: none yet), and what each let go of while
   * waiting, once it has (see IDLE_COLLECT_MS).
   */
  get waitingThreads(): { threadId: number; role?: Role; collected?: IdleCollection }[] {
    return this.spare.map((s) => ({ threadId: s.worker.threadId, role: s.role, collected: s.collected }));
  }

  /**
   * Stops the waiting workers; none is started again. Those handed out end once done with their jobs (retired when
   * handed back: a writing thread's checkpoint, the details a parsing thread writes after its answer, in the directory
   * the daemon empties next); any still running after `graceMs` is stopped.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const working = [...this.working.keys()].map(
      (w) => new Promise<void>((resolve) => (w.threadId === -1 ? resolve() : w.once("exit", () => resolve()))),
    );
    await Promise.all(
      this.spare.splice(0).map((s) => {
        clearTimeout(s.idle);
        return s.worker.terminate();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(working), late]);
    clearTimeout(timer);
    await Promise.all([...this.working.keys()].map((w) => w.terminate()));
  }

  private refillAfter(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refill(), ms);
    this.timer.unref();
  }

  private refill(): void {
    // The blocks an upload is copied into are made ready with the threads (upload-blocks.ts).
    warmBlocks();
    while (!this.closed && this.spare.length < this.count) this.keep(startImportWorker(), undefined, 0);
  }

  private keep(w: Worker, role: Role | undefined, jobs: number): void {
    // A waiting worker never keeps the process alive (taken, it is ref'd), and one that ended is not handed out.
    w.unref();
    const s: Spare = {
      worker: w,
      role,
      jobs,
      drop: () => {
        clearTimeout(s.idle);
        const i = this.spare.indexOf(s);
        if (i !== -1) this.spare.splice(i, 1);
      },
    };
    if (role !== undefined) {
      s.onMessage = (m) => {
        if ("idleCollected" in m) s.collected = m.idleCollected;
      };
      w.on("message", s.onMessage);
      // Not taken for a while: it ends and, when warm, a new spare is started in its place.
      s.idle = setTimeout(() => {
        s.drop();
        w.off("exit", s.drop);
        w.off("error", s.drop);
        w.off("message", s.onMessage!);
        retire(w);
        if (this.warm && !this.closed) this.refillAfter(0);
      }, this.reuseIdleMs);
      s.idle.unref();
    }
    w.once("exit", s.drop);
    w.once("error", s.drop);
    // Reused ones first: take() looks for the role, then a new one, then the first.
    if (role !== undefined) this.spare.unshift(s);
    else this.spare.push(s);
  }
}
