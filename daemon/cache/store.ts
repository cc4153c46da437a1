// The cache's tables in the daemon's one SQLite file. cache_entries holds each answer once (request, response,
// float vector, TTL, LRU facts). Lookup: exact key → coarse Hamming search in an in-memory bit index per namespace
// (bit-index.ts; filled from cache_entries when the store opens — in a worker for large caches, index-load.ts — and
// kept in step by put/delete) → float cosine re-score → guards (in the service). Entries carry their scope
// (user/tenant) and a normalised key for the exactness ladder's second rung.
// sqlite-vec's vec0 tables held a binary-quantized copy of every vector until cache:3: nothing read them once the bit
// index took over the coarse search (vec0's KNN cost 20–40 ms a query in a 100k namespace), and writing them doubled
// the cost of a store (~0.5 → ~1.1 ms a put on the 2-core machine). The float vectors in cache_entries are the one
// durable copy; sqlite-vec is still loaded so that the migration can drop the old vec0 tables.
import type { Statement } from "better-sqlite3";
import type { CacheEntryDto } from "../api.js";
import * as sqliteVec from "sqlite-vec";
import { applyMigrations, type Db, sqlMigration } from "../db.js";
import { BitIndex, signBits } from "./bit-index.js";
import { loadInWorker, SYNC_LOAD_ROWS, type IndexBatch } from "./index-load.js";
import { dot } from "./embedder.js";
import { storedVectors } from "./stored-vectors.js";

/** This module's tables, created when its store first opens a database. */
const TABLES = sqlMigration(
  "cache:1-entries",
  `
      CREATE TABLE cache_entries (
        id INTEGER PRIMARY KEY,
        exact_key TEXT NOT NULL UNIQUE,
        namespace TEXT NOT NULL,
        kind TEXT NOT NULL,               -- chat | completion
        route TEXT NOT NULL,
        model TEXT NOT NULL,
        workload TEXT NOT NULL,           -- classification | extraction | code | conversation
        match TEXT NOT NULL,              -- semantic | exact: whether a paraphrase may hit it
        embedder TEXT,                    -- id of the vector space its vector lives in (NULL: exact only)
        embedding BLOB,                   -- float32 unit vector, for the re-score
        query_text TEXT NOT NULL,
        request TEXT NOT NULL,            -- JSON
        response TEXT NOT NULL,           -- JSON (ChatCompletion | Completion)
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        hits INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        latency_ms REAL NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX cache_entries_ns ON cache_entries(namespace, created_ms);
      CREATE INDEX cache_entries_lru ON cache_entries(last_used_ms);
      CREATE INDEX cache_entries_expires ON cache_entries(expires_ms);
      CREATE TABLE cache_spaces (
        embedder TEXT PRIMARY KEY,
        dims INTEGER NOT NULL,
        vec_table TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE cache_namespaces (
        namespace TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        route TEXT NOT NULL,
        model TEXT NOT NULL,
        threshold REAL,                   -- overrides the configured threshold when set
        hits INTEGER NOT NULL DEFAULT 0,
        misses INTEGER NOT NULL DEFAULT 0,
        bypasses INTEGER NOT NULL DEFAULT 0,
        semantic_hits INTEGER NOT NULL DEFAULT 0,
        guard_rejections INTEGER NOT NULL DEFAULT 0,
        tokens_saved INTEGER NOT NULL DEFAULT 0,
        ms_saved REAL NOT NULL DEFAULT 0,
        usd_saved REAL NOT NULL DEFAULT 0,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL
      );
    `,
);

/** Scopes (user/tenant), the normalised key of the exactness ladder, and hits counted per rung. */
const SCOPES_AND_LADDER = sqlMigration(
  "cache:2-scope-normal-key",
  `
      ALTER TABLE cache_entries ADD COLUMN scope TEXT NOT NULL DEFAULT '';   -- user/tenant scope ('' = shared)
      ALTER TABLE cache_entries ADD COLUMN normal_key TEXT;                 -- exact key of the normalised request
      CREATE INDEX cache_entries_normal ON cache_entries(normal_key);
      CREATE INDEX cache_entries_scope ON cache_entries(scope);
      ALTER TABLE cache_namespaces ADD COLUMN normalized_hits INTEGER NOT NULL DEFAULT 0;
    `,
);

/** The vec0 copies go (see the top of this file); a vector space keeps its embedder id and dimensions. */
const NO_VEC0 = {
  name: "cache:3-no-vec0",
  up: (db: Db) => {
    const tables = db.prepare("SELECT vec_table FROM cache_spaces").pluck().all() as string[];
    for (const t of tables) if (/^cache_vec_[0-9a-f]{16}$/.test(t)) db.exec(`DROP TABLE IF EXISTS ${t}`);
    db.exec(`
      CREATE TABLE cache_spaces_v3 (embedder TEXT PRIMARY KEY, dims INTEGER NOT NULL, created_ms INTEGER NOT NULL);
      INSERT INTO cache_spaces_v3 (embedder, dims, created_ms) SELECT embedder, dims, created_ms FROM cache_spaces;
      DROP TABLE cache_spaces;
      ALTER TABLE cache_spaces_v3 RENAME TO cache_spaces;
    `);
  },
};

/**
 * Entry counts and sizes (stats, and the caps checked after every insert) read from an index: `bytes` sits after the
 * request and response texts, so summing it from the table walks every entry's overflow pages — ~1 s per query with
 * 400 entries of 1 MB prompts, on the event loop.
 */
const BYTES_INDEX = sqlMigration(
  "cache:4-bytes-index",
  "CREATE INDEX IF NOT EXISTS cache_entries_ns_bytes ON cache_entries(namespace, bytes);",
);

/** A cache_entries row: the columns the API shows under the same name, and the rest in the table's snake_case. */
export interface EntryRow extends Pick<
  CacheEntryDto,
  "id" | "namespace" | "kind" | "route" | "model" | "workload" | "match" | "embedder" | "scope" | "hits" | "bytes"
> {
  exact_key: string;
  query_text: string;
  request: string;
  response: string;
  created_ms: number;
  expires_ms: number;
  last_used_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  cost_usd: number;
  normal_key: string | null;
}

export type NewEntry = Omit<
  EntryRow,
  "id" | "hits" | "last_used_ms" | "bytes" | "embedder" | "scope" | "normal_key"
> & {
  scope?: string;
  normal_key?: string | null;
};

export interface Candidate {
  id: number;
  similarity: number;
  queryText: string;
}

/** The columns of cache_namespaces that count (summed, bumped by `count`). */
const COUNTER_COLUMNS = [
  "hits",
  "misses",
  "bypasses",
  "semantic_hits",
  "normalized_hits",
  "guard_rejections",
  "tokens_saved",
  "ms_saved",
  "usd_saved",
] as const;
const COUNTER_COLUMN_SET = new Set<string>(COUNTER_COLUMNS);

export type Counters = Pick<NamespaceCounters, (typeof COUNTER_COLUMNS)[number]>;

export interface NamespaceCounters {
  namespace: string;
  label: string;
  route: string;
  model: string;
  threshold: number | null;
  hits: number;
  misses: number;
  bypasses: number;
  semantic_hits: number;
  normalized_hits: number;
  guard_rejections: number;
  tokens_saved: number;
  ms_saved: number;
  usd_saved: number;
  entries: number;
  bytes: number;
}

const loaded = new WeakSet<Db>();

/** A stored float32 vector as floats (copied only when the blob is not 4-byte aligned). */
function floats(b: Buffer): Float32Array {
  return b.byteOffset % 4 === 0
    ? new Float32Array(b.buffer, b.byteOffset, b.byteLength >>> 2)
    : new Float32Array(Uint8Array.prototype.slice.call(b).buffer, 0, b.byteLength >>> 2);
}

/**
 * How far the bit indexes hold what is stored: `complete` — every stored vector (a namespace without an index has no
 * entries); `loading` — a worker is still reading them (a lookup searches what has arrived); `lazy` — a namespace's
 * index is built from SQL on its first search (after the worker failed).
 */
export type IndexState = "complete" | "loading" | "lazy";

export class CacheStore {
  private readonly spaces = new Map<string, { dims: number }>();
  private readonly statements = new Map<string, Statement>();
  /** Namespaces whose counter row this store wrote, and when (touchNamespace). */
  private readonly touched = new Map<string, number>();
  /** Bit index per embedder + namespace. */
  private readonly indexes = new Map<string, BitIndex>();
  private state: IndexState = "complete";
  /** While the worker loads: ids deleted meanwhile, so a late batch does not bring them back. */
  private deletedWhileLoading = new Set<number>();
  /** While the worker loads: rows per namespace still to come, until the namespace's index is sized for them. */
  private coming: Record<string, number> = {};
  /** Resolves when the indexes hold every stored vector (or the load failed and lazy building took over). */
  readonly ready: Promise<void>;
  /** How long filling the indexes took, and how many vectors it read (for stats and the bench). */
  loadStats?: { ms: number; rows: number; inWorker: boolean };

  /** Prepared once per SQL text: compiling a statement costs more than running most of these. */
  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /** `syncLoadRows`: stored vectors up to which the indexes are filled in place, at construction (tests lower it). */
  constructor(
    readonly db: Db,
    private readonly opts: { syncLoadRows?: number } = {},
  ) {
    if (!loaded.has(db)) {
      sqliteVec.load(db);
      loaded.add(db);
    }
    applyMigrations(db, [TABLES, SCOPES_AND_LADDER, NO_VEC0, BYTES_INDEX]);
    this.ready = this.load();
  }

  get indexState(): IndexState {
    return this.state;
  }

  /**
   * Fills the bit indexes with every stored vector. Up to SYNC_LOAD_ROWS of them are read here and now (tens of
   * milliseconds); more in a worker (index-load.ts), while lookups search what has arrived.
   */
  private async load(): Promise<void> {
    const started = performance.now();
    const dims = Object.fromEntries(
      (this.sql("SELECT embedder, dims FROM cache_spaces").all() as { embedder: string; dims: number }[]).map((r) => [
        r.embedder,
        r.dims,
      ]),
    );
    if (!Object.keys(dims).length) return void (this.loadStats = { ms: 0, rows: 0, inWorker: false });
    const large =
      // Counted on the namespace index (tens of bytes an entry): the table itself is a page or so per entry.
      this.sql("SELECT 1 FROM cache_entries INDEXED BY cache_entries_ns LIMIT 1 OFFSET ?").get(
        this.opts.syncLoadRows ?? SYNC_LOAD_ROWS,
      ) !== undefined;
    if (!large || this.db.memory) {
      const now = Date.now();
      const rows = storedVectors(this.db, now);
      let n = 0;
      for (const r of rows) {
        if (r.embedding.byteLength !== (dims[r.embedder] ?? 0) * 4) continue;
        this.indexFor(r.embedder, r.namespace, dims[r.embedder]).add(r.id, signBits(floats(r.embedding)), r.expires_ms);
        n++;
      }
      this.loadStats = { ms: performance.now() - started, rows: n, inWorker: false };
      return;
    }
    this.state = "loading";
    try {
      // Two queries: SQLite answers a lone min() or max() of the rowid from the B-tree's edge, but scans the whole
      // table for both in one (22 s on a 1M-entry, 4 GB cache, on the event loop).
      const range = {
        lo: this.sql("SELECT min(id) FROM cache_entries").pluck().get() as number,
        hi: this.sql("SELECT max(id) FROM cache_entries").pluck().get() as number,
      };
      const rows = await loadInWorker(
        { file: this.db.name, now: Date.now(), dims },
        { from: range.lo, to: range.hi },
        { counts: (c) => (this.coming = c), batch: (b) => this.merge(b) },
      );
      this.loadStats = { ms: performance.now() - started, rows, inWorker: true };
      this.state = "complete";
    } catch {
      // Searches stay correct without the worker: each namespace's index is then built on its first search.
      this.indexes.clear();
      this.state = "lazy";
    } finally {
      this.deletedWhileLoading = new Set();
      this.coming = {};
    }
  }

  /**
   * A batch from the loader: added unless deleted since (entries stored since are in the index already). An index's
   * first batch sizes it for every row its namespace holds, so it is allocated once, not grown batch by batch.
   */
  private merge(b: IndexBatch): void {
    if (this.state !== "loading") return;
    const idx = this.indexFor(b.embedder, b.namespace, b.words * 32);
    const coming = this.coming[b.namespace];
    if (coming) {
      idx.reserve(idx.count + coming);
      delete this.coming[b.namespace];
    }
    for (let i = 0; i < b.ids.length; i++) {
      const id = b.ids[i];
      if (this.deletedWhileLoading.has(id)) continue;
      idx.add(id, b.bits.subarray(i * b.words, (i + 1) * b.words), b.expires[i]);
    }
  }

  /** Entries of a namespace its bit index holds (expired ones included until they are purged). */
  indexed(embedder: string, namespace: string): number {
    return this.indexes.get(`${embedder}\u0000${namespace}`)?.count ?? 0;
  }

  private indexFor(embedder: string, namespace: string, dims: number): BitIndex {
    const key = `${embedder}\u0000${namespace}`;
    let idx = this.indexes.get(key);
    if (!idx) this.indexes.set(key, (idx = new BitIndex(Math.ceil(dims / 32))));
    return idx;
  }

  /** An embedder's vector space (its id and dimensions), recorded on first use. */
  space(embedder: string, dims: number): { dims: number } {
    const known = this.spaces.get(embedder);
    if (known) return known;
    const row = this.sql("SELECT dims FROM cache_spaces WHERE embedder = ?").get(embedder) as
      { dims: number } | undefined;
    if (row && row.dims !== dims)
      throw new Error(`embedder ${embedder} changed dimensions (${row.dims} → ${dims}); give it a new id`);
    if (!row) {
      if (!Number.isInteger(dims) || dims <= 0 || dims % 8 !== 0 || dims > 8192) {
        throw new Error(
          `embedder ${embedder}: ${dims} dimensions cannot be binary-quantized (need a positive multiple of 8, at most 8192)`,
        );
      }
      this.sql("INSERT INTO cache_spaces (embedder, dims, created_ms) VALUES (?, ?, ?)").run(
        embedder,
        dims,
        Date.now(),
      );
    }
    const s = { dims };
    this.spaces.set(embedder, s);
    return s;
  }

  getExact(exactKey: string, now: number): EntryRow | undefined {
    return this.sql("SELECT * FROM cache_entries WHERE exact_key = ? AND expires_ms > ?").get(exactKey, now) as
      EntryRow | undefined;
  }

  /** Second rung of the ladder: an entry whose normalised request equals this one's (case, spacing, Unicode, JSON). */
  getNormal(normalKey: string, now: number): EntryRow | undefined {
    return this.sql(
      "SELECT * FROM cache_entries WHERE normal_key = ? AND expires_ms > ? ORDER BY last_used_ms DESC LIMIT 1",
    ).get(normalKey, now) as EntryRow | undefined;
  }

  get(id: number): EntryRow | undefined {
    return this.sql("SELECT * FROM cache_entries WHERE id = ?").get(id) as EntryRow | undefined;
  }

  /** Nearest semantic entries of a namespace: Hamming top-k on the sign bits, then exact cosine on the float vectors. */
  nearest(embedder: string, namespace: string, vector: Float32Array, k: number, now: number, limit = 3): Candidate[] {
    const s = this.spaces.get(embedder) ?? this.space(embedder, vector.length);
    if (vector.length !== s.dims)
      throw new Error(`query vector has ${vector.length} dimensions, space ${embedder} has ${s.dims}`);
    const ids = this.bitIndex(embedder, namespace, s)?.search(signBits(vector), k, now) ?? [];
    if (!ids.length) return [];
    // One primary-key read per candidate. (An `id IN (json_each(?)) AND namespace = ?` query let SQLite pick the
    // namespace index and scan the whole namespace: 100k rows read per lookup.)
    const byId = this.sql(
      "SELECT embedding, query_text, namespace, embedder, expires_ms FROM cache_entries WHERE id = ?",
    );
    const out: Candidate[] = [];
    for (const id of ids) {
      const r = byId.get(id) as
        | { embedding: Buffer | null; query_text: string; namespace: string; embedder: string; expires_ms: number }
        | undefined;
      // Deleted or expired since the index saw it, or (rowids are reused after deletes) now another namespace's row.
      if (!r?.embedding || r.namespace !== namespace || r.embedder !== embedder || r.expires_ms <= now) continue;
      out.push({
        id,
        similarity: dot(vector, floats(r.embedding)),
        queryText: r.query_text,
      });
    }
    return out.sort((a, b) => b.similarity - a.similarity).slice(0, limit);
  }

  /**
   * The namespace's bit index. Loaded when the store opened (see load()); only after a failed load ("lazy") is it
   * built here, on the first search, from the namespace's own rows (its index on namespace). Entries another process
   * adds later are not seen until restart (recall only); ones it deletes are dropped by the re-score in nearest().
   */
  private bitIndex(embedder: string, namespace: string, s: { dims: number }): BitIndex | undefined {
    const key = `${embedder}\u0000${namespace}`;
    const known = this.indexes.get(key);
    if (known || this.state !== "lazy") return known; // none: the namespace has no vectors (yet)
    const idx = this.indexFor(embedder, namespace, s.dims);
    const rows = this.sql(
      "SELECT id, embedding, expires_ms FROM cache_entries WHERE namespace = ? AND embedder = ? AND embedding IS NOT NULL",
    ).iterate(namespace, embedder) as IterableIterator<{ id: number; embedding: Buffer; expires_ms: number }>;
    for (const r of rows) {
      if (r.embedding.byteLength !== s.dims * 4) continue;
      idx.add(r.id, signBits(floats(r.embedding)), r.expires_ms);
    }
    return idx;
  }

  /** Inserts or replaces the entry with this exact key; returns its id. */
  put(entry: NewEntry, vector?: { embedder: string; vector: Float32Array }): number {
    const bytes =
      entry.request.length + entry.response.length + entry.query_text.length + (vector ? vector.vector.byteLength : 0);
    const s = vector ? this.space(vector.embedder, vector.vector.length) : undefined;
    return this.db.transaction(() => {
      const old = this.sql("SELECT id FROM cache_entries WHERE exact_key = ?").get(entry.exact_key) as
        { id: number } | undefined;
      if (old) this.deleteIds([old.id]);
      const info = this.db
        .prepare(
          `INSERT INTO cache_entries (exact_key, namespace, kind, route, model, workload, match, embedder, embedding, query_text, request, response,
             created_ms, expires_ms, last_used_ms, hits, bytes, prompt_tokens, completion_tokens, latency_ms, cost_usd, scope, normal_key)
           VALUES (@exact_key, @namespace, @kind, @route, @model, @workload, @match, @embedder, @embedding, @query_text, @request, @response,
             @created_ms, @expires_ms, @created_ms, 0, @bytes, @prompt_tokens, @completion_tokens, @latency_ms, @cost_usd, @scope, @normal_key)`,
        )
        .run({
          ...entry,
          scope: entry.scope ?? "",
          normal_key: entry.normal_key ?? null,
          embedder: vector?.embedder ?? null,
          embedding: vector
            ? Buffer.from(vector.vector.buffer, vector.vector.byteOffset, vector.vector.byteLength)
            : null,
          bytes,
        });
      const id = Number(info.lastInsertRowid);
      if (vector && s) {
        // A lazy store builds a namespace's index from SQL on its first search, which will include this entry.
        const idx =
          this.state === "lazy"
            ? this.indexes.get(`${vector.embedder}\u0000${entry.namespace}`)
            : this.indexFor(vector.embedder, entry.namespace, s.dims);
        idx?.add(id, signBits(vector.vector), entry.expires_ms);
      }
      return id;
    })();
  }

  /** Counts a hit on cache_entries, the one place hits are read from. */
  recordHit(id: number, now: number): void {
    this.sql("UPDATE cache_entries SET hits = hits + 1, last_used_ms = ? WHERE id = ?").run(now, id);
  }

  private deleteIds(ids: number[]): number {
    if (!ids.length) return 0;
    const json = JSON.stringify(ids);
    const withVec = this.sql(
      "SELECT id, embedder, namespace FROM cache_entries WHERE id IN (SELECT value FROM json_each(?)) AND embedder IS NOT NULL",
    ).all(json) as { id: number; embedder: string; namespace: string }[];
    for (const r of withVec) {
      this.indexes.get(`${r.embedder}\u0000${r.namespace}`)?.remove(r.id);
      if (this.state === "loading") this.deletedWhileLoading.add(r.id);
    }
    return this.sql("DELETE FROM cache_entries WHERE id IN (SELECT value FROM json_each(?))").run(json).changes;
  }

  purgeExpired(now: number): number {
    return this.db.transaction(() => {
      const ids = (
        this.sql("SELECT id FROM cache_entries WHERE expires_ms <= ? LIMIT 10000").all(now) as { id: number }[]
      ).map((r) => r.id);
      return this.deleteIds(ids);
    })();
  }

  totals(): { entries: number; bytes: number } {
    const r = this.sql("SELECT COUNT(*) AS entries, COALESCE(SUM(bytes), 0) AS bytes FROM cache_entries").get() as {
      entries: number;
      bytes: number;
    };
    return r;
  }

  /** Least recently used entries go first until both limits hold; returns how many were evicted. */
  evict(maxEntries: number, maxBytes: number): number {
    let { entries, bytes } = this.totals();
    if (entries <= maxEntries && bytes <= maxBytes) return 0;
    return this.db.transaction(() => {
      let evicted = 0;
      const rows = this.sql(
        "SELECT id, bytes FROM cache_entries ORDER BY last_used_ms ASC, id ASC",
      ).iterate() as IterableIterator<{ id: number; bytes: number }>;
      const ids: number[] = [];
      for (const r of rows) {
        if (entries <= maxEntries && bytes <= maxBytes) break;
        ids.push(r.id);
        entries--;
        bytes -= r.bytes;
      }
      for (let i = 0; i < ids.length; i += 5000) evicted += this.deleteIds(ids.slice(i, i + 5000));
      return evicted;
    })();
  }

  /** Deletes every entry, a namespace's, or a scope's (all namespaces of one user/tenant); returns how many. */
  clear(opts: { namespace?: string; scope?: string } = {}): number {
    this.touched.clear(); // counter rows may be deleted below: the next lookup writes its row again
    return this.db.transaction(() => {
      const where = [
        opts.namespace !== undefined ? "namespace = @namespace" : "",
        opts.scope !== undefined ? "scope = @scope" : "",
      ].filter(Boolean);
      const ids = this.db
        .prepare(`SELECT id FROM cache_entries${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`)
        .all({
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
          ...(opts.scope !== undefined ? { scope: opts.scope } : {}),
        }) as {
        id: number;
      }[];
      let n = 0;
      for (let i = 0; i < ids.length; i += 5000) n += this.deleteIds(ids.slice(i, i + 5000).map((r) => r.id));
      if (opts.namespace !== undefined)
        this.sql("DELETE FROM cache_namespaces WHERE namespace = ?").run(opts.namespace);
      else if (opts.scope === undefined) this.sql("DELETE FROM cache_namespaces").run();
      return n;
    })();
  }

  list(opts: { namespace?: string; limit: number }): EntryRow[] {
    return (
      opts.namespace
        ? this.sql("SELECT * FROM cache_entries WHERE namespace = ? ORDER BY last_used_ms DESC LIMIT ?").all(
            opts.namespace,
            opts.limit,
          )
        : this.sql("SELECT * FROM cache_entries ORDER BY last_used_ms DESC LIMIT ?").all(opts.limit)
    ) as EntryRow[];
  }

  // ── namespaces and their counters ──

  /**
   * Makes sure the namespace's counter row exists and marks it seen. Written at most once a second per namespace
   * (last_seen_ms orders listings; a second's staleness is harmless, a write per lookup is not free).
   */
  touchNamespace(ns: { namespace: string; label: string; route: string; model: string }, now: number): void {
    const last = this.touched.get(ns.namespace);
    if (last !== undefined && now >= last && now - last < 1000) return;
    if (this.touched.size >= 10_000) this.touched.clear();
    this.sql(
      `INSERT INTO cache_namespaces (namespace, label, route, model, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(namespace) DO UPDATE SET last_seen_ms = excluded.last_seen_ms`,
    ).run(ns.namespace, ns.label, ns.route, ns.model, now, now);
    // Only once written: a write the busy lock refused is tried again by the next touch, not skipped for a second.
    this.touched.set(ns.namespace, now);
  }

  count(namespace: string, delta: Partial<Counters>): void {
    const cols = Object.entries(delta).filter(([, v]) => v);
    if (!cols.length) return;
    for (const [c] of cols) if (!COUNTER_COLUMN_SET.has(c)) throw new Error(`unknown counter ${c}`);
    this.sql(`UPDATE cache_namespaces SET ${cols.map(([c]) => `${c} = ${c} + ?`).join(", ")} WHERE namespace = ?`).run(
      ...cols.map(([, v]) => v),
      namespace,
    );
  }

  threshold(namespace: string): number | null {
    const r = this.sql("SELECT threshold FROM cache_namespaces WHERE namespace = ?").get(namespace) as
      { threshold: number | null } | undefined;
    return r?.threshold ?? null;
  }

  setThreshold(namespace: string, threshold: number | null): boolean {
    return (
      this.sql("UPDATE cache_namespaces SET threshold = ? WHERE namespace = ?").run(threshold, namespace).changes > 0
    );
  }

  /** Every namespace's counters summed. */
  counterTotals(): Counters {
    return this.sql(
      `SELECT COALESCE(SUM(hits),0) hits, COALESCE(SUM(misses),0) misses, COALESCE(SUM(bypasses),0) bypasses,
              COALESCE(SUM(semantic_hits),0) semantic_hits, COALESCE(SUM(normalized_hits),0) normalized_hits,
              COALESCE(SUM(guard_rejections),0) guard_rejections,
              COALESCE(SUM(tokens_saved),0) tokens_saved, COALESCE(SUM(ms_saved),0) ms_saved, COALESCE(SUM(usd_saved),0) usd_saved
       FROM cache_namespaces`,
    ).get() as Counters;
  }

  namespaces(limit = 1000): NamespaceCounters[] {
    return this.db
      .prepare(
        `SELECT n.namespace, n.label, n.route, n.model, n.threshold, n.hits, n.misses, n.bypasses, n.semantic_hits, n.normalized_hits, n.guard_rejections,
                n.tokens_saved, n.ms_saved, n.usd_saved,
                (SELECT COUNT(*) FROM cache_entries e WHERE e.namespace = n.namespace) AS entries,
                (SELECT COALESCE(SUM(bytes), 0) FROM cache_entries e WHERE e.namespace = n.namespace) AS bytes
         FROM cache_namespaces n ORDER BY n.hits + n.misses + n.bypasses DESC, n.last_seen_ms DESC LIMIT ?`,
      )
      .all(limit) as NamespaceCounters[];
  }
}
