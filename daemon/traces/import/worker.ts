// Worker thread: one trace file's import, off the daemon's event loop (see ./job.ts). By role:
//   import:  parses, stores and (optionally) analyzes the file on its own SQLite connection;
//   write:   parses and stores it, and analyzes (read back) only traces that already had spans;
//   analyze: parses the same bytes and analyzes each trace as it will read back — no database.
// A large file runs write and analyze at once on two threads: the SQLite write and the analysis overlap.
import { parentPort, workerData } from "node:worker_threads";
import type { TraceAnalysis } from "../../api.js";
import { DatabaseBusyError, openDb, type Db } from "../../db.js";
import { analyzeTrace } from "../analysis/index.js";
import { ImportError, parseTraceFile } from "../importers/index.js";
import type { Span } from "../span.js";
import { DEFAULT_MAX_ATTRIBUTE_CHARS, TraceStore } from "../store.js";
import { analyzeParsed, importAndAnalyze, writeParsed } from "./analyzed.js";
import type { ImportJob, ImportReply } from "./job.js";

const job = workerData as ImportJob;
let reply: ImportReply;
/** The connection of a write, open until its checkpoint ran (after the reply). */
let written: Db | undefined;
try {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(job.bytes));
  if (job.role === "analyze") {
    const parsed = parseTraceFile(job.name, text);
    const analyses = analyzeParsed(parsed.traces, job.maxAttributeChars ?? DEFAULT_MAX_ATTRIBUTE_CHARS);
    reply = { ok: true, analyses: [...analyses.values()] };
  } else {
    const db = openDb(job.dbPath);
    // SQLite copies a commit's WAL pages into the database file (a checkpoint) once the WAL outgrows 1000 pages, as
    // part of the commit. A large import's commit is durable in the WAL (the daemon's durability: WAL, synchronous =
    // NORMAL) before that copy, so this connection copies after it has answered; readers read from the WAL meanwhile.
    db.pragma("wal_autocheckpoint = 0");
    let ok = false;
    try {
      const store = new TraceStore(db, { maxAttributeChars: job.maxAttributeChars });
      const spans: Span[] = [];
      if (job.returnSpans)
        store.onWrite((written) => {
          for (const w of written) spans.push(w);
        });
      if (job.role === "write") {
        const written = writeParsed(store, job.name, parseTraceFile(job.name, text));
        const fresh = new Set(written.fresh);
        // A trace that had spans before is analysed whole, as stored now (rare: a re-import or a continued file).
        const analyses: TraceAnalysis[] = job.analyze
          ? written.traceIds.filter((id) => !fresh.has(id)).map((id) => analyzeTrace(store.getSpans(id), id))
          : [];
        reply = { ok: true, result: written, analyses, ...(job.returnSpans ? { spans } : {}) };
      } else {
        reply = {
          ok: true,
          result: importAndAnalyze(store, job.name, text, { analyze: job.analyze }),
          ...(job.returnSpans ? { spans } : {}),
        };
      }
      ok = true;
    } finally {
      if (ok) written = db;
      else db.close();
    }
  }
} catch (e) {
  reply =
    e instanceof ImportError
      ? { ok: false, importError: { message: e.message, field: e.field } }
      : e instanceof DatabaseBusyError
        ? { ok: false, busy: true, message: e.message }
        : e instanceof TypeError && /encoded data was not valid/i.test(e.message)
          ? { ok: false, encoding: true }
          : { ok: false, message: (e as Error).message };
}
parentPort!.postMessage(reply);
if (written) {
  try {
    written.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Another connection's checkpoint or a later commit's will copy the pages: nothing is lost either way.
  } finally {
    written.close();
  }
}
