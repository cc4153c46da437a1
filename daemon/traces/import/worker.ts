// Worker thread: one trace file's import, off the daemon's event loop (see ./job.ts). By role:
//   import: gets the file's bytes, parses, stores and (optionally) analyzes it on its own SQLite connection;
//   parse:  gets the file's bytes, parses them once, sends the span rows to the store thread, then analyzes the
//           parsed spans as they will read back — no database;
//   store:  writes the rows the parse thread sends, in one transaction, and analyzes (read back) only traces that
//           keep spans from before (not one the file replaced whole: ImportWriter.replacedWhole).
// A large file runs parse and store at once: the SQLite write overlaps the analysis, and the file is parsed once.
import { getHeapStatistics } from "node:v8";
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { DatabaseBusyError, isBusy, openDb, type Db } from "../../db.js";
import { fullCollection } from "../../heap-gc.js";
import { analyzeTrace } from "../analysis/index.js";
import { ImportError, parseTraceFile } from "../importers/index.js";
import type { ParsedTrace } from "../importers/format.js";
import type { Span } from "../span.js";
import { DEFAULT_MAX_ATTRIBUTE_CHARS, readBackSpan, TraceStore } from "../store.js";
import { workerJsonBuffers, workerJson, type WorkerJson } from "./worker-json.js";
import { analyzeParsed, importAndAnalyze, storedTraces } from "./analyzed.js";
import { forEachPackedRow, packSpans, type PackedRows } from "./rows.js";
import { streamedParse } from "./stream.js";
import { detailBody } from "../view-caps.js";
import type {
  BlockAck,
  FileMessage,
  IdleCollected,
  ImportJob,
  ImportReply,
  JobMessage,
  PrepareDetails,
  PreparedDetails,
  RowMessage,
  SpareRowsMessage,
} from "./job.js";

const port = parentPort!;
/** This worker's import: given when it started, or — a worker started ahead of its import — its first message. */
let job: ImportJob;
let maxAttributeChars: number;
/** A store job's connection whose commit is not yet copied into the database file (see the store role). */
let pendingCheckpoint: Db | undefined;
// This thread runs a few nice values below the daemon's, set before this module loaded (workers.ts, startWorker).

/** Spans per message from the parse thread to the store thread. */
const ROWS_PER_MESSAGE = 2048;

function errorReply(e: unknown): ImportReply {
  return e instanceof ImportError
    ? { ok: false, importError: { message: e.message, field: e.field } }
    : e instanceof DatabaseBusyError || isBusy(e)
      ? { ok: false, busy: true, message: (e as Error).message }
      : e instanceof TypeError && /encoded data was not valid/i.test(e.message)
        ? { ok: false, encoding: true }
        : { ok: false, message: (e as Error).message };
}

/**
 * The buffer the last job's file was kept in, for this worker's next job (see receiveFile). A buffer made anew costs
 * its pages' first touch: on the 2-core VMs this runs on, ~2.6 ms of CPU per MB (a fresh 64 MB filled: 160–180 ms of
 * CPU; filled again: 3 ms), on the parsing thread the upload waits for — ~15k page faults of a warm 100k-span OTLP
 * import's ~35k. Held while the worker waits (it ends after a while unused: workers.ts), up to KEPT_FILE_MAX_BYTES.
 */
let keptFile: Uint8Array | undefined;
/** A larger file's buffer is not held for the next job: an idle worker would hold that much memory. */
const KEPT_FILE_MAX_BYTES = 128 * 1024 * 1024;

/**
 * Row buffers the store thread wrote and handed back (SpareRowsMessage), kept for this worker's next parse job up to
 * PACK_BUFFERS_MAX_BYTES: the parse packs faster than the store thread writes, so a job took a new ~1.3 MB buffer for
 * most of its batches (a 100k-span import ~65 MB, each page's first touch paid as for keptFile).
 */
const packBuffers: PackedRows[] = [];
const PACK_BUFFERS_MAX_BYTES = 64 * 1024 * 1024;

/** Takes the row buffers the store thread has handed back by now (it posts nothing else on the row port). */
function takeSpareRows(rows: MessagePort): void {
  for (let m; (m = receiveMessageOnPort(rows));) packBuffers.push((m.message as SpareRowsMessage).spare);
}

/** Keeps packBuffers within PACK_BUFFERS_MAX_BYTES, for the next job. */
function trimPackBuffers(): void {
  let bytes = 0;
  let keep = 0;
  for (; keep < packBuffers.length; keep++) {
    const { bytes: b, layout } = packBuffers[keep];
    bytes += b.buffer.byteLength + layout.buffer.byteLength;
    if (bytes > PACK_BUFFERS_MAX_BYTES) break;
  }
  packBuffers.length = keep;
}

/**
 * Collects the file's bytes as the daemon's thread passes them on (it reads them from the request), handing each block
 * to `each` as it comes (a parse that streams). While `keep()` says the whole file will be needed, each block is copied
 * into one buffer of this thread's (sized by the request's length when known); every block goes back to the daemon's
 * thread to be filled again (BlockAck). Keeping the blocks themselves made the daemon's thread allocate a fresh block
 * per MB of the upload: 58 MB of new memory there, which set off V8's full collections of its heap (external memory
 * grown ~64 MB) and the idle collection, in the middle of the import (/healthz waited 100–400 ms behind them).
 */
function receiveFile(
  done: (bytes: Uint8Array) => void,
  each?: (block: Uint8Array) => void,
  keep: () => boolean = () => true,
): void {
  let whole: Uint8Array | undefined;
  let used = 0;
  const onMessage = (m: FileMessage) => {
    if ("chunk" in m) {
      const block = m.chunk;
      each?.(block);
      if (keep()) {
        if (!whole || whole.length - used < block.length) {
          // Untouched pages of a large allocation cost nothing: room for the whole declared length at once.
          const size = Math.max(job.sizeHint ?? 0, (whole?.length ?? 0) * 2, used + block.length);
          const grown = !whole && keptFile && keptFile.length >= size ? keptFile : new Uint8Array(size);
          keptFile = undefined;
          if (whole) grown.set(whole.subarray(0, used));
          whole = grown;
        }
        whole.set(block, used);
        used += block.length;
      } else {
        whole = undefined; // the parse streams: what was kept is no longer needed
        used = 0;
      }
      const buffer = new Uint8Array(block.buffer);
      port.postMessage({ ack: 1, spare: buffer } satisfies BlockAck, [buffer.buffer as ArrayBuffer]);
      return;
    }
    port.off("message", onMessage);
    done(whole ? whole.subarray(0, used) : new Uint8Array(0));
    // done() has parsed the bytes (its text and spans are copies): the next job of this worker may fill them again.
    if (whole && whole.length <= KEPT_FILE_MAX_BYTES) keptFile = whole;
  };
  port.on("message", onMessage);
}

/** The whole file as text (TypeError when it is not UTF-8). One decode of the whole: see stream.ts on `stream`. */
function textOf(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** The connection of a write, open until its checkpoint ran (after the reply). */
function checkpointAndClose(db: Db): void {
  // SQLite copies a commit's WAL pages into the database file (a checkpoint) once the WAL outgrows 1000 pages, as
  // part of the commit. A large import's commit is durable in the WAL (the daemon's durability: WAL, synchronous =
  // NORMAL) before that copy, so this connection copies after it has answered; readers read from the WAL meanwhile.
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Another connection's checkpoint or a later commit's will copy the pages: nothing is lost either way.
  } finally {
    db.close();
  }
}

function openForImport(): Db {
  const db = openDb(job.dbPath);
  db.pragma("wal_autocheckpoint = 0"); // see checkpointAndClose
  return db;
}

/** Runs `job` (set). */
function run(): void {
  if (job.role === "analyze" || job.role === "detail") {
    // A stored trace read back, analysed or serialised (job.ts analyzeStored, storedDetail); the connection only reads.
    let reply: ImportReply;
    let db: Db | undefined;
    const transfer: ArrayBuffer[] = [];
    try {
      db = openDb(job.dbPath);
      const store = new TraceStore(db, { maxAttributeChars });
      const id = job.traceId!;
      if (job.role === "analyze") {
        const analysis = workerJson(analyzeTrace(store.getSpans(id), id), job.analysisDir);
        transfer.push(...workerJsonBuffers([[id, analysis]]));
        reply = { ok: true, analysis };
      } else {
        // A file the daemon's thread streams out, or bytes moved to it (not copied), as an analysis is; the trace's
        // summary goes in front as it is sent (view-caps.ts detailBody).
        const detail = store.getTrace(id)
          ? workerJson(detailBody(store.getSpans(id), job.attributeCaps), job.analysisDir)
          : undefined;
        if (detail) transfer.push(...workerJsonBuffers([[id, detail]]));
        reply = { ok: true, detail };
      }
    } catch (e) {
      reply = errorReply(e);
    } finally {
      db?.close();
    }
    port.postMessage(reply, transfer);
    if (reply.ok) nextJob();
  } else if (job.role === "import") {
    receiveFile((bytes) => {
      let reply: ImportReply;
      let transfer: ArrayBuffer[] = [];
      let written: Db | undefined;
      try {
        const parsed = parseTraceFile(job.name, textOf(bytes));
        const db = openForImport();
        try {
          const store = new TraceStore(db, { maxAttributeChars });
          const result = importAndAnalyze(store, job.name, parsed, { analyze: job.analyze });
          const analyses = (result.analyses ?? []).map((a): [string, WorkerJson] => [
            a.traceId,
            workerJson(a, job.analysisDir),
          ]);
          transfer = workerJsonBuffers(analyses);
          reply = {
            ok: true,
            written: { traceIds: result.traceIds, asParsed: [], analyses: [] },
            parsed: {
              format: result.format,
              spanCount: result.spanCount,
              analyses,
              spans: job.returnSpans ? parsed.traces.flatMap((t) => t.spans) : undefined,
            },
          };
          written = db;
        } finally {
          if (!written) db.close();
        }
      } catch (e) {
        reply = errorReply(e);
      }
      port.postMessage(reply, transfer);
      if (written) checkpointAndClose(written);
      if (reply.ok) nextJob();
    });
  } else if (job.role === "parse") {
    const streamed = streamedParse(job.name);
    receiveFile(
      (bytes) => {
        const rows = job.rowPort!;
        let begun = false;
        const begin = (spanCount: number) => {
          if (begun) return;
          begun = true;
          rows.postMessage({ begin: { spanCount } } satisfies RowMessage);
        };
        /** Packs spans[from, to) for the store thread. */
        const send = (spans: readonly Span[], from: number, to: number) => {
          // The buffers of rows the store thread has written by now (this thread's loop does not turn meanwhile).
          takeSpareRows(rows);
          const packed = packSpans(spans, from, to, maxAttributeChars, packBuffers);
          rows.postMessage({ rows: packed } satisfies RowMessage, [
            packed.bytes.buffer as ArrayBuffer,
            packed.layout.buffer as ArrayBuffer,
          ]);
        };
        // A Claude Code session's spans are built once the whole file is read (~0.4 s for 100k): the rows of those
        // built go to the store thread meanwhile, so its write starts that much sooner. A failure after that closes the
        // rows unended and the store thread rolls back (see the store role): nothing is stored.
        let handed: readonly Span[] | undefined;
        let sent = 0;
        const handOut = (spans: readonly Span[], expected: number) => {
          if (spans.length - sent < ROWS_PER_MESSAGE || (handed && handed !== spans)) return;
          handed = spans;
          begin(expected);
          send(spans, sent, sent + ROWS_PER_MESSAGE);
          sent += ROWS_PER_MESSAGE;
        };
        let parsed: { format: string; traces: ParsedTrace[] };
        try {
          parsed = streamed.end(handOut) ?? parseTraceFile(job.name, textOf(bytes));
        } catch (e) {
          port.postMessage(errorReply(e)); // before closing the rows: the store thread then ends (see job.ts)
          rows.close();
          return;
        }
        // Rows first: the store thread writes them while this one analyses.
        const spanCount = parsed.traces.reduce((n, t) => n + t.spans.length, 0);
        begin(spanCount);
        for (const t of parsed.traces) {
          for (let i = t.spans === handed ? sent : 0; i < t.spans.length; i += ROWS_PER_MESSAGE)
            send(t.spans, i, Math.min(t.spans.length, i + ROWS_PER_MESSAGE));
          rows.postMessage({ endTrace: { source: t.source, origin: t.origin, name: t.name } } satisfies RowMessage);
        }
        rows.postMessage({ end: true } satisfies RowMessage);
        let analyses: [string, WorkerJson][] | undefined;
        let stored: Map<string, Span[]> | undefined;
        if (job.analyze) {
          try {
            stored = storedTraces(parsed.traces, maxAttributeChars);
            analyses = [...analyzeParsed(parsed.traces, maxAttributeChars, undefined, stored)].map(([id, a]) => [
              id,
              workerJson(a, job.analysisDir),
            ]);
          } catch {
            // The file is being stored: its analysis is computed when first asked for.
          }
        }
        const spans: Span[] | undefined = job.returnSpans ? parsed.traces.flatMap((t) => t.spans) : undefined;
        port.postMessage(
          { ok: true, parsed: { format: parsed.format, spanCount, analyses, spans } } satisfies ImportReply,
          workerJsonBuffers(analyses),
        );
        // Those written by now are kept for the next job (the rest go with the port).
        takeSpareRows(rows);
        trimPackBuffers();
        // Only now: the store thread copies its commit into the database file once this closes (see the store role).
        rows.close();
        if (job.prepareDetails && job.analysisDir !== undefined) {
          let prepared: [string, WorkerJson][] = [];
          try {
            stored ??= storedTraces(parsed.traces, maxAttributeChars);
            prepared = prepareDetails(stored, job.prepareDetails, job.analysisDir);
          } catch {
            // None prepared: each is read back when asked for. Said all the same (the daemon waits for it).
          }
          port.postMessage({ prepared } satisfies PreparedDetails);
        }
        nextJob();
      },
      (block) => streamed.push(block),
      () => streamed.needsWholeFile,
    );
  } else {
    // store
    const rows = job.rowPort!;
    let db: Db | undefined;
    let store: TraceStore | undefined;
    let writer: ReturnType<TraceStore["importWriter"]> | undefined;
    let failed = false;
    let ended = false;
    const rollBack = () => {
      try {
        if (db?.inTransaction) db.exec("ROLLBACK");
      } catch {
        // The connection closes next: SQLite rolls back what it did not commit.
      }
      writer?.close();
      db?.close();
    };
    const fail = (e: unknown) => {
      failed = true;
      rollBack();
      rows.close();
      port.postMessage(errorReply(e));
    };
    // The parse failed, maybe after rows were written (see the parse role's handOut): nothing of them is kept. The
    // parse's answer says why; this thread ends without one (job.ts).
    rows.once("close", () => {
      rows.off("message", onRows); // (its listener kept this thread alive until now)
      if (ended) return settleCheckpoint();
      if (failed) return;
      failed = true;
      rollBack();
    });
    try {
      // Opened while the file still arrives and parses.
      db = openForImport();
      store = new TraceStore(db, { maxAttributeChars });
    } catch (e) {
      fail(e);
    }
    const onRows = (m: RowMessage) => {
      if (failed) return;
      try {
        if ("begin" in m) {
          // The write lock is taken only once there are rows to write: the daemon's own span writes wait for it.
          db!.exec("BEGIN IMMEDIATE");
          writer = store!.importWriter(m.begin.spanCount);
        } else if ("rows" in m) {
          forEachPackedRow(m.rows, writer!.packedRow);
          // Written (SQLite copied the values): the buffers go back to be packed again.
          const { bytes, layout } = m.rows;
          rows.postMessage({ spare: m.rows } satisfies SpareRowsMessage, [
            bytes.buffer as ArrayBuffer,
            layout.buffer as ArrayBuffer,
          ]);
        } else if ("endTrace" in m) writer!.endTrace(m.endTrace);
        else {
          ended = true;
          // Asked inside the transaction: what it wrote, before another connection can add to it.
          const replaced = job.analyze ? writer!.replacedWhole() : [];
          db!.exec("COMMIT");
          writer!.close();
          const traceIds = writer!.traceIds();
          // A trace that had spans before and kept any is analysed whole, as stored now. One this import replaced
          // whole (the same file again, a session file that grew) reads back as parsed: its reading back and analysis
          // here, 1.2–1.6 s for 100k spans, were the import's longest step and the parsing thread's analysis
          // went unused.
          const asParsed = new Set([...writer!.fresh(), ...replaced]);
          const analyses: [string, WorkerJson][] = [];
          try {
            if (job.analyze)
              for (const id of traceIds)
                if (!asParsed.has(id))
                  analyses.push([id, workerJson(analyzeTrace(store!.getSpans(id), id), job.analysisDir)]);
          } catch {
            // Committed: the import stands. A trace without its analysis here has it computed when first asked for.
          }
          port.postMessage(
            { ok: true, written: { traceIds, asParsed: [...asParsed], analyses } } satisfies ImportReply,
            workerJsonBuffers(analyses),
          );
          // The checkpoint (~0.15 s of CPU for 100k spans: the WAL copied into the database file) waits until the
          // parsing thread closes the rows, once its analysis is done: run now it took a core from that analysis,
          // which the import's answer waits for. A next job, or the end, settles it first.
          pendingCheckpoint = db;
          nextJob();
        }
      } catch (e) {
        fail(e);
      }
    };
    rows.on("message", onRows);
  }
}

/**
 * The details a trace view will ask for of the large traces just parsed, as they will read back once stored: opening a
 * 100k-span trace after its import read it back from SQLite and serialised it (~1.1 s on a worker) before its first
 * byte. Written after the import's answer; whatever fails is left out (that detail is read back when asked for).
 */
function prepareDetails(stored: Map<string, Span[]>, p: PrepareDetails, dir: string): [string, WorkerJson][] {
  const out: [string, WorkerJson][] = [];
  for (const [id, spans] of stored) {
    if (out.length >= p.max) break;
    if (spans.length <= p.minSpans) continue;
    try {
      out.push([id, workerJson(detailBody(spans.map(readBackSpan), p.caps), dir)]);
    } catch {
      // (a full disk): asked for, this detail is read back as any other
    }
  }
  return out;
}

if (workerData) start(workerData as ImportJob);
else nextJob();

/**
 * Waits for this worker's first job (started ahead of it), or — after a job that succeeded — for the next one when the
 * daemon said it may be reused (workers.ts; its `end` instead ends it); otherwise it ends (nothing left to wait for).
 * Nothing of a job stays reachable but the buffers kept to be filled again (keptFile, packBuffers: outside V8's
 * heap): its state lives in run()'s closures, its connection and row port are closed, so the next job starts on a
 * heap like a new worker's, with V8's compiled code kept.
 */
function nextJob(): void {
  if (job && !job.reuse) return;
  const idle = job?.idleCollectMs !== undefined ? setTimeout(collectIdle, job.idleCollectMs) : undefined;
  port.once("message", (m: JobMessage) => {
    clearTimeout(idle);
    if ("job" in m) start(m.job);
    else settleCheckpoint();
  });
}

/**
 * Lets go of the last job's memory while this thread waits for its next (workers.ts IDLE_COLLECT_MS): the buffers kept
 * for it, and the job's garbage, which V8 would keep until the next job allocates. What stays is about what a new
 * worker holds, and the code V8 compiled: the next job runs warm.
 */
function collectIdle(): void {
  let keptBytes = keptFile?.byteLength ?? 0;
  for (const { bytes, layout } of packBuffers) keptBytes += bytes.buffer.byteLength + layout.buffer.byteLength;
  keptFile = undefined;
  packBuffers.length = 0;
  const heapBytesBefore = getHeapStatistics().used_heap_size;
  fullCollection()?.();
  const heapBytesAfter = getHeapStatistics().used_heap_size;
  port.postMessage({ idleCollected: { heapBytesBefore, heapBytesAfter, keptBytes } } satisfies IdleCollected);
}

function settleCheckpoint(): void {
  const db = pendingCheckpoint;
  pendingCheckpoint = undefined;
  if (db) checkpointAndClose(db);
}

function start(j: ImportJob): void {
  settleCheckpoint();
  job = j;
  maxAttributeChars = job.maxAttributeChars ?? DEFAULT_MAX_ATTRIBUTE_CHARS;
  run();
}
