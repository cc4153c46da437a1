// The daemon's side of trace-file imports: each file is parsed, stored and analyzed in worker threads with their own
// connection to the SQLite file, so a 100k-span import (seconds of parsing and writing) never holds the event loop.
// The file's bytes go to the parsing thread as they arrive (the daemon's thread neither gathers nor copies the whole
// upload). A large file is parsed once and its span rows go from the parsing thread to a second thread that writes
// them, while the parsing thread analyses the spans it parsed: the SQLite write and the analysis overlap.
// An in-memory database cannot be shared with a worker: those imports run in-process.
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import type { AttributeCaps } from "../../api.js";
import { DatabaseBusyError } from "../../db.js";
import { ImportError, type FileImport } from "../importers/index.js";
import type { Span } from "../span.js";
import type { TraceStore } from "../store.js";
import { importAndAnalyze } from "./analyzed.js";
import { dropWorkerJson, jsonBytes, type WorkerJson } from "./worker-json.js";
import type { PackedRows } from "./rows.js";
import { keepBlock, MAX_BLOCKS_AHEAD, takeBlock } from "./upload-blocks.js";
import { startImportWorker, type ImportWorkers } from "./workers.js";

/** From this size on, the parse and the SQLite write run on two threads (below it, a second thread costs more). */
export const SPLIT_IMPORT_BYTES = 2 * 1024 * 1024;

/** Whether an import of this many bytes (undefined: not known up front) runs on two workers. */
export function splitsImport(bytes: number | undefined): boolean {
  return bytes === undefined || bytes >= SPLIT_IMPORT_BYTES;
}

export interface ImportJob {
  /**
   * import: parse, write, analyze; parse: parse, send rows to the store thread, analyze; store: write the rows;
   * analyze: read a stored trace (`traceId`) back and analyze it (a trace received over OTLP, see analyzeStored);
   * detail: read a stored trace back as api.ts TraceDetail JSON (storedDetail).
   */
  role: "import" | "parse" | "store" | "analyze" | "detail";
  dbPath: string;
  name: string;
  /** The file's size when known (the receiving buffer is sized once). */
  sizeHint?: number;
  analyze: boolean;
  maxAttributeChars?: number;
  /** Send the parsed spans back (the main store has write listeners, e.g. the OTLP forwarder). */
  returnSpans: boolean;
  /** parse → store: the rows to write (RowMessage). */
  rowPort?: MessagePort;
  /** analyze: the stored trace. */
  traceId?: string;
  /**
   * Analyses, and a detail job's TraceDetail, are written to files here (worker-json.ts WorkerJsonFile) instead of
   * handed over as bytes.
   */
  analysisDir?: string;
  /**
   * The worker waits for another job once this one succeeded (ImportWorkers.reuse); without it, it ends. Only workers
   * from an ImportWorkers are told so: that ends or keeps them.
   */
  reuse?: boolean;
  /** A worker told to wait (reuse) lets go of this job's memory once it has waited this long (worker.ts collectIdle). */
  idleCollectMs?: number;
  /** detail: long attributes cut to these (view-caps.ts). */
  attributeCaps?: AttributeCaps;
  /**
   * parse (with `analysisDir`): after its answer, the thread writes the detail a trace view will ask for of each large
   * trace it parsed (PreparedDetails), and only then takes a next job.
   */
  prepareDetails?: PrepareDetails;
}

/**
 * Which traces' details an import prepares: of at most `max` traces of more than `minSpans` spans each (in the order
 * they first appear), cut to `caps`.
 */
export interface PrepareDetails {
  caps: AttributeCaps;
  minSpans: number;
  max: number;
}

/**
 * The thread that parsed → the daemon's thread, after its ImportReply when asked (ImportJob.prepareDetails): per trace
 * id, its detail as it will read back once stored — view-caps.ts detailBody's JSON, without the trace's summary, which
 * the daemon puts in front as it sends it. Sent (maybe empty) whenever asked, also when writing one failed.
 */
export type PreparedDetails = { prepared: [string, WorkerJson][] };

/** What a waiting worker let go of (worker.ts collectIdle): its heap in use before and after, and its kept buffers. */
export interface IdleCollection {
  heapBytesBefore: number;
  heapBytesAfter: number;
  /** The bytes of the buffers it had kept for a next job (the file's, the rows'). */
  keptBytes: number;
}

/** A waiting worker → the daemon's thread, once it let go of its last job's memory. */
export type IdleCollected = { idleCollected: IdleCollection };

/**
 * The daemon's thread → a worker, first: its import (a worker may be started before its import, see workers.ts); to a
 * worker waiting after a job (ImportJob.reuse): its next job, or `end` (it ends once done with the last one).
 */
export type JobMessage = { job: ImportJob } | { end: true };

/** The daemon's thread → the thread that parses: the file's bytes, then its end. */
export type FileMessage = { chunk: Uint8Array } | { end: true };

/**
 * The thread that parses → the daemon's thread, besides its ImportReply: `ack` blocks parsed (the upload reads on
 * while few are waiting), and `spare`, a block it is done with (the whole buffer), to be filled again. Fresh memory is
 * dear: on the 2-core VMs this runs on, a page's first touch costs ~6 ms per MB, and copying the upload into new
 * blocks cost the event loop ~0.4 s of CPU per 64 MB.
 */
export type BlockAck = { ack: number; spare?: Uint8Array };

/** The parsing thread → the store thread, in this order: begin, (rows…, endTrace) per parsed trace, end. */
export type RowMessage =
  | { begin: { spanCount: number } }
  | { rows: PackedRows }
  | { endTrace: { source: string; origin?: string; name?: string } }
  | { end: true };

/** The store thread → the parsing thread: rows it has written, whose buffers can be packed again (see packRows). */
export type SpareRowsMessage = { spare: PackedRows };

export type ImportReply =
  | {
      ok: true;
      /**
       * From the thread that wrote: the traces; those that read back as parsed (new ones, and ones this file replaced
       * whole: ImportWriter.replacedWhole); the analyses of the others (read back).
       */
      written?: { traceIds: string[]; asParsed: string[]; analyses: [string, WorkerJson][] };
      /** From the thread that parsed: per trace id its analysis (all traces, as if new). */
      parsed?: { format: string; spanCount: number; analyses?: [string, WorkerJson][]; spans?: Span[] };
      /** From an analyze job: the stored trace's analysis. */
      analysis?: WorkerJson;
      /** From a detail job: the stored trace's TraceDetail as UTF-8 JSON (bytes or file); absent when it is gone. */
      detail?: WorkerJson;
    }
  | { ok: false; importError: { message: string; field?: string } }
  | { ok: false; encoding: true }
  | { ok: false; busy: true; message: string }
  | { ok: false; message: string };

/** What an import stored, with each trace's analysis, in traceIds order. */
export interface ImportedFile extends FileImport {
  analyses?: WorkerJson[];
  /**
   * When asked for (ImportOptions.prepareDetails) and the import ran on two threads: the details the parsing thread
   * prepared after the import's answer, of those traces that read back as parsed (the rest are dropped): each is
   * view-caps.ts detailBody's JSON (PreparedDetails). Never rejects.
   */
  details?: Promise<[string, WorkerJson][]>;
}

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

/** A worker that ended without answering. */
class WorkerExitError extends Error {
  constructor(readonly code: number) {
    super(`the trace import worker exited (code ${code}) before answering`);
  }
}

/**
 * Runs one worker (a waiting one from `workers`, or a new one) on `job`; `stop` ends it early (its answer is no longer
 * needed, or the import failed); `done` hands a worker whose job and import succeeded back to `workers` for the next
 * job (see ImportWorkers.reuse), or ends it. After either, the other does nothing.
 */
function runWorker(
  job: ImportJob,
  workers: ImportWorkers | undefined,
  onAck?: (m: BlockAck) => void,
): {
  worker: Worker;
  reply: Promise<ImportReply>;
  /** The details prepared after the reply (ImportJob.prepareDetails; none when not asked or the worker failed). */
  prepared: Promise<[string, WorkerJson][]>;
  stop: () => void;
  done: () => void;
} {
  const worker: Worker = workers?.take(job.role) ?? startImportWorker();
  worker.postMessage(
    { job: { ...job, reuse: workers !== undefined, idleCollectMs: workers?.idleCollectMs } } satisfies JobMessage,
    job.rowPort ? [job.rowPort] : [],
  );
  let settled = false;
  let ok = false;
  let over = false;
  let detach = () => {};
  let exited = false;
  let preparedNow!: (p: [string, WorkerJson][]) => void;
  const prepared = new Promise<[string, WorkerJson][]>((resolve) => (preparedNow = resolve));
  const preparing = job.role === "parse" && job.prepareDetails !== undefined && job.analysisDir !== undefined;
  const reply = new Promise<ImportReply>((resolve, reject) => {
    const onMessage = (m: ImportReply | BlockAck | PreparedDetails) => {
      if ("ack" in m) return onAck?.(m);
      if ("prepared" in m) {
        worker.off("message", onMessage);
        return preparedNow(m.prepared);
      }
      settled = true;
      ok = m.ok;
      // A worker that prepares details says so after its answer (and ended one that failed: nothing comes).
      if (!preparing || !ok) {
        worker.off("message", onMessage);
        preparedNow([]);
      }
      resolve(m);
    };
    const onError = (e: Error) => {
      settled = true;
      ok = false;
      preparedNow([]);
      reject(e);
    };
    const onExit = (code: number) => {
      ok = false;
      exited = true;
      preparedNow([]);
      if (!settled) reject(new WorkerExitError(code));
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.once("exit", onExit);
    detach = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
  });
  reply.catch(() => undefined); // awaited by the caller, or not needed once another worker failed
  return {
    worker,
    reply,
    prepared,
    stop: () => {
      if (over) return;
      over = true;
      void worker.terminate(); // an answer not yet given rejects (exit)
    },
    done: () => {
      if (over) return;
      over = true;
      if (!workers) return; // not told to wait for another job: it ends once done
      if (!ok) return void worker.terminate();
      // One that prepares details is handed out again once it has (its next job would wait behind them).
      void prepared.then(() => {
        detach();
        if (!exited) workers.reuse(worker, job.role);
      });
    },
  };
}

/** The reply's failure as the error an import rejects with. */
function failure(reply: Exclude<ImportReply, { ok: true }>, name: string): Error {
  if ("importError" in reply) return new RemoteImportError(reply.importError.message, reply.importError.field);
  if ("busy" in reply) return new DatabaseBusyError(`importing ${name}`);
  if ("encoding" in reply) return new EncodingError(`${name}: not UTF-8 text; trace files are JSON or JSON Lines`);
  return new Error(reply.message);
}

/** An import under way: push the file's bytes as they arrive, then end (or abort). */
export interface ImportFeed {
  /**
   * The file's next bytes. False when the parse is MAX_BLOCKS_AHEAD blocks behind: read no more until `onCaughtUp`'s
   * callback runs (the upload's memory stays bounded and is reused, instead of all of it waiting in new blocks).
   */
  push(chunk: Uint8Array): boolean;
  /** Calls `f` once the parse has caught up (at once if it has), or the import has ended. */
  onCaughtUp(f: () => void): void;
  end(): void;
  /** The upload failed: stops the workers (nothing is stored); the result rejects with `e`. */
  abort(e: Error): void;
  /** Rejects with EncodingError, RemoteImportError/ImportError (bad file), DatabaseBusyError or Error. */
  result: Promise<ImportedFile>;
}

export interface ImportOptions {
  dbPath: string;
  name: string;
  analyze: boolean;
  maxAttributeChars?: number;
  /** The file's size when known up front (a request's content-length). */
  sizeHint?: number;
  /** Two workers or one (default: splitsImport(sizeHint)). */
  split?: boolean;
  /** Workers started ahead of the import (the daemon's); without it, each import starts its own. */
  workers?: ImportWorkers;
  /** Where the workers write the analyses (see WorkerJsonFile); without it, they come as bytes. */
  analysisDir?: string;
  /**
   * Details for the trace views to prepare after the answer (ImportedFile.details): only on two threads and with
   * `analysisDir` (each is a file there).
   */
  prepareDetails?: PrepareDetails;
}

/** Starts importing one file whose bytes arrive in pieces (an upload). */
export function startImport(store: TraceStore, o: ImportOptions): ImportFeed {
  if (o.dbPath === ":memory:" || o.dbPath === "") return inProcess(store, o);
  // Details are files in analysisDir: without one, none are prepared.
  const prepareDetails = o.analysisDir !== undefined ? o.prepareDetails : undefined;
  const base = {
    dbPath: o.dbPath,
    name: o.name,
    sizeHint: o.sizeHint,
    analyze: o.analyze,
    maxAttributeChars: o.maxAttributeChars,
    returnSpans: store.hasWriteListeners,
    analysisDir: o.analysisDir,
  };
  /** Blocks sent and not yet parsed. */
  let ahead = 0;
  let settled = false;
  let caughtUp: (() => void) | undefined;
  const behind = () => !settled && ahead >= MAX_BLOCKS_AHEAD;
  const checkCaughtUp = () => {
    if (!caughtUp || behind()) return;
    const f = caughtUp;
    caughtUp = undefined;
    f();
  };
  const onSpare = (m: BlockAck) => {
    ahead -= m.ack;
    if (m.spare) keepBlock(m.spare);
    checkCaughtUp();
  };
  let parser: ReturnType<typeof runWorker>;
  let writer: ReturnType<typeof runWorker> | undefined;
  if (o.split ?? splitsImport(o.sizeHint)) {
    const { port1, port2 } = new MessageChannel();
    writer = runWorker({ ...base, role: "store", rowPort: port2, returnSpans: false }, o.workers);
    parser = runWorker({ ...base, role: "parse", rowPort: port1, prepareDetails }, o.workers, onSpare);
  } else parser = runWorker({ ...base, role: "import" }, o.workers, onSpare);
  let aborted: Error | undefined;
  const stopAll = () => {
    parser.stop();
    writer?.stop();
  };
  let succeeded = false;
  const result = (async (): Promise<ImportedFile> => {
    // The first failure wins: a parse error stops the writer before it commits, a write error the parser.
    const failed = (r: ImportReply) => {
      if (r.ok) return r;
      stopAll();
      throw failure(r, o.name);
    };
    const [parsedReply, writtenReply] = await Promise.all([
      parser.reply.then(failed),
      writer ? writer.reply.then(failed) : undefined,
    ]).catch(async (e) => {
      // A parse that fails closes the row channel, and the store thread, with nothing left to wait for, ends without
      // answering: its exit can reach this thread before the parse's answer. The parse's answer says what happened
      // (a bad file is a 400, not a worker that stopped).
      if (!aborted && e instanceof WorkerExitError && e.code === 0) await parser.reply.then(failed);
      stopAll();
      throw aborted ?? e;
    });
    const parsed = parsedReply.parsed!;
    const written = (writtenReply ?? parsedReply).written!;
    if (parsed.spans) store.notifyWritten(parsed.spans, written.traceIds);
    const out: ImportedFile = {
      file: o.name,
      format: parsed.format,
      traceIds: written.traceIds,
      spanCount: parsed.spanCount,
    };
    if (o.analyze) {
      // A trace new to the store, or replaced whole: the analysis of the parsed spans; one that kept spans from
      // before: the writer's, read back.
      const asParsed = writer ? new Set(written.asParsed) : undefined;
      const byId = new Map<string, WorkerJson>();
      for (const [id, json] of parsed.analyses ?? []) if (!asParsed || asParsed.has(id)) byId.set(id, json);
      for (const [id, json] of written.analyses) byId.set(id, json);
      // An analysis that failed (it should not) is left out: the trace's analysis is computed when first asked for.
      if (written.traceIds.every((id) => byId.has(id))) out.analyses = written.traceIds.map((id) => byId.get(id)!);
    }
    // What the parsing thread analysed of a trace the writer read back, and all of them when one is missing.
    const kept = new Set(out.analyses);
    for (const r of [parsedReply, writtenReply])
      for (const json of analysesOf(r)) if (!kept.has(json)) dropWorkerJson(json);
    if (writer && prepareDetails) {
      // As the analyses: a trace that kept spans from before reads back otherwise than parsed.
      const asParsed = new Set(written.asParsed);
      out.details = parser.prepared.then((details) => {
        for (const [id, json] of details) if (!asParsed.has(id)) dropWorkerJson(json);
        return details.filter(([id]) => asParsed.has(id));
      });
    }
    succeeded = true;
    return out;
  })().finally(() => {
    settled = true; // an upload that waits for the parse reads on (the rest is dropped)
    checkCaughtUp();
    // Both threads answered and the import stored: they wait for their next jobs. Any failure ended both (stopAll).
    if (succeeded && !aborted) {
      parser.done();
      writer?.done();
    } else {
      stopAll();
      // An import that failed keeps no analysis: what a thread wrote before the other failed goes.
      for (const w of [parser, writer])
        void w?.reply.then(
          (r) => analysesOf(r).forEach(dropWorkerJson),
          () => undefined,
        );
      void parser.prepared.then((details) => details.forEach(([, json]) => dropWorkerJson(json)));
    }
    o.workers?.used();
  });
  // An upload that failed (client gone, body refused) is answered from that failure, and nobody awaits the result: its
  // rejection unhandled stopped the daemon (Node's default for unhandled rejections).
  result.catch(() => undefined);
  // The bytes go over in blocks (upload-blocks.ts), each a copy the worker owns (a chunk may be a view of a larger
  // buffer), transferred without another (a last, partial block as a view of its buffer). Blocks come back once parsed
  // (what the parse keeps, it copies) and are filled again, by this upload or the next.
  /** The block being filled; none once the upload ended or stopped (it went back: giveBack). */
  let block: Uint8Array | undefined = takeBlock();
  let filled = 0;
  const flush = () => {
    if (!filled || !block) return;
    const own = filled === block.length ? block : block.subarray(0, filled);
    parser.worker.postMessage({ chunk: own } satisfies FileMessage, [own.buffer as ArrayBuffer]);
    ahead++;
    block = takeBlock();
    filled = 0;
  };
  const giveBack = () => {
    if (block) keepBlock(block);
    block = undefined;
  };
  return {
    push: (chunk) => {
      for (let at = 0; block && at < chunk.length;) {
        const n = Math.min(chunk.length - at, block.length - filled);
        block.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === block.length) flush();
      }
      return !behind();
    },
    onCaughtUp: (f) => {
      caughtUp = f;
      checkCaughtUp();
    },
    end: () => {
      flush();
      giveBack(); // not filled: the next import's first
      parser.worker.postMessage({ end: true } satisfies FileMessage);
    },
    abort: (e) => {
      aborted = e;
      giveBack(); // what it holds of the upload is dropped
      stopAll();
    },
    result,
  };
}

/**
 * A stored trace's analysis, read back and computed on an import worker (a waiting one from `workers`: its bundle holds
 * the analysis and is compiled already), so a large trace never holds the event loop: 100k spans received over OTLP
 * held it 3.2–3.5 s at load 4 when analysed on it. The bytes are sent as they are.
 */
export async function analyzeStored(o: StoredTrace): Promise<WorkerJson> {
  const r = await readStored("analyze", o);
  if (r.analysis === undefined) throw new Error(`the analysis of trace ${o.traceId} did not come back`);
  return r.analysis;
}

/**
 * A stored trace's TraceDetail (api.ts) as UTF-8 JSON, read and serialised on an import worker (100k spans: 49 MB of
 * JSON, which held the event loop ~2 s); undefined when the trace is gone. With `analysisDir` it is a file there, which
 * the caller deletes once sent (dropWorkerJson): 100k Claude Code spans are ~78 MB of it, and as bytes moved to the
 * daemon's thread they set off a full collection of its heap there (/healthz waited 47–90 ms, 4 of 4 reads).
 */
export async function storedDetail(o: StoredTrace): Promise<WorkerJson | undefined> {
  return (await readStored("detail", o)).detail;
}

export interface StoredTrace {
  dbPath: string;
  traceId: string;
  maxAttributeChars?: number;
  workers?: ImportWorkers;
  /** The analysis, or the detail, is written to a file here (see WorkerJsonFile). */
  analysisDir?: string;
  /** detail: long attributes cut to these (view-caps.ts). */
  attributeCaps?: AttributeCaps;
}

async function readStored(role: "analyze" | "detail", o: StoredTrace): Promise<Extract<ImportReply, { ok: true }>> {
  const { reply, done, stop } = runWorker(
    {
      role,
      dbPath: o.dbPath,
      name: o.traceId,
      traceId: o.traceId,
      analyze: role === "analyze",
      maxAttributeChars: o.maxAttributeChars,
      returnSpans: false,
      analysisDir: o.analysisDir,
      attributeCaps: o.attributeCaps,
    },
    o.workers,
  );
  try {
    const r = await reply;
    if (!r.ok)
      throw "busy" in r
        ? new DatabaseBusyError(`reading trace ${o.traceId}`)
        : new Error(`reading trace ${o.traceId} failed: ${"message" in r ? r.message : "the worker could not"}`);
    done();
    return r;
  } finally {
    stop(); // (after done: nothing)
    o.workers?.used();
  }
}

/** Every analysis in a worker's reply. */
function analysesOf(r: ImportReply | undefined): WorkerJson[] {
  if (!r?.ok) return [];
  return [
    ...(r.parsed?.analyses ?? []).map(([, json]) => json),
    ...(r.written?.analyses ?? []).map(([, json]) => json),
    ...(r.analysis ? [r.analysis] : []),
  ];
}

/** An in-memory database: the import runs on this thread once the bytes are all there. */
function inProcess(store: TraceStore, o: ImportOptions): ImportFeed {
  const chunks: Uint8Array[] = [];
  let done!: (bytes: Uint8Array) => void;
  let fail!: (e: Error) => void;
  const bytes = new Promise<Uint8Array>((res, rej) => ((done = res), (fail = rej)));
  const result = bytes.then((b): ImportedFile => {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      throw new EncodingError(`${o.name}: not UTF-8 text; trace files are JSON or JSON Lines`);
    }
    const r = importAndAnalyze(store, o.name, text, { analyze: o.analyze });
    const { analyses, ...rest } = r;
    return analyses ? { ...rest, analyses: analyses.map(jsonBytes) } : rest;
  });
  result.catch(() => undefined); // as in startImport: an aborted upload's result is not awaited
  return {
    push: (c) => {
      chunks.push(new Uint8Array(c));
      return true;
    },
    onCaughtUp: (f) => f(),
    end: () => done(Buffer.concat(chunks)),
    abort: (e) => fail(e),
    result,
  };
}

/** Imports one file's bytes (see startImport). */
export function importFile(store: TraceStore, o: ImportOptions & { bytes: Uint8Array }): Promise<ImportedFile> {
  const feed = startImport(store, { sizeHint: o.bytes.length, ...o });
  for (let i = 0; i < o.bytes.length; i += 1 << 20) feed.push(o.bytes.subarray(i, i + (1 << 20)));
  feed.end();
  return feed.result;
}

/** A kept document, or one being made (resolving to undefined when there is none: its trace went). */
export type KeptJson = WorkerJson | Promise<WorkerJson | undefined>;

/**
 * Documents of traces kept for their next GET, one per entry (an analysis: its trace; a detail: its trace and caps):
 * the analyses of just-imported traces, so the first GET …/analysis after an import needs no read-back; the details an
 * import prepared or a GET read (routes/traces.ts). An entry holds only while its key — the trace's summary (span
 * count and extent) — is unchanged: spans added since make it compute afresh.
 */
export class RecentDocuments {
  private readonly byEntry = new Map<string, { key: string; doc: KeptJson }>();

  constructor(private readonly max = 16) {}

  /**
   * Each trace's document (kept as it came: bytes or a file, sent as they are, never parsed on the event loop). One
   * replaced, dropped for room or whose trace is gone is dropped (its file deleted).
   */
  put(docs: { traceId: string; json: WorkerJson }[], summaryKey: (traceId: string) => string | undefined): void {
    for (const { traceId, json } of docs) {
      const key = summaryKey(traceId);
      if (key === undefined) dropWorkerJson(json);
      else this.keep(traceId, key, json);
    }
  }

  /** Keeps `doc` (or what it resolves to) as the entry's, for `key`. */
  keep(entry: string, key: string, doc: KeptJson): void {
    const old = this.byEntry.get(entry);
    this.byEntry.delete(entry); // set again below: the most recent
    if (old && old.doc !== doc) dropKept(old.doc);
    this.byEntry.set(entry, { key, doc });
    if (this.byEntry.size > this.max) this.drop(this.byEntry.keys().next().value!);
  }

  /** The entry's document, while its key is unchanged (one kept for an earlier key is dropped). */
  get(entry: string, key: string): KeptJson | undefined {
    const hit = this.byEntry.get(entry);
    if (hit?.key === key) return hit.doc;
    this.drop(entry);
    return undefined;
  }

  /** Forgets the entry's document and deletes its file (if it still has one); only `doc` when given. */
  drop(entry: string, doc?: KeptJson): void {
    const old = this.byEntry.get(entry);
    if (!old || (doc !== undefined && old.doc !== doc)) return;
    this.byEntry.delete(entry);
    dropKept(old.doc);
  }
}

/** A kept document's file goes, once it is made when it is being made. */
function dropKept(doc: KeptJson): void {
  if (doc instanceof Promise)
    void doc.then(
      (json) => json && dropWorkerJson(json),
      () => undefined,
    );
  else dropWorkerJson(doc);
}

export { ImportError, type WorkerJson };
