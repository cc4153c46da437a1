// A value written to a file as the same bytes as JSON.stringify's UTF-8, without making that string or its bytes whole.
// A 100k-span analysis is ~15 MB of JSON: one string of it and one Buffer of its bytes (writeFileSync) are each fresh
// memory, and on the 2-core VMs this runs on a page touched for the first time costs ~3–6 ms per MB. Written in pieces
// through one buffer this thread keeps, an analysis took ~55 ms where stringify and writeFileSync took ~160
// (19.5 MB, a worker thread).
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";

/**
 * How much JSON of a large array's elements is stringified at once. JSON.stringify builds its text in parts joined
 * as a rope, which writing flattens into one new string: over V8's regular object size (~128 kB) that is fresh memory
 * of its own each time (a 100k-span trace's detail in pieces of 256 spans, ~200 kB each: 590–740 ms; of 128, ~100 kB:
 * 290–460). So the pieces are sized by the text they make, not by a count: each next one has as many elements as make
 * about PIECE_CHARS at the last one's size per element.
 */
const PIECE_CHARS = 32 * 1024;
/** Elements in a large array's first piece, and the most in any. */
const FIRST_PIECE = 64;
const MAX_PIECE = 4096;
/** Objects and arrays deeper than this are JSON.stringify's whole (which also says what a cycle is). */
const MAX_DEPTH = 4;
/** The buffer pieces are encoded into, then written. */
const BUFFER_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
/** This thread's buffer, made on first use and kept (a worker writes an analysis per import). */
let kept: Uint8Array | undefined;

/** Writes JSON text to a file through `kept`. */
class JsonSink {
  private used = 0;
  constructor(
    private readonly fd: number,
    private readonly buffer: Uint8Array,
  ) {}

  text(s: string): void {
    for (;;) {
      const { read, written } = encoder.encodeInto(s, this.buffer.subarray(this.used));
      this.used += written;
      if (read === s.length) return;
      // The buffer is full (or a character's bytes do not fit in what is left): out with it, then the rest.
      this.flush();
      s = s.slice(read);
    }
  }

  flush(): void {
    for (let off = 0; off < this.used;) off += writeSync(this.fd, this.buffer, off, this.used - off);
    this.used = 0;
  }
}

const isPlainObject = (v: object): v is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== "function";
};

/**
 * Writes `value` as JSON.stringify(value) would: plain objects key by key (down to MAX_DEPTH), arrays a piece of elements at a
 * time (each piece is JSON.stringify's), anything else (a leaf, an object with toJSON or a class) by JSON.stringify.
 * Returns false when JSON.stringify writes nothing for it (undefined, a function, a symbol).
 */
function writeValue(sink: JsonSink, value: unknown, depth: number): boolean {
  if (typeof value === "object" && value !== null && depth < MAX_DEPTH) {
    if (Array.isArray(value)) {
      if (value.length <= FIRST_PIECE) {
        sink.text(JSON.stringify(value));
        return true;
      }
      sink.text("[");
      for (let i = 0, count = FIRST_PIECE; i < value.length;) {
        const piece = JSON.stringify(value.slice(i, i + count));
        if (i > 0) sink.text(",");
        sink.text(piece.slice(1, -1));
        i += count;
        count = Math.max(1, Math.min(MAX_PIECE, Math.floor((count * PIECE_CHARS) / piece.length)));
      }
      sink.text("]");
      return true;
    }
    if (isPlainObject(value)) {
      sink.text("{");
      let first = true;
      for (const key of Object.keys(value)) {
        const v = value[key];
        if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
        sink.text(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
        first = false;
        writeValue(sink, v, depth + 1);
      }
      sink.text("}");
      return true;
    }
  }
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) return false;
  sink.text(json);
  return true;
}

/**
 * Writes `value` to a new file `path` (created with `mode`; an existing file is an error) as JSON.stringify(value) in
 * UTF-8. A value JSON.stringify writes nothing for is an error. What fails (JSON.stringify's own errors, a full disk)
 * leaves no file.
 */
export function writeJsonFile(path: string, value: unknown, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    const sink = new JsonSink(fd, (kept ??= new Uint8Array(BUFFER_BYTES)));
    if (!writeValue(sink, value, 0)) throw new TypeError("a value JSON cannot write (undefined, a function, a symbol)");
    sink.flush();
    closeSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw e;
  }
}
