// A JSON document an import worker makes for a response — a trace's analysis, or a large trace's detail — as it
// travels from the worker to the daemon's thread and out.
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeJsonFile } from "./json-file.js";

/**
 * A document that a worker wrote as UTF-8 JSON to a file of its own, for the daemon's thread to keep (by name) and
 * stream out: an analysis (api.ts TraceAnalysis; 100k spans make ~15 MB of it) or a detail (TraceDetail; ~78 MB). Held on the daemon's thread, each kept analysis was
 * memory V8 counts toward its heap's limit: its arrival set off a full collection of the thread at the end of every
 * such import (a 9–30 ms pause plus 13–58 ms of steps), and every two imports the idle collection (50–120 ms) that
 * could free none of it; 16 kept analyses held up to 240 MB.
 */
export interface WorkerJsonFile {
  file: string;
}

/**
 * A worker's document as it hands it over: UTF-8 JSON with an ArrayBuffer of its own (moved to the daemon's thread, not
 * copied: an import without an analysis dir), or the file it wrote (WorkerJsonFile).
 */
export type WorkerJson = Uint8Array | WorkerJsonFile;

/** Where the workers of a daemon whose database is at `dbPath` write their documents (removed when it starts and stops). */
export function analysisDirFor(dbPath: string): string {
  return join(dirname(dbPath), "analyses");
}

/** Removes the documents a daemon's workers wrote (none is known to another; a worker makes the directory again to write). */
export function removeAnalysisDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A value as UTF-8 JSON that can be moved to another thread (an analysis, a trace's detail): TextEncoder's bytes have an
 * ArrayBuffer of their own (Buffer.from's may be a view of its shared pool).
 */
export function jsonBytes(value: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A document as JSON: written to a new file in `dir` when given (owner-only, like the rest of the data dir), else bytes. */
export function workerJson(value: object, dir: string | undefined): WorkerJson {
  if (dir === undefined) return jsonBytes(value);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${randomUUID()}.json`);
  writeJsonFile(file, value, 0o600);
  return { file };
}

/** The ArrayBuffers of per-trace documents held as bytes, for a postMessage's transfer list. */
export function workerJsonBuffers(analyses: Iterable<[string, WorkerJson]> | undefined): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const [, json] of analyses ?? []) if (json instanceof Uint8Array) out.push(json.buffer as ArrayBuffer);
  return out;
}

/** A document no longer needed: its file goes (one already gone is fine: the daemon's start empties the dir anyway). */
export function dropWorkerJson(json: WorkerJson): void {
  if (!(json instanceof Uint8Array)) unlink(json.file).catch(() => undefined);
}
