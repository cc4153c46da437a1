// Trace reading routes: list, detail and analysis. Contract: api.ts "Traces". Imports: trace-import.ts; OTLP: otlp.ts.
import { open } from "node:fs/promises";
import { z } from "zod";
import type { AttributeCaps, TraceAnalysis, TraceDetail, TraceList } from "../../api.js";
import { analyzeTrace } from "../../traces/analysis/index.js";
import { analysisDirFor, dropWorkerJson, type WorkerJsonFile } from "../../traces/import/worker-json.js";
import {
  analyzeStored,
  RecentDocuments,
  storedDetail,
  type PrepareDetails,
  type WorkerJson,
} from "../../traces/import/job.js";
import type { TraceStore } from "../../traces/store.js";
import { detailJsonHead, detailOf } from "../../traces/view-caps.js";
import { readQuery } from "../query.js";
import { HttpError, type RequestContext, type Route } from "../route.js";

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  before: z.coerce.number().nonnegative().optional(),
  source: z.string().max(100).optional(),
});

/** A trace view's caps on long attributes (view-caps.ts); argumentChars defaults to attributeChars. */
const DetailQuery = z
  .object({
    attributeChars: z.coerce.number().int().min(1).max(1e9).optional(),
    argumentChars: z.coerce.number().int().min(1).max(1e9).optional(),
  })
  .refine((q) => q.argumentChars === undefined || q.attributeChars !== undefined, {
    message: "argumentChars is a cap on tool arguments beside attributeChars: give attributeChars too",
    path: ["argumentChars"],
  });

const TraceIdParam = z.string().regex(/^[0-9a-f]{32}$/, "a trace id is 32 lower-case hex characters");

function traceIdOf(ctx: RequestContext): string {
  const r = TraceIdParam.safeParse(ctx.params.id);
  if (r.success) return r.data;
  const message = `invalid trace id ${JSON.stringify(ctx.params.id)}: ${r.error.issues[0].message}`;
  throw new HttpError(400, message, "invalid_request_error", "invalid_trace_id", "id");
}

/** Per store: analyses computed by imports from the spans they parsed (no read-back for the first view). */
const recent = new WeakMap<TraceStore, RecentDocuments>();

/**
 * Per store: the details of large traces an import prepared or a GET read, kept for the next GET (a view opened again,
 * a second panel). Few: 100k spans are ~80 MB of file each (in the data dir's analyses/, emptied at start and stop).
 */
const details = new WeakMap<TraceStore, RecentDocuments>();
export const KEPT_DETAILS = 2;

function detailsOf(traces: TraceStore): RecentDocuments {
  let memo = details.get(traces);
  if (!memo) details.set(traces, (memo = new RecentDocuments(KEPT_DETAILS)));
  return memo;
}

/** A kept detail's entry: the trace and the caps it was cut to (its key is the trace's summary). */
function detailEntry(traceId: string, caps: AttributeCaps | undefined): string {
  return caps ? `${traceId}|${caps.chars}|${caps.argumentChars}` : `${traceId}|whole`;
}

/**
 * Traces of up to this many spans are analysed (and their detail read) on the event loop (~20–30 µs a span at load:
 * ~30 ms); larger ones on an import worker (analyzeStored, storedDetail), whose start, reads and copy back cost more
 * than that for a small trace.
 */
export const ANALYSIS_INLINE_SPANS = 1000;

/** Per store: analyses running on a worker, by trace and summary key: a second request for one waits for it. */
const analysing = new WeakMap<TraceStore, Map<string, Promise<WorkerJson>>>();

/**
 * Analyses (and details) of different large traces run this many at a time (one worker each: 100k spans take a few
 * hundred MB of heap), the next ones wait their turn; past ANALYSES_WAITING waiting, a request is refused with 503.
 */
export const ANALYSES_AT_ONCE = 2;
const ANALYSES_WAITING = 16;
let analysesRunning = 0;
const analysisTurns: (() => void)[] = [];

/** 503 when ANALYSES_WAITING large reads wait already (the client retries; none of them is lost). */
function refuseWhenManyWait(): void {
  if (analysisTurns.length >= ANALYSES_WAITING)
    throw new HttpError(
      503,
      `${analysisTurns.length} reads of large traces are waiting; retry in a few seconds`,
      "server_error",
      "analyses_busy",
      null,
      { "retry-after": "5" },
    );
}

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  // A finished analysis hands its place to the next waiting one (it stays counted), so none can slip in between.
  if (analysesRunning >= ANALYSES_AT_ONCE) await new Promise<void>((resolve) => analysisTurns.push(resolve));
  else analysesRunning++;
  try {
    return await work();
  } finally {
    const next = analysisTurns.shift();
    if (next) next();
    else analysesRunning--;
  }
}

function summaryKeyOf(t: { spanCount: number; startNs: number | string; endNs: number | string }): string {
  return `${t.spanCount}:${t.startNs}:${t.endNs}`;
}

function summaryKey(traces: TraceStore, traceId: string): string | undefined {
  const t = traces.getTrace(traceId);
  return t ? summaryKeyOf(t) : undefined;
}

/** Keeps what an import (or a worker) analysed, valid while the trace's summary is unchanged (`key`, default: now). */
export function rememberAnalyses(
  traces: TraceStore,
  analyses: { traceId: string; json: WorkerJson }[],
  key: (traceId: string) => string | undefined = (id) => summaryKey(traces, id),
): void {
  let memo = recent.get(traces);
  if (!memo) recent.set(traces, (memo = new RecentDocuments()));
  memo.put(analyses, key);
}

/**
 * Keeps the details an import is preparing (ImportedFile.details, as `prepare` asked) for the traces' next GET, valid
 * while each trace's summary is what it is now: a GET that comes first waits for its detail rather than reading it
 * again. Entries only for the traces it may prepare (the first `max` of more than `minSpans` spans): a file of many
 * traces would push the others' out.
 */
export function rememberDetails(
  traces: TraceStore,
  traceIds: string[],
  prepared: Promise<[string, WorkerJson][]>,
  prepare: PrepareDetails,
): void {
  const memo = detailsOf(traces);
  const byId = prepared.then((list) => new Map(list));
  const candidates = traceIds
    .map((id) => ({ id, summary: traces.getTrace(id) }))
    .filter(({ summary }) => summary !== undefined && summary.spanCount > prepare.minSpans)
    .slice(0, prepare.max);
  for (const { id, summary } of candidates) {
    // None prepared after all (a trace that kept spans from before): no entry, its GET reads it.
    const doc = byId.then((m) => m.get(id));
    const entry = detailEntry(id, prepare.caps);
    memo.keep(entry, summaryKeyOf(summary!), doc);
    void doc.then((json) => json === undefined && memo.drop(entry, doc));
  }
  // One prepared for no entry kept (it should not be) goes.
  const kept = new Set(candidates.map(({ id }) => id));
  void byId.then((m) => {
    for (const [id, json] of m) if (!kept.has(id)) dropWorkerJson(json);
  });
}

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/traces",
    handle(ctx, s) {
      const q = readQuery(ctx.url, ListQuery);
      const body: TraceList = { traces: s.traces.listTraces({ limit: q.limit, before: q.before, source: q.source }) };
      ctx.send(200, body);
    },
  },
  {
    method: "GET",
    path: "/hotpath/traces/:id",
    async handle(ctx, s) {
      const id = traceIdOf(ctx);
      const q = readQuery(ctx.url, DetailQuery);
      const caps: AttributeCaps | undefined =
        q.attributeChars === undefined
          ? undefined
          : { chars: q.attributeChars, argumentChars: q.argumentChars ?? q.attributeChars };
      const trace = s.traces.getTrace(id);
      const gone = () => new HttpError(404, `no trace ${id}`, "not_found_error", "trace_not_found", "id");
      if (!trace) throw gone();
      const dbPath = s.db.name;
      if (trace.spanCount <= ANALYSIS_INLINE_SPANS || dbPath === "" || dbPath === ":memory:") {
        const body: TraceDetail = detailOf(trace, s.traces.getSpans(id), caps);
        return ctx.send(200, body);
      }
      const memo = detailsOf(s.traces);
      // Prepared by the import, or read for an earlier GET, while the trace is unchanged; else read and serialised on
      // a worker (100k spans: 49 MB of JSON held the loop ~2 s), in turn with the analyses, and kept for the next GET.
      // Read again if its file went meanwhile (pushed out, the data dir cleared).
      await sendMadeAgain(`the detail of trace ${id}`, async () => {
        const summary = s.traces.getTrace(id);
        if (!summary) throw gone();
        const entry = detailEntry(id, caps);
        const key = summaryKeyOf(summary);
        const kept = memo.get(entry, key);
        // One being made by another GET or the import (which may have made none for this trace: undefined).
        let doc = kept;
        let detail = kept && (await Promise.resolve(kept).then(undefined, () => undefined));
        if (detail === undefined) {
          if (kept) memo.drop(entry, kept);
          refuseWhenManyWait();
          doc = inTurn(() =>
            storedDetail({
              dbPath,
              traceId: id,
              maxAttributeChars: s.traces.maxAttributeChars,
              workers: s.traceImports,
              analysisDir: analysisDirFor(dbPath),
              attributeCaps: caps,
            }),
          );
          memo.keep(entry, key, doc);
          try {
            detail = await doc;
          } catch (e) {
            memo.drop(entry, doc);
            throw e;
          }
          if (!detail) {
            memo.drop(entry, doc);
            throw gone();
          }
        }
        if (await sendWorkerJson(ctx, detail, detailJsonHead(summary))) return true;
        memo.drop(entry, doc);
        return false;
      });
    },
  },
  {
    method: "GET",
    path: "/hotpath/traces/:id/analysis",
    async handle(ctx, s) {
      const id = traceIdOf(ctx);
      // A kept analysis whose file went meanwhile (dropped for a newer one, the data dir cleared) is made again.
      await sendMadeAgain(`the analysis of trace ${id}`, async () => {
        const trace = s.traces.getTrace(id);
        if (!trace) throw new HttpError(404, `no trace ${id}`, "not_found_error", "trace_not_found", "id");
        const key = summaryKeyOf(trace);
        let json = await recent.get(s.traces)?.get(id, key);
        if (json === undefined) {
          const dbPath = s.db.name;
          if (trace.spanCount <= ANALYSIS_INLINE_SPANS || dbPath === "" || dbPath === ":memory:") {
            const body: TraceAnalysis = analyzeTrace(s.traces.getSpans(id), id);
            ctx.send(200, body);
            return true;
          }
          let running = analysing.get(s.traces);
          if (!running) analysing.set(s.traces, (running = new Map()));
          const job = `${id}/${key}`;
          let analysis = running.get(job);
          if (!analysis) {
            refuseWhenManyWait();
            analysis = inTurn(() =>
              analyzeStored({
                dbPath,
                traceId: id,
                maxAttributeChars: s.traces.maxAttributeChars,
                workers: s.traceImports,
                analysisDir: analysisDirFor(dbPath),
              }),
            ).finally(() => running.delete(job));
            // Kept for the next view while the trace is unchanged (the key from before it was read: spans that arrive
            // meanwhile change the key, and the next request analyses again).
            void analysis.then(
              (done) => rememberAnalyses(s.traces, [{ traceId: id, json: done }], () => key),
              () => undefined,
            );
            running.set(job, analysis);
          }
          json = await analysis;
        }
        if (await sendWorkerJson(ctx, json)) return true;
        recent.get(s.traces)?.drop(id);
        return false;
      });
    },
  },
];

/**
 * Sends what `attempt` makes and sends — false when its file was gone before it could be sent (nothing was sent) —
 * making it again up to twice more; then a 500 naming `what`.
 */
async function sendMadeAgain(what: string, attempt: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3; i++) if (await attempt()) return;
  throw new HttpError(500, `${what} was deleted before it could be sent; retry`);
}

/**
 * Sends a worker's document (an analysis or a trace's detail): bytes as they are, a file streamed from disk (the
 * daemon's thread never holds its megabytes). False when the file is gone (dropped meanwhile): nothing was sent.
 * With `head` (a detail's, view-caps.ts detailJsonHead), the document's JSON after its first character follows it.
 */
async function sendWorkerJson(ctx: RequestContext, json: WorkerJson, head?: string): Promise<boolean> {
  const front = head === undefined ? undefined : Buffer.from(head);
  if (json instanceof Uint8Array) {
    sendJson(ctx, front ? Buffer.concat([front, json.subarray(1)]) : json);
    return true;
  }
  return sendJsonFile(ctx, json, front);
}

/**
 * A file sent through one buffer of ANALYSIS_CHUNK_BYTES, read into again once the socket has taken what it held: the
 * daemon's thread allocates no more for it however large it is (a read stream's new buffer per chunk would be the same
 * megabytes of memory outside V8's heap, counted toward its limit, that keeping the analysis was).
 */
async function sendJsonFile(ctx: RequestContext, json: WorkerJsonFile, front?: Buffer): Promise<boolean> {
  let file;
  try {
    file = await open(json.file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  const { res } = ctx;
  // A client that stops reading holds the write below (and this file) until the request's timeout or its going away
  // ends the request: the response is then cut off, which lets both go.
  const cutOff = () => res.destroy();
  ctx.signal.addEventListener("abort", cutOff, { once: true });
  try {
    const { size } = await file.stat();
    // In front: the file's first character is replaced by it (see sendWorkerJson).
    const skip = front ? 1 : 0;
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": size - skip + (front?.length ?? 0),
    });
    if (front) res.write(front);
    const buffer = Buffer.allocUnsafeSlow(Math.min(size, ANALYSIS_CHUNK_BYTES));
    let at = skip;
    while (at < size && !res.destroyed) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - at), at);
      if (bytesRead === 0) break; // the file is shorter than it was: the answer is cut short (below)
      at += bytesRead;
      // Called once the socket has taken the bytes (or failed): the buffer is free again.
      await new Promise<void>((resolve) => res.write(buffer.subarray(0, bytesRead), () => resolve()));
    }
    if (at === size) res.end();
    else res.destroy();
  } finally {
    ctx.signal.removeEventListener("abort", cutOff);
    await file.close();
  }
  return true;
}

/** See sendJsonFile. */
const ANALYSIS_CHUNK_BYTES = 1 << 20;

/**
 * ctx.send for a body that is UTF-8 JSON already (a large trace's analysis or detail: megabytes, neither stringified
 * nor copied again on this thread).
 */
function sendJson(ctx: RequestContext, json: Uint8Array): void {
  ctx.res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": json.byteLength });
  ctx.res.end(Buffer.from(json.buffer, json.byteOffset, json.byteLength));
}
