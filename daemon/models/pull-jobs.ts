// Pulls the daemon runs for its API (the extension's model tree): one at a time per source, progress published as
// model.pull events (at most a few per second), the result known to the engine as soon as the file is in place.
import { randomUUID } from "node:crypto";
import type { DaemonEvent } from "../api.js";
import { pullModel, type PulledModel } from "./pull.js";

type PullEvent = Extract<DaemonEvent, { type: "model.pull" }>;

export interface PullJob {
  id: string;
  source: string;
  done: Promise<PulledModel>;
}

const PROGRESS_EVERY_MS = 250;

export class PullJobs {
  private readonly running = new Map<string, PullJob>();

  constructor(
    private readonly o: {
      dir: string;
      publish: (event: PullEvent) => void;
      log: (level: "info" | "warn", message: string) => void;
    },
  ) {}

  /** Starts a pull, or returns the one already running for this source. */
  start(source: string, fileName?: string): PullJob {
    const existing = this.running.get(source);
    if (existing) return existing;
    const id = randomUUID();
    let last = 0;
    const event = (e: Omit<PullEvent, "type" | "id" | "source" | "at">) =>
      this.o.publish({ type: "model.pull", id, source, at: Date.now(), ...e });
    event({ state: "downloading", downloadedBytes: 0, totalBytes: 0 });
    const done = pullModel({
      source,
      dir: this.o.dir,
      fileName,
      onProgress: (p) => {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        event({ state: "downloading", ...p });
      },
    });
    const job: PullJob = { id, source, done };
    this.running.set(source, job);
    done.then(
      (m) => {
        this.o.log("info", `pulled ${source} → ${m.path} (model "${m.alias}")`);
        event({ state: "done", downloadedBytes: m.bytes, totalBytes: m.bytes, path: m.path, alias: m.alias });
      },
      (e: Error) => {
        this.o.log("warn", `pull of ${source} failed: ${e.message}`);
        event({ state: "error", downloadedBytes: 0, totalBytes: 0, error: e.message });
      },
    );
    void done.catch(() => undefined).finally(() => this.running.delete(source));
    return job;
  }
}
