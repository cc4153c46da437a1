// The one read of every live stored vector (cache_entries, owned by store.ts), shared by the store's in-process index
// load and the index-load worker's own read-only connection (index-load-worker.ts).
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
