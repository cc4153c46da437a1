// Worker thread: reads the stored vectors of one rowid range of the cache, on its own read-only SQLite connection,
// and sends back each namespace's sign bits, so the daemon's bit indexes fill at start-up without holding its event
// loop (a 100k-entry namespace took 1–2 s to build on the loop; at 1M entries, tens of seconds). See index-load.ts.
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { signBitsInto } from "./bit-index.js";
import type { IndexBatch, IndexLoadJob, IndexLoadReply } from "./index-load.js";
import { namespaceRows, storedVectorRange } from "./stored-vectors.js";

/** Rows per batch sent back: a batch is merged on the event loop, so it stays a few milliseconds of work. */
const BATCH_ROWS = 2048;

const job = workerData as IndexLoadJob;

/** A namespace's batch being filled: typed arrays written in place, transferred when full. */
interface Pending {
  embedder: string;
  namespace: string;
  words: number;
  n: number;
  ids: Float64Array;
  expires: Float64Array;
  bits: Uint32Array;
}

const pending = new Map<string, Pending>();
let rows = 0;

function send(p: Pending): void {
  if (!p.n) return;
  const batch: IndexBatch = {
    embedder: p.embedder,
    namespace: p.namespace,
    words: p.words,
    ids: p.ids.slice(0, p.n),
    expires: p.expires.slice(0, p.n),
    bits: p.bits.slice(0, p.n * p.words),
  };
  parentPort!.postMessage({ batch } satisfies IndexLoadReply, [
    batch.ids.buffer as ArrayBuffer,
    batch.expires.buffer as ArrayBuffer,
    batch.bits.buffer as ArrayBuffer,
  ]);
  p.n = 0;
}

try {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    parentPort!.postMessage({ counts: namespaceRows(db, job.from, job.to) } satisfies IndexLoadReply);
    for (const [id, namespace, embedder, embedding, expires] of storedVectorRange(db, job.now, job.from, job.to)) {
      const dims = embedding.byteLength >>> 2;
      if (dims !== job.dims[embedder]) continue; // a vector of another size than its space: never searched
      const aligned = embedding.byteOffset % 4 === 0 ? embedding : Buffer.from(embedding);
      const v = new Float32Array(aligned.buffer, aligned.byteOffset, dims);
      const key = `${embedder}\u0000${namespace}`;
      let p = pending.get(key);
      if (!p) {
        const words = Math.ceil(dims / 32);
        p = {
          embedder,
          namespace,
          words,
          n: 0,
          ids: new Float64Array(BATCH_ROWS),
          expires: new Float64Array(BATCH_ROWS),
          bits: new Uint32Array(BATCH_ROWS * words),
        };
        pending.set(key, p);
      }
      p.ids[p.n] = id;
      p.expires[p.n] = expires;
      signBitsInto(v, p.bits, p.n * p.words);
      p.n++;
      rows++;
      if (p.n === BATCH_ROWS) send(p);
    }
    for (const p of pending.values()) send(p);
  } finally {
    db.close();
  }
  parentPort!.postMessage({ done: { rows } } satisfies IndexLoadReply);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message } satisfies IndexLoadReply);
}
