// The daemon's side of the JS-check sandbox: one worker thread running QuickJS (WebAssembly), checks queued to it
// one at a time. node:vm was not a boundary (`expect.constructor.constructor('return process')()` reached the host);
// a WebAssembly interpreter with no host functions is. The worker keeps the event loop free while a check runs, and
// a wall-clock watchdog terminates it if a check outlives its deadline (the guest's interrupt handler is only asked
// between bytecodes; a native builtin near the memory limit can run long).
import type { Worker } from "node:worker_threads";
import { startWorker } from "../../worker-thread.js";

export interface SandboxJob {
  id: number;
  code: string;
  output: string;
  input: string;
  expect?: unknown;
  baseline: string;
  timeoutMs: number;
}
export type SandboxReply =
  | { id: number; score: number; error?: undefined; retiring?: undefined }
  /** `retiring`: the worker exits after this reply (its engine may be inconsistent); the next check needs a new one. */
  | { id: number; error: string; score?: undefined; retiring?: boolean };

/** Worker start-up (loading and warming the interpreter) may take this long before the check is failed. */
const START_LIMIT_MS = 60_000;
const RUN_GRACE_MS = 1_000;

interface Pending {
  job: SandboxJob;
  resolve: (r: SandboxReply) => void;
}

class JsSandbox {
  private worker?: Worker;
  private ready?: Promise<void>;
  private queue: Pending[] = [];
  private running?: Pending;
  private watchdog?: NodeJS.Timeout;
  private nextId = 1;

  run(job: Omit<SandboxJob, "id">): Promise<SandboxReply> {
    return new Promise((resolve) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, resolve });
      this.pump();
    });
  }

  private start(): Promise<void> {
    const worker = startWorker(import.meta.url, "./js-check-worker.js", "./js-sandbox-worker.ts", {
      // The guest's memory is the WebAssembly heap (its own limit); these bound the worker's JavaScript around it.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 8 },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    // Idle, the sandbox keeps no process alive (a CLI audit exits when done; a running check's watchdog timer keeps it
    // up meanwhile). unref() after every 'message' listener: adding one refs the worker's port again.
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", (m: { ready?: boolean }) =>
        m.ready ? resolve() : reject(new Error("unexpected first message")),
      );
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the sandbox worker exited with ${code} while starting`)));
    }).then(() => {
      worker.on("message", (reply: SandboxReply) => this.finish(reply));
      worker.on("error", () => undefined);
      worker.on("exit", () => this.lost(worker, "the sandbox stopped"));
      worker.unref();
    });
    worker.unref();
    return ready;
  }

  private pump(): void {
    if (this.running || !this.queue.length) return;
    const current = (this.running = this.queue.shift()!);
    const cold = !this.worker;
    if (cold) this.ready = this.start();
    const starting = this.ready!;
    // The check's own limit counts from when the worker has it: a slow start (a busy machine, the first load of the
    // interpreter) has its own, wider bound and is reported as such.
    const arm = (ms: number, error: string) => {
      clearTimeout(this.watchdog);
      this.watchdog = setTimeout(() => {
        void this.worker?.terminate();
        this.worker = undefined;
        this.complete(current, { id: current.job.id, error });
      }, ms);
    };
    if (cold) arm(START_LIMIT_MS, `the sandbox did not start within ${START_LIMIT_MS / 1000} s`);
    starting.then(
      () => {
        if (this.running !== current) return;
        arm(current.job.timeoutMs + RUN_GRACE_MS, `timed out after ${current.job.timeoutMs} ms`);
        this.worker?.postMessage(current.job);
      },
      (e: Error) => {
        this.worker = undefined;
        this.complete(current, { id: current.job.id, error: `the sandbox could not start: ${e.message}` });
      },
    );
  }

  private finish(reply: SandboxReply): void {
    // Let go of a retiring worker before the next check is sent: it went to the exiting worker and failed with "the
    // sandbox stopped" — any check queued behind a crashing one, another audit's included.
    if (reply.retiring && this.worker) {
      void this.worker.terminate();
      this.worker = undefined;
    }
    if (this.running && this.running.job.id === reply.id) this.complete(this.running, reply);
  }

  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return; // a worker the watchdog already replaced
    this.worker = undefined;
    if (this.running) this.complete(this.running, { id: this.running.job.id, error: why });
  }

  private complete(p: Pending, reply: SandboxReply): void {
    if (this.running !== p) return;
    clearTimeout(this.watchdog);
    this.running = undefined;
    p.resolve(reply);
    this.pump();
  }
}

let sandbox: JsSandbox | undefined;

/** Runs one check in the shared sandbox; never throws: failures come back as `error`. */
export function runInSandbox(job: Omit<SandboxJob, "id">): Promise<SandboxReply> {
  return (sandbox ??= new JsSandbox()).run(job);
}
