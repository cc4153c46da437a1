// ipull (node-llama-cpp's downloader, 3.9 and 4.0 alike) saves its progress record after the file's data, fire and
// forget, each time a chunk completes. When the download finishes it truncates the file to its size, but without
// waiting for a save already under way: that save's write can land after the truncation and leave the record
// ({"part":0,"chunks":[2,2,2,2],…}) appended to a finished model. Seen on a loaded CI machine; reproduced by delaying
// the record's writes. This makes the truncation wait for saves in flight, and drops saves asked for after it has begun
// (ipull would throw from a promise nobody awaits: an unhandled rejection).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

interface WriteStreamPrototype {
  ftruncate(this: WriteStreamState, size?: number): Promise<void>;
  saveMedataAfterFile?(this: WriteStreamState, data: unknown): Promise<void>;
  saveMetadataAfterFile?(this: WriteStreamState, data: unknown): Promise<void>;
}
interface WriteStreamState {
  _fileWriteFinished: boolean;
}
type WriteStreamClass = { new (path: string, finalPath: string): WriteStreamState; prototype: WriteStreamPrototype };

/** Where ipull keeps its Node.js write stream, relative to its dist/index.js (3.9 and 4.0). */
const WRITE_STREAM =
  "download/download-engine/streams/download-engine-write-stream/download-engine-write-stream-nodejs.js";

let ordered: Promise<boolean> | undefined;

/**
 * Orders ipull's progress saves before its final truncation, once per process. Resolves false where ipull's write
 * stream is not the one this was written for; the pull's size check still refuses a wrong file then.
 */
export function orderIpullFinish(): Promise<boolean> {
  return (ordered ??= patch().catch(() => false));
}

/** ipull's write stream class, from the ipull that node-llama-cpp itself imports (its exports map hides the file). */
export async function ipullWriteStream(): Promise<WriteStreamClass | undefined> {
  const fromLlama = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const index = fromLlama.resolve("ipull");
  const mod = (await import(pathToFileURL(join(dirname(index), WRITE_STREAM)).href)) as { default?: WriteStreamClass };
  return mod.default;
}

async function patch(): Promise<boolean> {
  const proto = (await ipullWriteStream())?.prototype;
  const saveName = proto?.saveMetadataAfterFile ? "saveMetadataAfterFile" : "saveMedataAfterFile";
  const save = proto?.[saveName];
  const truncate = proto?.ftruncate;
  if (!proto || typeof save !== "function" || typeof truncate !== "function") return false;

  const inFlight = new WeakMap<WriteStreamState, Set<Promise<void>>>();
  proto[saveName] = function (this: WriteStreamState, data: unknown) {
    if (this._fileWriteFinished) return Promise.resolve(); // the file is whole: nothing left to resume
    const saving = save.call(this, data);
    let saves = inFlight.get(this);
    if (!saves) inFlight.set(this, (saves = new Set()));
    saves.add(saving);
    const done = () => saves.delete(saving);
    saving.then(done, done);
    return saving;
  };
  proto.ftruncate = async function (this: WriteStreamState, size?: number) {
    this._fileWriteFinished = true; // no save starts from here on
    await Promise.allSettled(inFlight.get(this) ?? []);
    return truncate.call(this, size);
  };
  return true;
}
