// Worker thread: checkpoints the daemon's WAL on its own SQLite connection when the daemon asks (see db-checkpoint.ts),
// so copying pages back into the database file and its fsyncs happen off the event loop, never inside a request's
// commit.
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import type { CheckpointJob, CheckpointMessage } from "./db-checkpoint.js";

const job = workerData as CheckpointJob;
const db = new Database(job.file, { fileMustExist: true });
// PASSIVE never waits for a lock: a checkpoint that finds readers or a writer copies what it can and is asked again.
parentPort!.on("message", (m: CheckpointMessage) => {
  if (m === "close") {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or interrupted: the next request (or the main connection's backstop) catches up.
  }
});
