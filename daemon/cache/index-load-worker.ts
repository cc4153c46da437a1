// Worker thread: reads every stored vector of the cache once, on its own read-only SQLite connection, and sends back
// each namespace's sign bits, so the daemon's bit indexes fill at start-up without holding its event loop (a 100k-entry
// namespace took 1–2 s to build on the loop; at 1M entries, tens of seconds). See index-load.ts.
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { signBits } from "./bit-index.js";
import type { IndexBatch, IndexLoadJob, IndexLoadReply } from "./index-load.js";
import { storedVectors } from "./stored-vectors.js";

/** Rows per batch sent back: a batch is merged on the event loop, so it stays a few milliseconds of work. */
const BATCH_ROWS = 8192;

const job = workerData as IndexLoadJob;
const pending = new Map<
  string,
  { embedder: string; namespace: string; ids: number[]; expires: number[]; bits: Uint32Array[] }
>();
let rows = 0;

function send(key: string): void {
  const p = pending.get(key);
  if (!p?.ids.length) return;
  const words = p.bits[0].length;
  const bits = new Uint32Array(p.ids.length * words);
  p.bits.forEach((b, i) => bits.set(b, i * words));
  const batch: IndexBatch = {
    embedder: p.embedder,
    namespace: p.namespace,
    words,
    ids: Float64Array.from(p.ids),
    expires: Float64Array.from(p.expires),
    bits,
  };
  parentPort!.postMessage({ batch } satisfies IndexLoadReply, [
    batch.ids.buffer as ArrayBuffer,
    batch.expires.buffer as ArrayBuffer,
    bits.buffer as ArrayBuffer,
  ]);
  pending.delete(key);
}

try {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    for (const r of storedVectors(db, job.now)) {
      const dims = r.embedding.byteLength >>> 2;
      if (dims !== job.dims[r.embedder]) continue; // a vector of another size than its space: never searched
      const aligned = r.embedding.byteOffset % 4 === 0 ? r.embedding : Buffer.from(r.embedding);
      const v = new Float32Array(aligned.buffer, aligned.byteOffset, dims);
      const key = `${r.embedder}\u0000${r.namespace}`;
      let p = pending.get(key);
      if (!p) pending.set(key, (p = { embedder: r.embedder, namespace: r.namespace, ids: [], expires: [], bits: [] }));
      p.ids.push(r.id);
      p.expires.push(r.expires_ms);
      p.bits.push(signBits(v));
      rows++;
      if (p.ids.length >= BATCH_ROWS) send(key);
    }
    for (const key of [...pending.keys()]) send(key);
  } finally {
    db.close();
  }
  parentPort!.postMessage({ done: { rows } } satisfies IndexLoadReply);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message } satisfies IndexLoadReply);
}
