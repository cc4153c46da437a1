// The daemon's side of trace-file imports: each file is parsed, stored and analyzed in a worker thread with its own
// connection to the SQLite file, so a 100k-span import (seconds of parsing and writing) never holds the event loop.
// An in-memory database cannot be shared with a worker: those imports run in-process.
import type { Worker } from "node:worker_threads";
import type { TraceAnalysis } from "../../api.js";
import { DatabaseBusyError } from "../../db.js";
import { ImportError } from "../importers/index.js";
import type { Span } from "../span.js";
import type { TraceStore } from "../store.js";
import { importAndAnalyze, type AnalyzedImport } from "./analyzed.js";
import { startWorker } from "../../worker-thread.js";

export interface ImportJob {
  dbPath: string;
  name: string;
  /** The file's bytes (transferred, not copied). */
  bytes: ArrayBuffer;
  analyze: boolean;
  maxAttributeChars?: number;
  /** Send the parsed spans back (the main store has write listeners, e.g. the OTLP forwarder). */
  returnSpans: boolean;
}

export type ImportReply =
  | { ok: true; result: AnalyzedImport; spans?: Span[] }
  | { ok: false; importError: { message: string; field?: string } }
  | { ok: false; encoding: true }
  | { ok: false; busy: true; message: string }
  | { ok: false; message: string };

/** A file that is not UTF-8 text. */
export class EncodingError extends Error {}

/** The worker's ImportError, with its message and field (its other parts stay in the message). */
export class RemoteImportError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function newWorker(job: ImportJob): Worker {
  const options = { workerData: job, transferList: [job.bytes] };
  return startWorker(import.meta.url, "./trace-import-worker.js", "./worker.ts", options);
}

/** Imports one file's bytes; rejects with EncodingError, RemoteImportError/ImportError (bad file) or Error. */
export async function importFile(
  store: TraceStore,
  o: { dbPath: string; name: string; bytes: Uint8Array; analyze: boolean; maxAttributeChars?: number },
): Promise<AnalyzedImport> {
  if (o.dbPath === ":memory:" || o.dbPath === "") {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(o.bytes);
    } catch {
      throw new EncodingError(`${o.name}: not UTF-8 text; trace files are JSON or JSON Lines`);
    }
    return importAndAnalyze(store, o.name, text, { analyze: o.analyze });
  }
  // A copy the worker owns: a Buffer may be a view of a larger pool (and Buffer#slice would not copy).
  const bytes = new Uint8Array(o.bytes).buffer;
  const reply = await new Promise<ImportReply>((resolve, reject) => {
    const job = {
      dbPath: o.dbPath,
      name: o.name,
      bytes,
      analyze: o.analyze,
      maxAttributeChars: o.maxAttributeChars,
      returnSpans: store.hasWriteListeners,
    };
    const worker = newWorker(job);
    let settled = false;
    worker.once("message", (m: ImportReply) => {
      settled = true;
      resolve(m);
    });
    worker.once("error", (e) => {
      settled = true;
      reject(e);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the trace import worker exited (code ${code}) before answering`));
    });
  });
  if (reply.ok) {
    if (reply.spans) store.notifyWritten(reply.spans, reply.result.traceIds);
    return reply.result;
  }
  if ("importError" in reply) throw new RemoteImportError(reply.importError.message, reply.importError.field);
  if ("busy" in reply) throw new DatabaseBusyError(`importing ${o.name}`);
  if ("encoding" in reply) throw new EncodingError(`${o.name}: not UTF-8 text; trace files are JSON or JSON Lines`);
  throw new Error(reply.message);
}

/**
 * Analyses of just-imported traces, so the first GET …/analysis after an import needs no read-back. An entry holds
 * only while its trace's summary (span count and extent) is unchanged: spans added since make it compute afresh.
 */
export class RecentAnalyses {
  private readonly byTrace = new Map<string, { key: string; analysis: TraceAnalysis }>();

  constructor(private readonly max = 16) {}

  put(analyses: TraceAnalysis[], summaryKey: (traceId: string) => string | undefined): void {
    for (const a of analyses) {
      const key = summaryKey(a.traceId);
      if (key === undefined) continue;
      this.byTrace.delete(a.traceId);
      this.byTrace.set(a.traceId, { key, analysis: a });
      if (this.byTrace.size > this.max) this.byTrace.delete(this.byTrace.keys().next().value!);
    }
  }

  get(traceId: string, summaryKey: string): TraceAnalysis | undefined {
    const hit = this.byTrace.get(traceId);
    return hit && hit.key === summaryKey ? hit.analysis : undefined;
  }
}

export { ImportError };
