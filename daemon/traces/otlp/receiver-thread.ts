// POST /v1/traces off the event loop: a body past a few kilobytes is decoded, converted and stored by receiveOtlp on a
// worker thread with its own connection to the SQLite file (a 100k-span body held the event loop 4.5 s as JSON and
// 7 s as protobuf). The worker runs the very receiveOtlp the inline path runs, so the stored rows, the partial-success
// answer and every refusal are the same; it answers after its commit, so the spans are durable before the 200.
// One worker, one body at a time (SQLite takes one writer at a time anyway), with a time and a heap limit.
import type { Transferable } from "node:worker_threads";
import { DatabaseBusyError } from "../../db.js";
import type { Span } from "../span.js";
import type { TraceStore } from "../store.js";
import { startWorker } from "../../worker-thread.js";
import { WorkerQueue } from "../../worker-queue.js";
import { otlpEncodingOf, OtlpRequestError, receiveOtlp, type OtlpEncoding, type OtlpReceipt } from "./receiver.js";

/**
 * Bodies below this many bytes are received inline: the main-thread cost passes ~20 ms at about 150 KB of OTLP/JSON and
 * 40 KB of OTLP/protobuf (decoded to objects, slower per byte) on a busy 2-core machine, and a body of a few spans (a
 * SimpleSpanProcessor's) costs well under a millisecond, less than the round trip to the worker.
 */
export const OTLP_INLINE_BYTES: Record<OtlpEncoding, number> = { json: 64 * 1024, protobuf: 16 * 1024 };

export interface OtlpReceiverLimits {
  /** Milliseconds the worker may spend on one body (decode, convert, store). */
  ms: number;
  /** The worker's V8 heap (old generation), MB. */
  heapMb: number;
  /** Bodies waiting behind the one being received; past this the request is refused with 503 (OTLP retries it). */
  waiting: number;
  /**
   * The worker stops after this long without a body (a later body starts a new one, ~0.1–0.3 s of low-priority CPU):
   * decoding a large body grows its heap (100k spans of JSON: ~1 GB), which V8 keeps until it next needs room, so
   * without a stop the daemon's RSS stayed up by that much for good. Longer than OTLP exporters' batch interval (the
   * BatchSpanProcessor's scheduledDelayMillis, 5 s by default), so a steady exporter keeps the worker it uses.
   */
  idleStopMs: number;
}

/**
 * The receiver's limits. 100k spans as gzip'd protobuf (29 MB inflated) took 26 s on the event loop at load 17 and up
 * to 54 s on the worker (a lower priority) while /healthz was probed back to back: the largest body the 64 MB limit
 * admits (~220k spans) fits the time budget at such a load, and one past it was not going to be stored in reasonable
 * time. The heap: 100k spans of JSON peak at ~1 GB.
 */
export const OTLP_RECEIVER_LIMITS: OtlpReceiverLimits = { ms: 180_000, heapMb: 2048, waiting: 8, idleStopMs: 10_000 };

export interface ReceiveJob {
  dbPath: string;
  maxAttributeChars: number;
  body: Uint8Array;
  contentType: string | undefined;
  /** Send the stored spans back (the main store has write listeners: the OTLP forwarder). */
  returnSpans: boolean;
}

export type ReceiveReply = { id: number } & (
  | { receipt: OtlpReceipt; spans?: Span[] }
  | { refused: { status: OtlpRequestError["status"]; message: string; code: string } }
  | { busy: string }
  | { error: string }
);

type Outcome = { receipt: OtlpReceipt; spans?: Span[] };

/** A queue with its worker (started on first use); tests make one with small limits. */
export function otlpReceiverQueue(limits: OtlpReceiverLimits = OTLP_RECEIVER_LIMITS) {
  const startLimitMs = 60_000;
  const queue = new WorkerQueue<ReceiveJob, Outcome, ReceiveReply>({
    start: () =>
      // The event loop answers other requests meanwhile: the worker runs 5 nice values below it (startWorker).
      startWorker(
        import.meta.url,
        "./otlp-receiver-worker.js",
        "./receiver-worker.ts",
        { resourceLimits: { maxOldGenerationSizeMb: limits.heapMb } },
        5,
      ),
    startLimitMs,
    idleStopMs: limits.idleStopMs,
    startTimeout: () => new Error(`the OTLP receiver worker did not start within ${startLimitMs / 1000} s`),
    startFailed: (e) => new Error(`the OTLP receiver worker could not start: ${e.message}`),
    stopped: (e) =>
      e && (e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY"
        ? new OtlpRequestError(
            413,
            `the OTLP body needed more than the receiver's ${limits.heapMb} MB of memory to decode; nothing of it was stored — send fewer spans per request`,
            "otlp_memory_limit",
          )
        : new Error(`the OTLP receiver worker stopped while receiving a body${e ? ` (${e.message})` : ""}`),
    budget: () => ({
      ms: limits.ms,
      error: () =>
        new OtlpRequestError(
          413,
          `decoding and storing the OTLP body took more than the receiver's ${limits.ms} ms; nothing of it was stored — send fewer spans per request`,
          "otlp_time_limit",
        ),
    }),
    result: (reply) => {
      if ("receipt" in reply) {
        const { response } = reply.receipt;
        // The answer's bytes come back as a Uint8Array (a cloned Buffer loses its class).
        const body = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength);
        return { receipt: { ...reply.receipt, response: { ...response, body } }, spans: reply.spans };
      }
      if ("refused" in reply)
        return new OtlpRequestError(reply.refused.status, reply.refused.message, reply.refused.code);
      if ("busy" in reply) return new DatabaseBusyError("receiving OTLP spans");
      return new Error(`receiving OTLP spans failed: ${reply.error}`);
    },
    transfer: (job) => [job.body.buffer as Transferable],
  });
  return {
    queue,
    /** receiveOtlp on the worker (see the module comment); the body's memory moves to the worker. */
    receive(store: TraceStore, dbPath: string, body: Buffer, contentType: string | undefined): Promise<OtlpReceipt> {
      if (queue.waiting >= limits.waiting)
        return Promise.reject(
          new OtlpRequestError(
            503,
            `the OTLP receiver has ${queue.waiting} large bodies waiting; retry in a few seconds`,
            "otlp_receiver_busy",
            { "retry-after": "5" },
          ),
        );
      // Only a buffer of its own moves (a small body may be a view into Node's shared pool): otherwise a copy does.
      const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
      return queue
        .run({
          dbPath,
          maxAttributeChars: store.maxAttributeChars,
          body: own,
          contentType,
          returnSpans: store.hasWriteListeners,
        })
        .then(({ receipt, spans }) => {
          if (spans) store.notifyWritten(spans, receipt.traceIds);
          return receipt;
        });
    },
  };
}

let shared: ReturnType<typeof otlpReceiverQueue> | undefined;

/**
 * POST /v1/traces's receiver: receiveOtlp inline for a small body (or an in-memory database, which a worker cannot
 * open), on the worker otherwise. The Content-Type is checked first either way (415 before anything moves).
 */
export function receiveOtlpBody(
  store: TraceStore,
  dbPath: string,
  body: Buffer,
  contentType: string | undefined,
): OtlpReceipt | Promise<OtlpReceipt> {
  const encoding = otlpEncodingOf(contentType);
  if (dbPath === "" || dbPath === ":memory:" || body.length < OTLP_INLINE_BYTES[encoding])
    return receiveOtlp(store, body, contentType);
  return (shared ??= otlpReceiverQueue()).receive(store, dbPath, body, contentType);
}
