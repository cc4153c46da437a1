// One worker thread doing one job at a time for the event loop: started on the first job, given a start-up budget and a
// budget per job, replaced (and the job refused) when either runs out or the worker dies. The embedder and the
// JSON-schema → grammar converter run on it. Idle, the worker does not keep a process alive; busy, it does (a CLI
// awaiting a job has no other handle).
import type { Transferable, Worker } from "node:worker_threads";

export interface WorkerQueueSpec<J, R, Reply extends { id: number }> {
  /** Starts the worker; it posts `{ ready: true }` (or `{ error }`) once, then one reply per job. */
  start: () => Worker;
  startLimitMs: number;
  /** Errors in the caller's words. */
  startTimeout: () => Error;
  startFailed: (e: Error) => Error;
  /** The worker died while running a job; `e` is its last 'error' (ERR_WORKER_OUT_OF_MEMORY past resourceLimits). */
  stopped: (e?: Error) => Error;
  /** The job's budget, and the error when it runs out. */
  budget: (job: J) => { ms: number; error: () => Error };
  /** The job's result from its reply, or the error it carries. */
  result: (reply: Reply) => R | Error;
  /** What of the job moves to the worker instead of being copied (large buffers the caller no longer needs). */
  transfer?: (job: J) => Transferable[];
  /**
   * Stop the worker after this long without a job (a later job starts a new one): its heap, which V8 collects only
   * when it next needs room, goes back to the system. Default: kept for the process's life.
   */
  idleStopMs?: number;
}

interface Pending<J, R> {
  id: number;
  job: J;
  resolve: (result: R) => void;
  reject: (e: Error) => void;
}

export class WorkerQueue<J, R, Reply extends { id: number }> {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly queue: Pending<J, R>[] = [];
  private running?: Pending<J, R>;
  private timer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private nextId = 1;

  constructor(private readonly spec: WorkerQueueSpec<J, R, Reply>) {}

  /** Jobs waiting behind the running one. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Whether a worker is started (idle or busy). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  run(job: J): Promise<R> {
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  /** Refuses every waiting and running job with `error` and stops the worker; a later job starts a new one. */
  async dispose(error: Error): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.queue.splice(0)) p.reject(error);
    if (this.running) this.complete(this.running, error);
    await worker?.terminate();
  }

  private start(): Promise<void> {
    const worker = this.spec.start();
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      worker.once("message", (m: { ready?: boolean; error?: string }) =>
        m.ready ? resolve() : reject(new Error(m.error ?? "unexpected first message")),
      );
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the worker exited with ${code} while starting`)));
    }).then(() => {
      worker.on("message", (reply: Reply) => this.finish(reply));
      let lastError: Error | undefined;
      worker.on("error", (e) => (lastError = e));
      worker.on("exit", () => this.lost(worker, lastError));
    });
  }

  private pump(): void {
    if (this.running) return;
    if (!this.queue.length) {
      this.worker?.unref();
      if (this.worker && this.spec.idleStopMs !== undefined) {
        const idle = this.worker;
        clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(() => {
          if (this.worker !== idle || this.running || this.queue.length) return;
          this.worker = undefined;
          void idle.terminate();
        }, this.spec.idleStopMs);
        this.idleTimer.unref();
      }
      return;
    }
    const current = (this.running = this.queue.shift()!);
    const cold = !this.worker;
    if (cold) this.ready = this.start();
    const worker = this.worker!;
    worker.ref();
    const arm = (ms: number, error: () => Error) => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        void worker.terminate();
        if (this.worker === worker) this.worker = undefined;
        this.complete(current, error());
      }, ms);
    };
    if (cold) arm(this.spec.startLimitMs, this.spec.startTimeout);
    this.ready!.then(
      () => {
        if (this.running !== current) return;
        const budget = this.spec.budget(current.job);
        arm(budget.ms, budget.error);
        worker.postMessage({ ...current.job, id: current.id }, this.spec.transfer?.(current.job));
      },
      (e: Error) => {
        // A worker disposed while it started may fail after its successor began: only forget this one.
        if (this.worker === worker) this.worker = undefined;
        this.complete(current, this.spec.startFailed(e));
      },
    );
  }

  private finish(reply: Reply): void {
    if (this.running?.id !== reply.id) return;
    this.complete(this.running, this.spec.result(reply));
  }

  private lost(worker: Worker, e?: Error): void {
    if (this.worker !== worker) return; // one the timer already replaced
    this.worker = undefined;
    if (this.running) this.complete(this.running, this.spec.stopped(e));
  }

  private complete(p: Pending<J, R>, outcome: R | Error): void {
    if (this.running !== p) return;
    clearTimeout(this.timer);
    this.running = undefined;
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
    this.pump();
  }
}
