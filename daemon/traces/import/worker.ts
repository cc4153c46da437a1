// Worker thread: parses, stores and (optionally) analyzes one trace file on its own SQLite connection, so the
// daemon's event loop keeps answering while a 100k-span file imports (see ./job.ts).
import { parentPort, workerData } from "node:worker_threads";
import { DatabaseBusyError, openDb } from "../../db.js";
import { ImportError } from "../importers/index.js";
import type { Span } from "../span.js";
import { TraceStore } from "../store.js";
import { importAndAnalyze } from "./analyzed.js";
import type { ImportJob, ImportReply } from "./job.js";

const job = workerData as ImportJob;
let reply: ImportReply;
try {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(job.bytes));
  const db = openDb(job.dbPath);
  try {
    const store = new TraceStore(db, { maxAttributeChars: job.maxAttributeChars });
    const spans: Span[] = [];
    if (job.returnSpans)
      store.onWrite((written) => {
        for (const w of written) spans.push(w);
      });
    reply = {
      ok: true,
      result: importAndAnalyze(store, job.name, text, { analyze: job.analyze }),
      ...(job.returnSpans ? { spans } : {}),
    };
  } finally {
    db.close();
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
