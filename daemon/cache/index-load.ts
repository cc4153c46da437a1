// Filling the bit indexes (bit-index.ts) when a cache opens, off the request path. A small cache (up to
// SYNC_LOAD_ROWS vectors) is read in place, at construction: a few tens of milliseconds. A larger one is read by
// worker threads on their own read-only connections (one per core, up to two, each a rowid range), which send each
// namespace's sign bits back in batches; until they are done a lookup searches what has arrived (a miss is safe, a
// wrong hit is not), and no request pays for a build.
// Each worker first sends how many rows each namespace holds in its range, and no batch is merged before every
// worker has: the store then sizes each index once (BitIndex.reserve) instead of growing and copying it while
// batches arrive. Batches are transferred, not copied, and each merge is a few milliseconds of typed-array writes.
import { availableParallelism } from "node:os";
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
  /** This worker's rowid range, inclusive. */
  from: number;
  to: number;
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

export type IndexLoadReply =
  { counts: Record<string, number> } | { batch: IndexBatch } | { done: { rows: number } } | { error: string };

export interface IndexLoadSink {
  /** Rows per namespace across all workers (an upper bound of the vectors coming), before any batch. */
  counts(rows: Record<string, number>): void;
  batch(b: IndexBatch): void;
}

/**
 * Reads the stored vectors with rowid in [from, to] in workers; `sink` receives them on this thread as they come.
 * Resolves with the number of rows read. The workers do not keep the process alive (a CLI command exits without
 * waiting for them).
 */
export function loadInWorker(
  job: Omit<IndexLoadJob, "from" | "to">,
  range: { from: number; to: number },
  sink: IndexLoadSink,
): Promise<number> {
  const n = Math.max(1, Math.min(2, availableParallelism(), range.to - range.from + 1));
  const step = Math.ceil((range.to - range.from + 1) / n);
  const counts: Record<string, number> = {};
  let counted = 0;
  // Batches wait here and are merged one per event-loop turn: a burst (all batches that came before the last
  // worker's counts, or several workers at once) never becomes one long turn.
  const queue: IndexBatch[] = [];
  let draining = false;
  let finishedRows: number | undefined;
  let onDrained: ((rows: number) => void) | undefined;
  const drain = () => {
    const b = queue.shift();
    if (b) sink.batch(b);
    if (queue.length) return void setImmediate(drain);
    draining = false;
    if (finishedRows !== undefined) onDrained?.(finishedRows);
  };
  const enqueue = (b?: IndexBatch) => {
    if (b) queue.push(b);
    if (counted < n || draining || !queue.length) return;
    draining = true;
    setImmediate(drain);
  };
  return new Promise((resolve, reject) => {
    onDrained = resolve;
    const workers = Array.from({ length: n }, (_, i) =>
      startWorker(import.meta.url, "./index-load-worker.js", "./index-load-worker.ts", {
        workerData: {
          ...job,
          from: range.from + i * step,
          to: Math.min(range.to, range.from + (i + 1) * step - 1),
        } satisfies IndexLoadJob,
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      }),
    );
    let done = 0;
    let rows = 0;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    for (const worker of workers) {
      worker.unref();
      let finished = false;
      worker.on("message", (m: IndexLoadReply) => {
        if (settled) return;
        if ("counts" in m) {
          for (const [ns, c] of Object.entries(m.counts)) counts[ns] = (counts[ns] ?? 0) + c;
          if (++counted < n) return;
          sink.counts(counts);
          enqueue();
        } else if ("batch" in m) {
          enqueue(m.batch);
        } else if ("done" in m) {
          finished = true;
          rows += m.done.rows;
          if (++done === n) {
            settled = true;
            finishedRows = rows;
            if (!draining && !queue.length) resolve(rows);
          }
        } else fail(new Error(`loading the cache's similarity index failed: ${m.error}`));
      });
      worker.once("error", fail);
      worker.once("exit", (code) => {
        if (!finished) fail(new Error(`the cache index loader exited (code ${code}) before finishing`));
      });
    }
  });
}
