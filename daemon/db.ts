// The one SQLite file (WAL) that holds traces, cache and audits, with versioned migrations.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isMainThread } from "node:worker_threads";

export type Db = Database.Database;

/**
 * Each migration runs once, in order, inside a transaction; `PRAGMA user_version` records how far a file got.
 * Append only: never edit a migration that has shipped — add a new one.
 * The traces tables are the core's; every other module that owns tables (cache, audit, router spend, stored responses)
 * applies its own migrations when its store is opened on a database (`applyMigrations`), never as a side effect of
 * being imported.
 */
export interface Migration {
  /** Unique, stable name, e.g. "traces:1-spans". Order of application is the order of registration. */
  name: string;
  up: (db: Db) => void;
}

/** A migration that runs SQL only (a store's CREATE TABLE / INDEX / ALTER statements): the usual kind. */
export function sqlMigration(name: string, sql: string): Migration {
  return { name, up: (db) => db.exec(sql) };
}

const CORE_MIGRATIONS: Migration[] = [
  sqlMigration(
    "core:1-migrations-table",
    `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`,
  ),
  sqlMigration(
    "traces:1-spans",
    `
        CREATE TABLE traces (
          trace_id TEXT PRIMARY KEY,
          name TEXT,
          source TEXT NOT NULL,            -- daemon | otlp | import:<format>
          origin TEXT,                     -- file path or service name it came from
          start_ns INTEGER NOT NULL,
          end_ns INTEGER NOT NULL,
          span_count INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX traces_start ON traces(start_ns);
        CREATE TABLE spans (
          trace_id TEXT NOT NULL,
          span_id TEXT NOT NULL,
          parent_span_id TEXT,
          name TEXT NOT NULL,
          kind TEXT NOT NULL,              -- llm | tool | agent | chain | retriever | embedding | other
          start_ns INTEGER NOT NULL,
          end_ns INTEGER NOT NULL,
          status TEXT NOT NULL,            -- ok | error | unset
          status_message TEXT,
          model TEXT,                      -- denormalised gen_ai.request.model, for the index
          conversation_id TEXT,            -- denormalised gen_ai.conversation.id
          request_id TEXT,                 -- x-hotpath-request-id for spans the daemon served
          attributes TEXT NOT NULL,        -- JSON object: gen_ai.* / hotpath.* / imported attributes
          PRIMARY KEY (trace_id, span_id)
        );
        CREATE INDEX spans_start ON spans(start_ns);
        CREATE INDEX spans_kind ON spans(kind, start_ns);
        CREATE INDEX spans_model ON spans(model, start_ns);
        CREATE INDEX spans_conversation ON spans(conversation_id, start_ns);
        CREATE INDEX spans_request ON spans(request_id);
      `,
  ),
  // Every index costs each span insert a b-tree write (imports write 100k spans at once). No query filters on
  // model, conversation or kind (recentSpans' optional kind filter scans spans_start), and only spans the daemon
  // served carry a request id, so that index leaves imported/OTLP spans (NULL) out.
  sqlMigration(
    "traces:2-lean-span-indexes",
    `
        DROP INDEX IF EXISTS spans_model;
        DROP INDEX IF EXISTS spans_conversation;
        DROP INDEX IF EXISTS spans_kind;
        DROP INDEX IF EXISTS spans_request;
        CREATE INDEX spans_request ON spans(request_id) WHERE request_id IS NOT NULL;
      `,
  ),
  // The serving dashboard reads a few numbers from each span the daemon served; from `attributes` SQLite parsed the
  // whole recorded prompt (up to 1 MB) per span on the main thread, hundreds of MB per /hotpath/stats after big
  // requests. `serving` holds a served span's attributes without long text (NULL for imported spans and old rows).
  sqlMigration("traces:3-serving-values", "ALTER TABLE spans ADD COLUMN serving TEXT;"),
  // No query finds a span by its request id (the serving window reads spans_start, a trace's spans its primary key),
  // yet every request the daemon serves wrote that index's b-tree in its span commit: one WAL page of ~8, 90 → 70 µs
  // per commit measured side by side — time the client waits for, since the span commits before the answer ends.
  sqlMigration("traces:4-no-request-index", "DROP INDEX IF EXISTS spans_request;"),
  // The span of each request the daemon serves commits before its answer ends, so the client waits for that commit:
  // into `spans` and `traces` it wrote ~7 WAL pages (the span row, its key, spans_start, the trace row, its key,
  // traces_start). It is appended here instead (a table without indexes: the last page or two) and moved into spans
  // and traces shortly after, in batches, and before anything reads them (TraceStore.writeServedSpan).
  sqlMigration(
    "traces:5-served-span-inbox",
    `
        CREATE TABLE served_spans (
          trace_id TEXT NOT NULL,
          span_id TEXT NOT NULL,
          parent_span_id TEXT,
          name TEXT NOT NULL,
          kind TEXT NOT NULL,
          start_ns INTEGER NOT NULL,
          end_ns INTEGER NOT NULL,
          status TEXT NOT NULL,
          status_message TEXT,
          model TEXT,
          conversation_id TEXT,
          request_id TEXT,
          attributes TEXT NOT NULL,
          serving TEXT,
          source TEXT NOT NULL
        );
      `,
  ),
];

const MAIN_THREAD_BUSY_MS = 5000;
const WORKER_BUSY_MS = 60_000;

/**
 * The write lock stayed with another connection past the busy timeout: the client may retry (503, Retry-After), it is
 * not the daemon failing. Carries its HTTP status, so the server's error mapping renders it as it is.
 */
export class DatabaseBusyError extends Error {
  readonly status = 503;
  readonly type = "server_error";
  readonly code = "database_busy";
  readonly param = null;
  readonly headers = { "retry-after": "5" };
  constructor(what: string) {
    super(`${what}: the database is busy with another write (an import); retry in a few seconds`);
  }
}

/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_TIMEOUT…): "database is locked". */
export function isBusy(e: unknown): boolean {
  return typeof (e as { code?: unknown })?.code === "string" && (e as { code: string }).code.startsWith("SQLITE_BUSY");
}

/**
 * Runs `write` in a BEGIN IMMEDIATE transaction: the write lock is taken at BEGIN, where SQLite's busy handler waits
 * for it. A deferred transaction that reads first and then writes cannot wait: if another connection committed in
 * between, its snapshot is stale and SQLite fails it at once with SQLITE_BUSY ("database is locked") — what
 * concurrent trace imports got. Nested in another transaction it is a savepoint, as any better-sqlite3 transaction.
 */
export function writeTransaction<T>(db: Db, what: string, write: () => T): T {
  let run = runners.get(db);
  // One transaction function per connection: better-sqlite3 builds five wrappers for each transaction() call.
  if (!run) runners.set(db, (run = db.transaction((w: () => unknown) => w())));
  const waiting = db.inTransaction ? [] : [...(riders.get(db) ?? [])].filter((r) => r.waiting());
  const wrote: PendingWrites[] = [];
  try {
    const result = run.immediate(
      waiting.length
        ? () => {
            for (const r of waiting) {
              // In a savepoint of its own: a rider that fails leaves no half-write and never fails the host's write.
              try {
                run!(() => r.write());
                wrote.push(r);
              } catch {
                r.settle(false);
              }
            }
            return write();
          }
        : write,
    ) as T;
    for (const r of wrote) r.settle(true);
    if (!db.inTransaction) commits.set(db, (commits.get(db) ?? 0) + 1);
    return result;
  } catch (e) {
    for (const r of wrote) r.settle(false);
    if (isBusy(e)) throw new DatabaseBusyError(what);
    throw e;
  }
}

/**
 * Runs one statement that writes as a transaction of its own (autocommit), without BEGIN and COMMIT around it: the
 * served span's append, which every request waits for. A write statement takes the write lock before it reads (SQLite
 * begins its transaction as a writer, with the busy handler waiting for the lock), as BEGIN IMMEDIATE does. Inside a
 * transaction, or when writes wait to ride on the next one (PendingWrites), it runs through writeTransaction instead.
 */
export function writeStatement(db: Db, what: string, stmt: Database.Statement, params: unknown[]): Database.RunResult {
  if (db.inTransaction || ridersWaiting(db)) return writeTransaction(db, what, () => stmt.run(params));
  try {
    const result = stmt.run(params);
    commits.set(db, (commits.get(db) ?? 0) + 1);
    return result;
  } catch (e) {
    if (isBusy(e)) throw new DatabaseBusyError(what);
    throw e;
  }
}

function ridersWaiting(db: Db): boolean {
  const set = riders.get(db);
  if (!set) return false;
  for (const r of set) if (r.waiting()) return true;
  return false;
}

const runners = new WeakMap<Db, Database.Transaction<(write: () => unknown) => unknown>>();
const commits = new WeakMap<Db, number>();

/** How many writeTransaction commits this connection has made (the checkpointer asks for a checkpoint after some). */
export function commitCount(db: Db): number {
  return commits.get(db) ?? 0;
}
const riders = new WeakMap<Db, Set<PendingWrites>>();

/**
 * Small writes that may wait for the next transaction on their connection instead of committing on their own (the
 * response cache's counters): a request's counts then commit with its span, one commit per request. Their owner
 * commits them itself within a bound (a timer), before reading them, and when it closes (`flushPendingWrites`).
 */
export interface PendingWrites {
  /** Whether anything waits. */
  waiting(): boolean;
  /** Writes what waits; called inside the host's transaction (in a savepoint of its own). */
  write(): void;
  /** The transaction ended: committed, or rolled back (what `write` wrote waits again). */
  settle(committed: boolean): void;
}

/** Lets `pending` ride on every later write transaction on `db`; returns the function that stops it. */
export function addPendingWrites(db: Db, pending: PendingWrites): () => void {
  let set = riders.get(db);
  if (!set) riders.set(db, (set = new Set()));
  set.add(pending);
  return () => void set.delete(pending);
}

/** Commits whatever waits to ride on the next write transaction, now (in a transaction of its own if anything does). */
export function flushPendingWrites(db: Db, what: string): void {
  if (!db.open || db.inTransaction) return;
  for (const r of riders.get(db) ?? []) if (r.waiting()) return void writeTransaction(db, what, () => undefined);
}

export function openDb(file: string): Db {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes (kill -9) in WAL mode; only an OS crash can lose the last commits.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  // SQLite's busy handler sleeps the calling thread while another connection (an import worker) holds the write lock:
  // a worker has no event loop to hold and may wait its turn for a minute; the daemon's thread waits at most 5 s.
  db.pragma(`busy_timeout = ${isMainThread ? MAIN_THREAD_BUSY_MS : WORKER_BUSY_MS}`);
  db.pragma("mmap_size = 268435456");
  CORE_MIGRATIONS[0].up(db);
  applyMigrations(db, CORE_MIGRATIONS.slice(1));
  // Whatever waits to ride on the next write (cache counters) commits when the connection closes, whoever closes it:
  // a caller that closes the database without closing each rider first must not lose counts.
  const close = db.close.bind(db);
  db.close = () => {
    flushPendingWrites(db, "closing the database");
    return close();
  };
  return db;
}

/** Applies, in order, the migrations this database has not had yet (each once, in its own transaction). */
export function applyMigrations(db: Db, migrations: readonly Migration[]): void {
  const applied = new Set((db.prepare("SELECT name FROM migrations").all() as { name: string }[]).map((r) => r.name));
  const mark = db.prepare("INSERT INTO migrations (name, applied_at) VALUES (?, ?)");
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    db.transaction(() => {
      m.up(db);
      mark.run(m.name, Date.now());
    })();
  }
}
