// The daemon's side of trace-file imports: each file is parsed, stored and analyzed in worker threads with their own
// connection to the SQLite file, so a 100k-span import (seconds of parsing and writing) never holds the event loop.
// A large file goes to two workers at once while the cores have room, both reading the same bytes: one parses and writes, the
// other parses and analyses — on a 2-core machine the SQLite write and the analysis overlap instead of adding up.
// An in-memory database cannot be shared with a worker: those imports run in-process.
import { availableParallelism, loadavg } from "node:os";
import type { Worker } from "node:worker_threads";
import type { TraceAnalysis } from "../../api.js";
import { DatabaseBusyError } from "../../db.js";
import { ImportError } from "../importers/index.js";
import type { Span } from "../span.js";
import type { TraceStore } from "../store.js";
import { importAndAnalyze, type AnalyzedImport, type WrittenImport } from "./analyzed.js";
import { startWorker } from "../../worker-thread.js";

/** From this size on, parsing twice (once per worker) costs less wall time than writing and analysing in turn. */
export const SPLIT_IMPORT_BYTES = 2 * 1024 * 1024;

/**
 * Whether an import of this many bytes runs on two workers. The second parse only pays while the cores have room for
 * it: with the 1-min load average at or above the core count the two workers share busy cores and the extra parse
 * only adds CPU time, so one worker writes and then analyses. (Below that, idle time is left on average; the load an
 * import itself adds — two threads for a few seconds — keeps back-to-back imports on an idle machine below it.)
 */
export function splitsImport(bytes: number): boolean {
  return bytes >= SPLIT_IMPORT_BYTES && loadavg()[0] < availableParallelism();
}

export interface ImportJob {
  /** import: parse, write, analyze; write: parse and write (analyze traces that had spans); analyze: parse, analyze. */
  role: "import" | "write" | "analyze";
  dbPath: string;
  name: string;
  /** The file's bytes: transferred (one worker) or shared read-only (two). */
  bytes: ArrayBuffer | SharedArrayBuffer;
  analyze: boolean;
  maxAttributeChars?: number;
  /** Send the parsed spans back (the main store has write listeners, e.g. the OTLP forwarder). */
  returnSpans: boolean;
}

export type ImportReply =
  | {
      ok: true;
      /** import and write: what was stored (write: with the traces that are new). */
      result?: AnalyzedImport | WrittenImport;
      /** write: of the traces that already had spans; analyze: of every trace in the file. */
      analyses?: TraceAnalysis[];
      spans?: Span[];
    }
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

/** Runs one worker; `stop` ends it early (its answer is no longer needed). */
function runWorker(job: ImportJob): { reply: Promise<ImportReply>; stop: () => void } {
  const transferList = job.bytes instanceof ArrayBuffer ? [job.bytes] : [];
  const worker: Worker = startWorker(import.meta.url, "./trace-import-worker.js", "./worker.ts", {
    workerData: job,
    transferList,
  });
  let settled = false;
  const reply = new Promise<ImportReply>((resolve, reject) => {
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
  return {
    reply,
    stop: () => {
      settled = true;
      void worker.terminate();
    },
  };
}

/** The reply's failure as the error importFile rejects with. */
function failure(reply: Exclude<ImportReply, { ok: true }>, name: string): Error {
  if ("importError" in reply) return new RemoteImportError(reply.importError.message, reply.importError.field);
  if ("busy" in reply) return new DatabaseBusyError(`importing ${name}`);
  if ("encoding" in reply) return new EncodingError(`${name}: not UTF-8 text; trace files are JSON or JSON Lines`);
  return new Error(reply.message);
}

/** Imports one file's bytes; rejects with EncodingError, RemoteImportError/ImportError (bad file) or Error. */
export async function importFile(
  store: TraceStore,
  o: {
    dbPath: string;
    name: string;
    bytes: Uint8Array;
    analyze: boolean;
    maxAttributeChars?: number;
    /** Two workers or one (default: splitsImport). */
    split?: boolean;
  },
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
  const base = {
    dbPath: o.dbPath,
    name: o.name,
    analyze: o.analyze,
    maxAttributeChars: o.maxAttributeChars,
    returnSpans: store.hasWriteListeners,
  };
  if (!o.analyze || !(o.split ?? splitsImport(o.bytes.length))) {
    // A copy the worker owns: a Buffer may be a view of a larger pool (and Buffer#slice would not copy).
    const reply = await runWorker({ ...base, role: "import", bytes: new Uint8Array(o.bytes).buffer }).reply;
    if (!reply.ok) throw failure(reply, o.name);
    if (reply.spans) store.notifyWritten(reply.spans, reply.result!.traceIds);
    return reply.result as AnalyzedImport;
  }
  // One copy both workers read (neither writes to it).
  const shared = new SharedArrayBuffer(o.bytes.length);
  new Uint8Array(shared).set(o.bytes);
  const writer = runWorker({ ...base, role: "write", bytes: shared });
  const analyst = runWorker({ ...base, role: "analyze", bytes: shared, returnSpans: false });
  let written: ImportReply;
  try {
    written = await writer.reply;
  } catch (e) {
    analyst.stop();
    throw e;
  }
  if (!written.ok) {
    analyst.stop();
    throw failure(written, o.name);
  }
  const result = written.result as WrittenImport;
  if (written.spans) store.notifyWritten(written.spans, result.traceIds);
  const out: AnalyzedImport = {
    file: result.file,
    format: result.format,
    traceIds: result.traceIds,
    spanCount: result.spanCount,
  };
  // The file is stored: an analysis that failed (it should not: the same parse succeeded) leaves the analyses out,
  // and the trace's analysis is computed when first asked for.
  const analysed = await analyst.reply.catch(() => undefined);
  if (analysed?.ok) {
    const fresh = new Set(result.fresh);
    const byId = new Map<string, TraceAnalysis>();
    for (const a of analysed.analyses ?? []) if (fresh.has(a.traceId)) byId.set(a.traceId, a);
    for (const a of written.analyses ?? []) byId.set(a.traceId, a);
    if (result.traceIds.every((id) => byId.has(id))) out.analyses = result.traceIds.map((id) => byId.get(id)!);
  }
  return out;
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
