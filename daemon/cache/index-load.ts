// Filling the bit indexes (bit-index.ts) when a cache opens, off the request path. A small cache (up to
// SYNC_LOAD_ROWS vectors) is read in place, at construction: a few tens of milliseconds. A larger one is read by a
// worker thread on its own read-only connection, which sends each namespace's sign bits back in batches; until it
// is done a lookup searches what has arrived (a miss is safe, a wrong hit is not), and no request pays for a build.
import { startWorker } from "../worker-thread.js";

/** Stored vectors up to which the indexes are filled at construction, on the calling thread. */
export const SYNC_LOAD_ROWS = 10_000;

export interface IndexLoadJob {
  /** The database file (a worker cannot share an in-memory database). */
  file: string;
  /** Entries that expired before this are skipped. */
  now: number;
  /** Dimensions of each embedder's vector space: rows of another size are skipped. */
  dims: Record<string, number>;
}

/** One namespace's sign bits for some of its entries, `words` 32-bit words per entry. */
export interface IndexBatch {
  embedder: string;
  namespace: string;
  words: number;
  ids: Float64Array;
  expires: Float64Array;
  bits: Uint32Array;
}

export type IndexLoadReply = { batch: IndexBatch } | { done: { rows: number } } | { error: string };

/**
 * Reads the stored vectors in a worker; `onBatch` receives them on this thread as they come. Resolves with the number
 * of rows read. The worker does not keep the process alive (a CLI command exits without waiting for it).
 */
export function loadInWorker(job: IndexLoadJob, onBatch: (b: IndexBatch) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, "./index-load-worker.js", "./index-load-worker.ts", {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    worker.unref();
    let settled = false;
    worker.on("message", (m: IndexLoadReply) => {
      if ("batch" in m) return onBatch(m.batch);
      settled = true;
      if ("done" in m) resolve(m.done.rows);
      else reject(new Error(`loading the cache's similarity index failed: ${m.error}`));
    });
    worker.once("error", (e) => {
      settled = true;
      reject(e);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the cache index loader exited (code ${code}) before finishing`));
    });
  });
}
