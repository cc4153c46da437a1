// The one read of every live stored vector (cache_entries, owned by store.ts), shared by the store's in-process index
// load and the index-load workers' own read-only connections (index-load-worker.ts).
import type { Database } from "better-sqlite3";

export interface StoredVector {
  id: number;
  namespace: string;
  embedder: string;
  embedding: Buffer;
  expires_ms: number;
}

/** Entries with an embedding that have not expired at `now` (ms since epoch), in storage order. */
export function storedVectors(db: Database, now: number): IterableIterator<StoredVector> {
  return db
    .prepare(
      "SELECT id, namespace, embedder, embedding, expires_ms FROM cache_entries WHERE embedding IS NOT NULL AND expires_ms > ?",
    )
    .iterate(now) as IterableIterator<StoredVector>;
}

/**
 * The same rows with rowid in [from, to], as arrays [id, namespace, embedder, embedding, expires_ms] (no object per
 * row: a loader reads a million of them). A rowid range is a B-tree range, so several readers can split the table.
 */
export function storedVectorRange(
  db: Database,
  now: number,
  from: number,
  to: number,
): IterableIterator<[number, string, string, Buffer, number]> {
  return db
    .prepare(
      "SELECT id, namespace, embedder, embedding, expires_ms FROM cache_entries WHERE id BETWEEN ? AND ? AND embedding IS NOT NULL AND expires_ms > ?",
    )
    .raw(true)
    .iterate(from, to, now) as IterableIterator<[number, string, string, Buffer, number]>;
}

/** Rows per namespace with rowid in [from, to] (an upper bound of its vectors; read from the namespace index). */
export function namespaceRows(db: Database, from: number, to: number): Record<string, number> {
  const rows = db
    .prepare(
      "SELECT namespace, COUNT(*) FROM cache_entries INDEXED BY cache_entries_ns WHERE id BETWEEN ? AND ? GROUP BY namespace",
    )
    .raw(true)
    .all(from, to) as [string, number][];
  return Object.fromEntries(rows);
}
