// WAL checkpoints off the request path. SQLite checkpoints inside the commit that crosses wal_autocheckpoint pages: one
// request in ~100 paid for copying ~1,000 pages back and two fsyncs (the daemon's p99). Here a worker thread with its
// own connection checkpoints (PASSIVE) a moment after writes, and the main connection's own automatic checkpoint stays
// as a backstop at a larger size, should the worker fall behind or fail. Durability is unchanged: a commit is in the
// WAL before it returns, as before.
import type { Worker } from "node:worker_threads";
import { commitCount, type Db } from "./db.js";
import { startWorker } from "./worker-thread.js";

export interface CheckpointJob {
  file: string;
}
export type CheckpointMessage = "checkpoint" | "close";

/** How often the worker is asked to checkpoint, when anything was committed since the last time. */
const CHECKPOINT_EVERY_MS = 250;
/** The main connection's own automatic checkpoint, in pages (SQLite's default: 1,000): ~16 MB of WAL. */
export const BACKSTOP_PAGES = 4000;
const SQLITE_DEFAULT_PAGES = 1000;

export interface Checkpointer {
  /** Stops asking and closes the worker's connection (before the database closes). */
  close(): Promise<void>;
}

export function checkpointOffThread(db: Db, file: string, log: (message: string) => void): Checkpointer {
  let worker: Worker | undefined = startWorker(
    import.meta.url,
    "./db-checkpoint-worker.js",
    "./db-checkpoint-worker.ts",
    {
      workerData: { file } satisfies CheckpointJob,
    },
  );
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const fallBack = (why: string) => {
    if (!worker) return;
    worker = undefined;
    clearInterval(timer);
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    log(`WAL checkpoints run in the commits again: ${why}`);
  };
  worker.on("error", (e) => fallBack(`the checkpoint worker failed (${e.message})`));
  worker.on("exit", (code) => fallBack(`the checkpoint worker exited (code ${code})`));
  let asked = commitCount(db);
  const timer = setInterval(() => {
    const commits = commitCount(db);
    if (commits === asked) return;
    asked = commits;
    worker?.postMessage("checkpoint" satisfies CheckpointMessage);
  }, CHECKPOINT_EVERY_MS);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      const w = worker;
      worker = undefined;
      if (!w) return;
      // Ref'd while closing: with the worker and the wait both unref'd, a process with nothing else left (a daemon
      // whose port was taken, one told to stop) ended here, mid-shutdown, with code 0 and its daemon.json left behind.
      w.ref();
      const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
      w.postMessage("close" satisfies CheckpointMessage);
      let patience: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (patience = setTimeout(resolve, 5_000)))]);
      clearTimeout(patience);
      await w.terminate();
    },
  };
}
