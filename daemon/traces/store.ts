// Reads and writes traces and spans in the one SQLite file. Writes are idempotent (re-import never duplicates).
import { DatabaseBusyError, writeStatement, writeTransaction, type Db } from "../db.js";
import { attributesJsonBytes } from "./attributes-json.js";
import type { TraceSummaryDto } from "../api.js";
import { SpanIndex } from "./analysis/span-index.js";
import { HotpathAttr, type Attributes, type Span, type SpanKind, type SpanStatus } from "./span.js";

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  start_ns: number;
  end_ns: number;
  status: string;
  status_message: string | null;
  request_id: string | null;
  attributes: string;
}

/** Called after spans were committed (e.g. the OTLP forwarder, the events hub). */
export type SpanWriteListener = (spans: Span[], traceIds: string[]) => void;

export interface RetentionPolicy {
  /** Delete traces first stored more than this many days ago (0: never). Imported old runs count from import. */
  retentionDays: number;
  /** Delete oldest traces until at most this many spans remain (0: no limit). */
  maxSpans: number;
}

/** The default of StoreOptions.maxAttributeChars. */
export const DEFAULT_MAX_ATTRIBUTE_CHARS = 1_000_000;

export interface StoreOptions {
  /** Longer attribute strings are cut (with a marker) before they are stored. */
  maxAttributeChars?: number;
}

/**
 * Served spans wait in `served_spans` at most this long before they move into spans and traces (writeServedSpan);
 * sooner once SERVED_MOVE_ROWS wait, or rows of SERVED_MOVE_CHARS of attributes, and always before this store reads or
 * writes anything else. A move on the event loop takes at most SERVED_MOVE_ROWS rows, and at most SERVED_MOVE_CHARS
 * of attributes past its first row: a coding agent's span carries its request's content (~260 KB of JSON for a
 * 196 KB request), and 32 such rows held the loop ~35–40 ms in one move.
 */
const SERVED_MOVE_MS = 250;
const SERVED_MOVE_ROWS = 32;
const SERVED_MOVE_CHARS = 512 * 1024;

/** What a write learns of one trace's spans: their count and extent, and whether the trace was new. */
interface TraceWrite {
  fresh: boolean;
  startNs: number;
  endNs: number;
  count: number;
}

export class TraceStore {
  private readonly upsertSpanStmt;
  private readonly upsertPackedSpanStmt;
  private readonly upsertTraceStmt;
  private readonly insertTraceStmt;
  private readonly insertNewTraceStmt;
  private readonly hasSpansStmt;
  private readonly countSpansStmt;
  private readonly countRequestIdsStmt;
  private readonly hasServedOfStmt;
  private readonly spansJsonStmt;
  private readonly insertServedStmt;
  private readonly hasServedStmt;
  private readonly servedBoundStmt;
  private readonly servedTracesStmt;
  private readonly moveServedStmt;
  private readonly clearServedStmt;
  /** Served spans this store wrote since it last moved them, and the timer that will. */
  private served = 0;
  /** The attributes' length of each served row this store wrote and has not moved yet, oldest first. */
  private servedChars: number[] = [];
  private servedCharsWaiting = 0;
  private moveTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<SpanWriteListener>();
  /** Longer attribute strings are cut when stored (StoreOptions). */
  readonly maxAttributeChars: number;

  constructor(
    private readonly db: Db,
    options: StoreOptions = {},
  ) {
    this.maxAttributeChars = options.maxAttributeChars ?? DEFAULT_MAX_ATTRIBUTE_CHARS;
    // Positional parameters: binding 13 named values per row costs a property lookup each, 100k rows per import.
    this.upsertSpanStmt = db.prepare(upsertSpanSql("?"));
    // The same with each text value bound as its UTF-8 bytes (an import's rows, packed by another thread): CAST makes
    // them the TEXT those bytes spell, so the stored row is the one the string would give.
    this.upsertPackedSpanStmt = db.prepare(upsertSpanSql("CAST(? AS TEXT)"));
    // The trace row's extent and count follow its spans, however they arrive (batches, re-imports, live requests).
    this.upsertTraceStmt = db.prepare(`
      INSERT INTO traces (trace_id, name, source, origin, start_ns, end_ns, span_count, created_at)
      SELECT @traceId, @name, @source, @origin, MIN(start_ns), MAX(end_ns), COUNT(*), @now FROM spans WHERE trace_id = @traceId
      ON CONFLICT (trace_id) DO UPDATE SET
        name = COALESCE(traces.name, excluded.name), start_ns = excluded.start_ns, end_ns = excluded.end_ns,
        span_count = excluded.span_count`);
    // A trace whose spans all arrived in this write: its extent is known without scanning them back.
    this.insertTraceStmt = db.prepare(`
      INSERT INTO traces (trace_id, name, source, origin, start_ns, end_ns, span_count, created_at)
      VALUES (@traceId, @name, @source, @origin, @startNs, @endNs, @count, @now)
      ON CONFLICT (trace_id) DO UPDATE SET
        name = COALESCE(traces.name, excluded.name), start_ns = excluded.start_ns, end_ns = excluded.end_ns,
        span_count = excluded.span_count`);
    this.insertNewTraceStmt = db.prepare(`
      INSERT INTO traces (trace_id, name, source, origin, start_ns, end_ns, span_count, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (trace_id) DO NOTHING`);
    this.hasSpansStmt = db.prepare("SELECT 1 FROM spans WHERE trace_id = ? LIMIT 1").pluck();
    this.countSpansStmt = db.prepare("SELECT COUNT(*) FROM spans WHERE trace_id = ?").pluck();
    this.countRequestIdsStmt = db.prepare("SELECT COUNT(request_id) FROM spans WHERE trace_id = ?").pluck();
    this.hasServedOfStmt = db.prepare("SELECT 1 FROM served_spans WHERE trace_id = ? LIMIT 1").pluck();
    // attributes is stored JSON text (written by JSON.stringify below), so it is spliced in as a value unparsed.
    this.spansJsonStmt = db
      .prepare(
        `SELECT '[' || json_array(trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message,
                request_id) || ',' || attributes || ']' FROM spans WHERE trace_id = ?`,
      )
      .pluck();
    // attributes: a string, or the UTF-8 bytes of one (attributesJsonBytes), stored as the TEXT they spell.
    this.insertServedStmt = db.prepare(
      `INSERT INTO served_spans (${SPAN_COLUMNS}, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?)`,
    );
    this.hasServedStmt = db.prepare("SELECT 1 FROM served_spans LIMIT 1").pluck();
    // The rows a move takes: the first `limit` in the order they were served.
    this.servedBoundStmt = db
      .prepare("SELECT MAX(rowid) FROM (SELECT rowid FROM served_spans ORDER BY rowid LIMIT ?)")
      .pluck();
    this.servedTracesStmt = db
      .prepare(
        `SELECT trace_id, COUNT(*), MIN(start_ns), MAX(end_ns), MIN(source) FROM served_spans WHERE rowid <= ?
         GROUP BY trace_id`,
      )
      .raw();
    // In the order they were served: a span written twice keeps its last version, as with upserts one by one.
    this.moveServedStmt = db.prepare(
      `INSERT INTO spans (${SPAN_COLUMNS}) SELECT ${SPAN_COLUMNS} FROM served_spans WHERE rowid <= ? ORDER BY rowid
       ${SPAN_CONFLICT}`,
    );
    this.clearServedStmt = db.prepare("DELETE FROM served_spans WHERE rowid <= ?");
    // A daemon killed before it moved its served spans left them here: they move now, not at the first read.
    this.settle();
  }

  /** Writes spans (insert or replace by trace+span id) and refreshes their traces' summaries, in one transaction. */
  writeSpans(spans: Span[], source: string, origin?: string, traceName?: string): string[] {
    if (spans.length === 1) return this.writeSpan(spans[0], source, origin, traceName);
    const traces = new Map<string, TraceWrite>();
    writeTransaction(this.db, "writing spans", () => {
      // Served spans first: they were committed earlier, so a later write of the same span replaces them, as it would.
      this.moveServedRows();
      for (const s of spans) {
        let t = traces.get(s.traceId);
        if (!t) traces.set(s.traceId, (t = this.traceWrite(s.traceId)));
        const row = toRow(s, this.maxAttributeChars);
        this.upsertSpanStmt.run(row);
        t.count++;
        t.startNs = Math.min(t.startNs, row[5] as number);
        t.endNs = Math.max(t.endNs, row[6] as number);
      }
      const now = Date.now();
      for (const [traceId, t] of traces) this.writeTraceSummary(traceId, t, { source, origin, name: traceName }, now);
    });
    const ids = [...traces.keys()];
    this.notifyWritten(spans, ids);
    return ids;
  }

  /**
   * One span (each request the daemon serves): no read before writing. A trace has a row whenever it has spans (both
   * are written, and deleted, together), so a trace row this write creates belongs to a trace whose only span is this
   * one; an existing row is refreshed from its spans as for a batch.
   */
  private writeSpan(span: Span, source: string, origin?: string, traceName?: string): string[] {
    writeTransaction(this.db, "writing a span", () => {
      this.moveServedRows();
      const row = toRow(span, this.maxAttributeChars);
      this.upsertSpanStmt.run(row);
      const now = Date.now();
      const created = this.insertNewTraceStmt.run(
        span.traceId,
        traceName ?? null,
        source,
        origin ?? null,
        row[5],
        row[6],
        now,
      );
      if (created.changes === 0)
        this.upsertTraceStmt.run({
          traceId: span.traceId,
          name: traceName ?? null,
          source,
          origin: origin ?? null,
          now,
        });
    });
    const ids = [span.traceId];
    this.notifyWritten([span], ids);
    return ids;
  }

  /**
   * The span of a request the daemon served. It commits before the answer ends (a client that saw the end can rely on
   * it), so the client waits for this commit: appended to `served_spans`, a table without indexes, it writes that
   * table's last page or two, where spans and traces took ~7 pages (the span row, its key, spans_start; the trace
   * row, its key, traces_start). Committed there it is as durable. The waiting rows move into spans and traces within
   * SERVED_MOVE_MS (sooner once SERVED_MOVE_ROWS wait), SERVED_MOVE_ROWS per transaction, all of them when the daemon
   * closes, and before this store — on any connection: the CLI, a daemon restarting after a crash — reads or writes
   * anything else.
   */
  writeServedSpan(span: Span): void {
    const attributes = capAttributes(span.attributes, this.maxAttributeChars);
    // Large attributes (a request's content) as bytes made in pieces, not one string (attributes-json.ts).
    const json = attributesJsonBytes(attributes) ?? JSON.stringify(attributes);
    const row: (string | number | null | Uint8Array)[] = rowWith(span, json);
    row.push("daemon");
    // One INSERT committed on its own: BEGIN IMMEDIATE and COMMIT around it were two more statements per request.
    writeStatement(this.db, "writing a span", this.insertServedStmt, row);
    const chars = json.length;
    this.servedChars.push(chars);
    this.servedCharsWaiting += chars;
    this.notifyWritten([span], [span.traceId]);
    if (++this.served === SERVED_MOVE_ROWS || this.servedCharsWaiting >= SERVED_MOVE_CHARS) this.moveSoon(0);
    else if (!this.moveTimer) this.moveSoon(SERVED_MOVE_MS);
  }

  /** Moves every served span waiting in `served_spans` into spans and traces now (see writeServedSpan). */
  moveServed(): void {
    clearTimeout(this.moveTimer);
    this.moveTimer = undefined;
    if (this.db.open) this.settle();
  }

  /** Moves SERVED_MOVE_ROWS served spans now, and the rest in later turns of the event loop. */
  private moveSome(): void {
    clearTimeout(this.moveTimer);
    this.moveTimer = undefined;
    if (!this.db.open) return;
    let next = SERVED_MOVE_MS;
    try {
      if (this.hasServedStmt.get() !== undefined)
        writeTransaction(this.db, "moving served spans", () => this.moveServedRows(this.nextMoveRows()));
      next = 0;
    } catch {
      // Left for a later move, a read, a write or the next start (a failed move rolls back whole).
    }
    if (this.hasServedStmt.get() === undefined) this.served = 0;
    else this.moveSoon(next);
  }

  /**
   * A move in `ms`; 0: on a timer all the same, so that a request already arriving is read first. A move holds the
   * event loop ~1 ms per 32 rows (mostly the random-keyed index pages of spans and traces it writes).
   */
  private moveSoon(ms: number): void {
    clearTimeout(this.moveTimer);
    this.moveTimer = setTimeout(() => this.moveSome(), ms).unref();
  }

  /** Served spans waiting are moved before a read (see writeServedSpan); a write lock held elsewhere leaves them. */
  private settle(): void {
    if (this.hasServedStmt.get() === undefined) return;
    try {
      writeTransaction(this.db, "moving served spans", () => this.moveServedRows());
      this.served = 0;
    } catch (e) {
      // Another connection (an import) holds the write lock past the busy timeout: read what is stored.
      if (!(e instanceof DatabaseBusyError)) throw e;
    }
  }

  /** How many served rows the next move takes: up to SERVED_MOVE_ROWS, and SERVED_MOVE_CHARS past the first. */
  private nextMoveRows(): number {
    let rows = 0;
    for (let chars = 0; rows < Math.min(SERVED_MOVE_ROWS, this.servedChars.length); rows++) {
      chars += this.servedChars[rows];
      if (rows > 0 && chars > SERVED_MOVE_CHARS) break;
    }
    // Rows this store did not write (a daemon before a crash left them): by count.
    return rows || SERVED_MOVE_ROWS;
  }

  /** Inside a write transaction: the first `limit` served spans into spans, and their traces' summary rows. */
  private moveServedRows(limit = -1): void {
    // What this store counts as waiting goes with them (a move that rolls back leaves rows it no longer counts: they
    // still move, by count, at the latest before the next read or write).
    const moved = limit < 0 ? this.servedChars.splice(0) : this.servedChars.splice(0, limit);
    for (const chars of moved) this.servedCharsWaiting -= chars;
    const bound = this.servedBoundStmt.get(limit) as number | null;
    if (bound === null) return;
    const traces = this.servedTracesStmt.all(bound) as [string, number, number, number, string][];
    this.moveServedStmt.run(bound);
    this.clearServedStmt.run(bound);
    const now = Date.now();
    for (const [traceId, count, startNs, endNs, source] of traces) {
      // A trace has a row whenever it has spans, so one this creates has this one span (as in writeSpan).
      const created =
        count === 1 && this.insertNewTraceStmt.run(traceId, null, source, null, startNs, endNs, now).changes;
      if (!created) this.upsertTraceStmt.run({ traceId, name: null, source, origin: null, now });
    }
  }

  /**
   * Writes several traces' spans in one transaction, each trace with its own name/source (an imported file):
   * either all of them are stored or none.
   */
  writeImport(batches: ImportBatch[]): string[] {
    return this.writeBatches(batches, false).traceIds;
  }

  /**
   * writeImport, also saying which traces that had spans it replaced whole (ImportWriter.replacedWhole: a few queries
   * per such trace, so only for an import that will use it).
   */
  writeImportReplacing(batches: ImportBatch[]): { traceIds: string[]; replaced: string[] } {
    return this.writeBatches(batches, true);
  }

  private writeBatches(batches: ImportBatch[], askReplaced: boolean): { traceIds: string[]; replaced: string[] } {
    const spanCount = batches.reduce((n, b) => n + b.spans.length, 0);
    const writer = this.importWriter(spanCount);
    let replaced: string[] = [];
    try {
      writeTransaction(this.db, "importing traces", () => {
        for (const b of batches) {
          for (const s of b.spans) writer.row(toRow(s, this.maxAttributeChars));
          writer.endTrace(b);
        }
        if (askReplaced) replaced = writer.replacedWhole();
      });
    } finally {
      writer.close();
    }
    const all = writer.traceIds();
    this.notifyWritten(
      batches.flatMap((b) => b.spans),
      all,
    );
    return { traceIds: all, replaced };
  }

  /**
   * The rows of an imported file, written as they come (an import worker gets them in batches from the thread that
   * parses): call rows() and endTrace() inside one transaction the caller holds, then close(). The same rows and trace
   * summaries as writeSpans per parsed trace, without Span objects: each row is toRow's 14 values, flattened.
   */
  importWriter(spanCount: number): ImportWriter {
    // A large file's index pages outgrow SQLite's default 2 MB page cache, and every miss is a read back from the
    // WAL: give this write more room, then return to the connection's setting.
    const cacheSize = spanCount > 10_000 ? (this.db.pragma("cache_size", { simple: true }) as number) : undefined;
    if (cacheSize !== undefined) this.db.pragma("cache_size = -131072");
    const all = new Set<string>();
    /** Before this import wrote anything: whether the trace had no spans. */
    const freshBefore = new Map<string, boolean>();
    /**
     * Per trace that had spans, over the whole import: its rows, their span ids (latin1 of the bytes: one character
     * per byte, so equal ids are equal strings), and how many carried a request id. See replacedWhole.
     */
    const replacing = new Map<string, { rows: number; ids: Set<string>; requestIds: number }>();
    let traces = new Map<string, TraceWrite>();
    const track = (
      traceId: string,
      startNs: number,
      endNs: number,
      spanId: Uint8Array | string,
      requestId: unknown,
    ) => {
      let t = traces.get(traceId);
      if (!t) {
        traces.set(traceId, (t = this.traceWrite(traceId)));
        if (!freshBefore.has(traceId)) freshBefore.set(traceId, t.fresh);
      }
      if (!freshBefore.get(traceId)) {
        let r = replacing.get(traceId);
        if (!r) replacing.set(traceId, (r = { rows: 0, ids: new Set(), requestIds: 0 }));
        r.rows++;
        r.ids.add(
          typeof spanId === "string"
            ? spanId
            : Buffer.from(spanId.buffer, spanId.byteOffset, spanId.length).toString("latin1"),
        );
        if (requestId !== null) r.requestIds++;
      }
      t.count++;
      t.startNs = Math.min(t.startNs, startNs);
      t.endNs = Math.max(t.endNs, endNs);
    };
    return {
      row: (row) => {
        track(row[0] as string, row[5] as number, row[6] as number, row[1] as string, row[11]);
        this.upsertSpanStmt.run(row);
      },
      packedRow: (row, traceId) => {
        track(traceId, row[5] as number, row[6] as number, row[1] as Uint8Array | string, row[11]);
        this.upsertPackedSpanStmt.run(row);
      },
      endTrace: ({ source, origin, name }) => {
        const now = Date.now();
        for (const [traceId, t] of traces) {
          this.writeTraceSummary(traceId, t, { source, origin, name }, now);
          all.add(traceId);
        }
        traces = new Map();
      },
      traceIds: () => [...all],
      fresh: () => [...freshBefore].filter(([, fresh]) => fresh).map(([id]) => id),
      replacedWhole: () =>
        [...replacing]
          .filter(([id, r]) => {
            // No span id written twice, as many stored spans as rows (so none is left from before), as many request
            // ids as the rows carried (the upsert keeps a stored request id a row lacks: COALESCE), and no served
            // span of the trace waiting to be moved in.
            return (
              r.ids.size === r.rows &&
              this.countSpansStmt.get(id) === r.rows &&
              this.countRequestIdsStmt.get(id) === r.requestIds &&
              this.hasServedOfStmt.get(id) === undefined
            );
          })
          .map(([id]) => id),
      close: () => {
        if (cacheSize !== undefined) this.db.pragma(`cache_size = ${Number(cacheSize)}`);
      },
    };
  }

  /** A trace's part of one write, before its first span: whether it had no spans yet. */
  private traceWrite(traceId: string): TraceWrite {
    return { fresh: this.hasSpansStmt.get(traceId) === undefined, startNs: Infinity, endNs: -Infinity, count: 0 };
  }

  /** The trace's summary row after a write of its spans (inside the write's transaction). */
  private writeTraceSummary(
    traceId: string,
    t: TraceWrite,
    meta: { source: string; origin?: string; name?: string },
    now: number,
  ): void {
    const base = { traceId, name: meta.name ?? null, source: meta.source, origin: meta.origin ?? null, now };
    // A new trace with one row per span written (no span id twice, which replaces): its extent is this write's.
    if (t.fresh && this.countSpansStmt.get(traceId) === t.count)
      this.insertTraceStmt.run({ ...base, startNs: t.startNs, endNs: t.endNs, count: t.count });
    else this.upsertTraceStmt.run(base);
  }

  /** Whether anything listens to writes (then an import in a worker hands its spans back for notifyWritten). */
  get hasWriteListeners(): boolean {
    return this.listeners.size > 0;
  }

  /** Tells the listeners about committed spans (also those another connection, an import worker, committed). */
  notifyWritten(spans: Span[], traceIds: string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(spans, traceIds);
      } catch {
        // A failing listener (e.g. a full forwarding buffer) must never fail the write that already committed.
      }
    }
  }

  onWrite(listener: SpanWriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deleteTrace(traceId: string): boolean {
    return writeTransaction(this.db, "deleting a trace", () => {
      this.moveServedRows();
      this.db.prepare("DELETE FROM spans WHERE trace_id = ?").run(traceId);
      return this.db.prepare("DELETE FROM traces WHERE trace_id = ?").run(traceId).changes > 0;
    });
  }

  /** Applies the retention settings; returns how many traces were deleted. */
  applyRetention(policy: RetentionPolicy, nowMs = Date.now()): number {
    let deleted = 0;
    writeTransaction(this.db, "applying trace retention", () => {
      this.moveServedRows();
      if (policy.retentionDays > 0) {
        const cutoffMs = nowMs - policy.retentionDays * 86_400_000;
        const old = this.db.prepare("SELECT trace_id FROM traces WHERE created_at < ?").all(cutoffMs) as {
          trace_id: string;
        }[];
        for (const { trace_id } of old) deleted += this.deleteTrace(trace_id) ? 1 : 0;
      }
      if (policy.maxSpans > 0) {
        let total = this.countSpans();
        if (total > policy.maxSpans) {
          const oldest = this.db
            .prepare("SELECT trace_id, span_count FROM traces ORDER BY created_at ASC, end_ns ASC")
            .iterate() as IterableIterator<{
            trace_id: string;
            span_count: number;
          }>;
          const victims: string[] = [];
          for (const row of oldest) {
            if (total <= policy.maxSpans) break;
            victims.push(row.trace_id);
            total -= row.span_count;
          }
          for (const id of victims) deleted += this.deleteTrace(id) ? 1 : 0;
        }
      }
    });
    return deleted;
  }

  countSpans(): number {
    this.settle();
    return (this.db.prepare("SELECT COUNT(*) AS n FROM spans").get() as { n: number }).n;
  }

  /**
   * Hotpath's own JSONL export: a header line, then per trace one `{"trace":…}` line followed by its `{"span":…}`
   * lines. `hotpath import` reads it back with the same ids.
   */
  *exportJsonl(opts: { traceIds?: string[]; sinceNs?: number } = {}): Generator<string> {
    this.settle();
    yield JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: new Date().toISOString() });
    const traces: TraceSummaryDto[] = opts.traceIds
      ? opts.traceIds.map((id) => this.getTrace(id)).filter((t): t is TraceSummaryDto => t !== undefined)
      : (
          this.db.prepare("SELECT * FROM traces WHERE end_ns >= ? ORDER BY start_ns").all(opts.sinceNs ?? 0) as Record<
            string,
            any
          >[]
        ).map(toSummary);
    const spansOf = this.db.prepare("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id");
    for (const t of traces) {
      yield JSON.stringify({ trace: t });
      for (const row of spansOf.iterate(t.traceId) as IterableIterator<SpanRow>)
        yield JSON.stringify({ span: fromRow(row) });
    }
  }

  /** Whether any span of this trace is stored. */
  hasTrace(traceId: string): boolean {
    this.settle();
    return this.hasSpansStmt.get(traceId) !== undefined;
  }

  /** storedForm with this store's attribute limit: for a trace with no stored spans. */
  asStored(spans: Span[]): Span[] {
    return storedForm(spans, this.maxAttributeChars);
  }

  getSpans(traceId: string): Span[] {
    this.settle();
    // Each row arrives as one JSON text built by SQLite: one string per row to cross into JS and one JSON.parse,
    // instead of 13 column values and a keyed row object (a 100k-span trace reads back ~3x faster).
    const rows = this.spansJsonStmt.all(traceId) as string[];
    const spans = new Array<Span>(rows.length);
    for (let i = 0; i < rows.length; i++) spans[i] = fromJsonRow(JSON.parse(rows[i]) as JsonRow);
    // Sorted here, not by SQLite: its sorter would copy every row's attributes text through a temp b-tree.
    return spans.sort(byStartThenId);
  }

  /** Up to `limit` trace ids that start with `prefix` (lower-case hex), for resolving a shortened id. */
  traceIdsStartingWith(prefix: string, limit: number): string[] {
    this.settle();
    const rows = this.db
      .prepare("SELECT trace_id FROM traces WHERE trace_id >= ? AND trace_id < ? LIMIT ?")
      .all(prefix, `${prefix}g`, limit);
    return (rows as { trace_id: string }[]).map((r) => r.trace_id);
  }

  getTrace(traceId: string): TraceSummaryDto | undefined {
    this.settle();
    const row = this.db.prepare("SELECT * FROM traces WHERE trace_id = ?").get(traceId) as
      Record<string, any> | undefined;
    return row ? toSummary(row) : undefined;
  }

  listTraces(opts: { limit?: number; before?: number; source?: string } = {}): TraceSummaryDto[] {
    this.settle();
    const rows = this.db
      .prepare(
        `SELECT * FROM traces WHERE (@before IS NULL OR start_ns < @before) AND (@source IS NULL OR source = @source)
         ORDER BY start_ns DESC LIMIT @limit`,
      )
      .all({
        before: opts.before ?? null,
        source: opts.source ?? null,
        limit: Math.min(opts.limit ?? 100, 10_000),
      }) as Record<string, any>[];
    return rows.map(toSummary);
  }

  /**
   * Spans served by the daemon (or any source) in a time window, newest first; used by metrics views and heatmaps.
   * `maxAttributeBytes` stops once the spans' attributes reach that many bytes in all (the newest span always comes):
   * a caller that parses them on the event loop bounds its work, since one span may hold a whole recorded prompt.
   * The sizes are read with octet_length, which SQLite answers from the record header without reading the text.
   */
  recentSpans(opts: { sinceNs?: number; kind?: SpanKind; limit?: number; maxAttributeBytes?: number } = {}): Span[] {
    this.settle();
    const where = "WHERE start_ns >= @since AND (@kind IS NULL OR kind = @kind) ORDER BY start_ns DESC LIMIT @limit";
    const params = { since: opts.sinceNs ?? 0, kind: opts.kind ?? null, limit: Math.min(opts.limit ?? 1000, 100_000) };
    if (opts.maxAttributeBytes !== undefined) {
      const sizes = this.db
        .prepare(`SELECT octet_length(attributes) FROM spans ${where}`)
        .pluck()
        .all(params) as number[];
      let bytes = 0;
      let n = 0;
      while (n < sizes.length && (n === 0 || bytes + sizes[n] <= opts.maxAttributeBytes)) bytes += sizes[n++];
      params.limit = n;
    }
    const rows = this.db.prepare(`SELECT * FROM spans ${where}`).all(params) as SpanRow[];
    return rows.map(fromRow);
  }

  /**
   * Attributes of the LLM spans the daemon served (they carry a request id) since `sinceNs`, read in SQL: the serving
   * window needs a few values per span, not every span's attributes parsed on the event loop (a busy hour holds
   * 100,000 spans, some with whole recorded prompts). `numbers` read as null where not a number, `texts` where not text;
   * only SERVING_KEYS are kept apart for it (older rows: their short attributes).
   */
  servedLlmValues(
    sinceNs: number,
    numbers: readonly ServingKey[],
    texts: readonly ServingKey[] = [],
  ): { status: string; numbers: (number | null)[]; texts: (string | null)[] }[] {
    this.settle();
    const column = (k: string, types: string) => {
      const path = `'$."${k.replace(/["'\\]/g, "")}"'`;
      return `CASE WHEN json_type(values_json, ${path}) IN (${types}) THEN json_extract(values_json, ${path}) END`;
    };
    const columns = [...numbers.map((k) => column(k, "'integer', 'real'")), ...texts.map((k) => column(k, "'text'"))];
    const rows = this.db
      .prepare(
        `SELECT status${columns.map((c) => `, ${c}`).join("")}
         FROM (SELECT status, COALESCE(serving, attributes) AS values_json FROM spans
               WHERE start_ns >= ? AND kind = 'llm' AND request_id IS NOT NULL ORDER BY start_ns DESC LIMIT 100000)`,
      )
      .raw()
      .all(sinceNs) as unknown[][];
    return rows.map((r) => ({
      status: r[0] as string,
      numbers: numbers.map((_, i) => (r[1 + i] as number | null) ?? null),
      texts: texts.map((_, i) => (r[1 + numbers.length + i] as string | null) ?? null),
    }));
  }
}

/**
 * One new trace's spans exactly as getSpans reads them back after writeSpans stored them with this attribute limit —
 * a later span with the same id replaces an earlier one (keeping its request id when it has none), times rounded, long
 * strings cut, values JSON cannot hold as given normalised, same order — without a store (an import's analysing thread).
 */
export function storedForm(spans: Span[], maxAttributeChars: number): Span[] {
  // Ids are almost always unique: building a typed-array index of them tells whether any repeats (a Map of 100k ids
  // cost more than the rest of this together), and only then are repeated ids folded the slow way.
  if (new SpanIndex(spans.map((s) => s.spanId)).repeated) return storedFormFolding(spans, maxAttributeChars);
  const out = new Array<Span>(spans.length);
  let sorted = true;
  for (let i = 0; i < spans.length; i++) {
    out[i] = storedSpan(spans[i], undefined, maxAttributeChars);
    if (sorted && i > 0 && byStartThenId(out[i - 1], out[i]) > 0) sorted = false;
  }
  // Spans mostly come in start order: sorting an array that already is one costs a comparison per pair anyway.
  return sorted ? out : out.sort(byStartThenId);
}

/** storedForm when some span ids repeat: a later span with the same id replaces the earlier one. */
function storedFormFolding(spans: Span[], maxAttributeChars: number): Span[] {
  const byId = new Map<string, Span>();
  for (const s of spans) {
    const earlier = byId.get(s.spanId);
    if (earlier) byId.delete(s.spanId); // a replaced row keeps its place in neither order: getSpans sorts anyway
    byId.set(s.spanId, storedSpan(s, earlier, maxAttributeChars));
  }
  return [...byId.values()].sort(byStartThenId);
}

/**
 * One span as it reads back. A span that already reads back as it is (whole-number times, no nulls, attributes
 * unchanged by the limit and by JSON) is returned itself: no copy of each of 100k spans. The analysis reads spans
 * only, so the same values in the same object are the same input to it.
 */
function storedSpan(s: Span, earlier: Span | undefined, maxAttributeChars: number): Span {
  const attributes = jsonSafe(capAttributes(s.attributes, maxAttributeChars));
  const startNs = Math.round(s.startNs);
  const endNs = Math.round(s.endNs);
  if (
    earlier === undefined &&
    attributes === s.attributes &&
    startNs === s.startNs &&
    endNs === s.endNs &&
    s.parentSpanId !== null &&
    s.statusMessage !== null &&
    s.requestId !== null
  )
    return s;
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? undefined,
    name: s.name,
    kind: s.kind,
    startNs,
    endNs,
    status: s.status,
    statusMessage: s.statusMessage ?? undefined,
    requestId: s.requestId ?? earlier?.requestId ?? undefined,
    attributes,
  };
}

export const EXPORT_FORMAT = "hotpath.traces";

function byStartThenId(a: Span, b: Span): number {
  return a.startNs - b.startNs || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
}

/** What JSON.parse(JSON.stringify(value)) gives for attribute values: non-finite numbers null, -0 as 0, no undefined. */
function jsonNumber(v: unknown): unknown {
  return typeof v === "number" ? (Number.isFinite(v) ? (v === 0 ? 0 : v) : null) : v === undefined ? null : v;
}

function jsonSafe(attrs: Attributes): Attributes {
  let out: Attributes | undefined;
  for (const k in attrs) {
    const v = attrs[k] as unknown;
    let safe: unknown = v;
    if (v === undefined) {
      out ??= { ...attrs };
      delete out[k];
      continue;
    }
    if (typeof v === "number") safe = jsonNumber(v);
    else if (Array.isArray(v) && v.some((x) => jsonNumber(x) !== x)) safe = v.map(jsonNumber);
    if (safe !== v) {
      out ??= { ...attrs };
      out[k] = safe as Attributes[string];
    }
  }
  return out ?? attrs;
}

function capAttributes(attrs: Attributes, max: number): Attributes {
  let out: Attributes | undefined;
  for (const k in attrs) {
    const v = attrs[k];
    if (typeof v === "string" && v.length > max) {
      out ??= { ...attrs };
      out[k] = `${v.slice(0, max)}…[truncated ${v.length - max} chars]`;
    }
  }
  return out ?? attrs;
}

/** How many values toRow gives per span. */
export const ROW_WIDTH = 14;

/** One parsed trace of an imported file, with its name and source (TraceStore.writeImport). */
type ImportBatch = { spans: Span[]; source: string; origin?: string; name?: string };

/** See TraceStore.importWriter. */
export interface ImportWriter {
  /** A row (toRow's values) of the parsed trace being written. */
  row(values: (string | number | null)[]): void;
  /** The same with each text value as its UTF-8 bytes (see rows.ts), and the row's trace id. */
  packedRow(values: (Uint8Array | string | number | null)[], traceId: string): void;
  /** The parsed trace's rows are all written: its traces' summary rows. */
  endTrace(meta: { source: string; origin?: string; name?: string }): void;
  /** Every trace written, in first-written order. */
  traceIds(): string[];
  /** The traces that had no spans before this import. */
  fresh(): string[];
  /**
   * The traces that had spans before this import and now hold exactly its rows, as written (call inside the
   * transaction, after the last row): they read back as the parsed spans do, like fresh ones (a re-import of the same
   * file, or of a session file that grew). A trace that keeps anything from before is not one of them.
   */
  replacedWhole(): string[];
  /** Returns the connection's page cache to its setting. */
  close(): void;
}

/** A span row's columns, in toRow's order. */
const SPAN_COLUMNS = `trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message, model,
  conversation_id, request_id, attributes, serving`;

/** The span upsert, each text value bound as `text` gives it (toRow's order). */
function upsertSpanSql(text: string): string {
  const t = text;
  return `
      INSERT INTO spans (${SPAN_COLUMNS})
      VALUES (${t}, ${t}, ${t}, ${t}, ${t}, ?, ?, ${t}, ${t}, ${t}, ${t}, ${t}, ${t}, ${t})
      ${SPAN_CONFLICT}`;
}

/** A span written again (same trace and span id) replaces the stored one, keeping its request id and serving values. */
const SPAN_CONFLICT = `ON CONFLICT (trace_id, span_id) DO UPDATE SET
        parent_span_id = excluded.parent_span_id, name = excluded.name, kind = excluded.kind,
        start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
        status_message = excluded.status_message, model = excluded.model, conversation_id = excluded.conversation_id,
        request_id = COALESCE(excluded.request_id, spans.request_id), attributes = excluded.attributes,
        serving = COALESCE(excluded.serving, spans.serving)`;

/** The upsert's positional parameters, in its column order (ROW_WIDTH; start_ns and end_ns are the numbers). */
export function toRow(s: Span, maxAttributeChars: number): (string | number | null)[] {
  return rowWith(s, JSON.stringify(capAttributes(s.attributes, maxAttributeChars)));
}

/** toRow with the attributes' JSON given (as text, or its UTF-8 bytes). */
function rowWith<A extends string | Uint8Array>(s: Span, attributesJson: A): (string | number | null | A)[] {
  const model = s.attributes["gen_ai.request.model"] ?? s.attributes["gen_ai.response.model"];
  const conversation = s.attributes["gen_ai.conversation.id"];
  return [
    s.traceId,
    s.spanId,
    s.parentSpanId ?? null,
    s.name,
    s.kind,
    Math.round(s.startNs),
    Math.round(s.endNs),
    s.status,
    s.statusMessage ?? null,
    typeof model === "string" ? model : null,
    typeof conversation === "string" ? conversation : null,
    s.requestId ?? null,
    attributesJson,
    s.requestId !== undefined ? servingAttributes(s.attributes) : null,
  ];
}

/**
 * The attributes the serving window reads from each served span (`servedLlmValues`), kept apart in the `serving` column.
 * Only these: a copy of every short attribute (rows before this list) doubled a served row's size, and so the pages
 * each request's commit writes.
 */
export const SERVING_NUMBER_KEYS = [
  HotpathAttr.ttftMs,
  HotpathAttr.predictedPerSecond,
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.cache_read.input_tokens",
  "gen_ai.usage.output_tokens",
  HotpathAttr.costUsd,
] as const;
export const SERVING_KEYS = [...SERVING_NUMBER_KEYS, HotpathAttr.cache] as const;
export type ServingKey = (typeof SERVING_KEYS)[number];

/** Longer text is a recorded prompt or answer; the serving window reads numbers and short labels only. */
const SERVING_TEXT_MAX = 256;

/** A served span's SERVING_KEYS values (numbers and short text), as JSON: what `servedLlmValues` reads. */
function servingAttributes(attributes: Attributes): string {
  const small: Attributes = {};
  for (const k of SERVING_KEYS) {
    const v = attributes[k];
    if (typeof v === "number" || (typeof v === "string" && v.length <= SERVING_TEXT_MAX)) small[k] = v;
  }
  return JSON.stringify(small);
}

function fromRow(r: SpanRow): Span {
  return {
    traceId: r.trace_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id ?? undefined,
    name: r.name,
    kind: r.kind as SpanKind,
    startNs: r.start_ns,
    endNs: r.end_ns,
    status: r.status as SpanStatus,
    statusMessage: r.status_message ?? undefined,
    requestId: r.request_id ?? undefined,
    attributes: JSON.parse(r.attributes) as Attributes,
  };
}

type JsonRow = [
  [string, string, string | null, string, string, number, number, string, string | null, string | null],
  Attributes,
];

/** fromRow for getSpans' JSON rows (the same object shape). */
function fromJsonRow([
  [traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, statusMessage, requestId],
  attributes,
]: JsonRow): Span {
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId ?? undefined,
    name,
    kind: kind as SpanKind,
    startNs,
    endNs,
    status: status as SpanStatus,
    statusMessage: statusMessage ?? undefined,
    requestId: requestId ?? undefined,
    attributes,
  };
}

/**
 * A span of storedForm as a new object shaped as getSpans reads it back (made by the same fromJsonRow): its fields in
 * that order, which a trace's detail JSON keeps (an importer builds its spans with its own order).
 */
export function readBackSpan(s: Span): Span {
  const { traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, statusMessage, requestId } = s;
  const row = [traceId, spanId, parentSpanId ?? null, name, kind, startNs, endNs, status, statusMessage ?? null];
  return fromJsonRow([[...row, requestId ?? null] as JsonRow[0], s.attributes]);
}

function toSummary(r: Record<string, any>): TraceSummaryDto {
  return {
    traceId: r.trace_id,
    name: r.name ?? undefined,
    source: r.source,
    origin: r.origin ?? undefined,
    startNs: r.start_ns,
    endNs: r.end_ns,
    spanCount: r.span_count,
  };
}
