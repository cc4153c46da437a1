// A trace's analysis as it travels from an import worker to the daemon's thread and out in a response.
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeJsonFile } from "./json-file.js";

/**
 * An analysis (api.ts TraceAnalysis) that a worker wrote as UTF-8 JSON to a file of its own, for the daemon's thread to
 * keep (by name) and stream out. 100k spans make ~15 MB of it. Held on the daemon's thread, each kept analysis was
 * memory V8 counts toward its heap's limit: its arrival set off a full collection of the thread at the end of every
 * such import (a 9–30 ms pause plus 13–58 ms of steps), and every two imports the idle collection (50–120 ms) that
 * could free none of it; 16 kept analyses held up to 240 MB.
 */
export interface AnalysisFile {
  file: string;
}

/**
 * A trace's analysis as a worker hands it over: UTF-8 JSON with an ArrayBuffer of its own (moved to the daemon's thread,
 * not copied: an import without an analysis dir), or the file it wrote (AnalysisFile).
 */
export type AnalysisJson = Uint8Array | AnalysisFile;

/** Where the workers of a daemon whose database is at `dbPath` write analyses (removed when it starts and stops). */
export function analysisDirFor(dbPath: string): string {
  return join(dirname(dbPath), "analyses");
}

/** Removes the analyses a daemon wrote (none is known to another; a worker makes the directory again to write). */
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

/** An analysis as JSON: written to a new file in `dir` when given (owner-only, like the rest of the data dir), else bytes. */
export function analysisJson(value: object, dir: string | undefined): AnalysisJson {
  if (dir === undefined) return jsonBytes(value);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${randomUUID()}.json`);
  writeJsonFile(file, value, 0o600);
  return { file };
}

/** The ArrayBuffers of per-trace analyses held as bytes, for a postMessage's transfer list. */
export function analysisBuffers(analyses: Iterable<[string, AnalysisJson]> | undefined): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const [, json] of analyses ?? []) if (json instanceof Uint8Array) out.push(json.buffer as ArrayBuffer);
  return out;
}

/** An analysis no longer needed: its file goes (one already gone is fine: the daemon's start empties the dir anyway). */
export function dropAnalysis(json: AnalysisJson): void {
  if (!(json instanceof Uint8Array)) unlink(json.file).catch(() => undefined);
}
