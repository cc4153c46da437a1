// The worker side of POST /v1/traces for large bodies (see receiver-thread.ts): receiveOtlp on this thread's own
// connection to the daemon's SQLite file, one body at a time, answering after the commit.
import { parentPort } from "node:worker_threads";
import { DatabaseBusyError, isBusy, openDb, type Db } from "../../db.js";
import type { Span } from "../span.js";
import { TraceStore } from "../store.js";
import { OtlpRequestError, receiveOtlp } from "./receiver.js";
import type { ReceiveJob, ReceiveReply } from "./receiver-thread.js";

const port = parentPort!;

/**
 * The connection is kept between bodies (an exporter sends one after another) for the worker's life: the queue stops
 * an idle worker (receiver-thread.ts, idleStopMs), and better-sqlite3 closes its connections as the thread ends.
 */
let open: { dbPath: string; maxAttributeChars: number; db: Db; store: TraceStore } | undefined;

function close(): void {
  try {
    open?.db.close();
  } catch {
    // Closing only gives the file back: nothing is pending on a connection that answered.
  }
  open = undefined;
}

function storeFor(job: ReceiveJob): TraceStore {
  if (open && (open.dbPath !== job.dbPath || open.maxAttributeChars !== job.maxAttributeChars)) close();
  if (!open) {
    const db = openDb(job.dbPath);
    const store = new TraceStore(db, { maxAttributeChars: job.maxAttributeChars });
    open = { dbPath: job.dbPath, maxAttributeChars: job.maxAttributeChars, db, store };
  }
  return open.store;
}

port.on("message", (job: ReceiveJob & { id: number }) => {
  let reply: ReceiveReply;
  try {
    const store = storeFor(job);
    const written: Span[][] = [];
    const stopListening = job.returnSpans ? store.onWrite((spans) => void written.push(spans)) : undefined;
    try {
      const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
      const receipt = receiveOtlp(store, body, job.contentType);
      reply = { id: job.id, receipt, spans: job.returnSpans ? written.flat() : undefined };
    } finally {
      stopListening?.();
    }
  } catch (e) {
    reply =
      e instanceof OtlpRequestError
        ? { id: job.id, refused: { status: e.status, message: e.message, code: e.code } }
        : e instanceof DatabaseBusyError || isBusy(e)
          ? { id: job.id, busy: (e as Error).message }
          : { id: job.id, error: (e as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
