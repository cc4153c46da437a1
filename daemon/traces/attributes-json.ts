// A served span's attributes as the UTF-8 bytes of JSON.stringify(attributes), made in pieces into a buffer this thread
// keeps, for SQLite to store as the TEXT they spell (CAST(? AS TEXT), as an import's packed rows are). A coding agent's
// span carries its request's content — ~260 KB of JSON for a 196 KB request — and as one string it was fresh memory
// twice (JSON.stringify's rope, flattened when bound; then better-sqlite3's UTF-8 copy of it): on the 2-core VMs this
// runs on a page touched for the first time costs ~10 µs, ~65 of them per copy.
import { Utf8Sink, writeJsonString, writeJsonStringOfPieces } from "../json-bytes.js";
import type { Attributes } from "./span.js";

/** Attributes whose strings are shorter than this in all are stringified whole (small strings cost no fresh memory). */
const BYTES_FROM_CHARS = 64 * 1024;
/** Texts shorter than this in all are not escaped ahead: their row is stringified whole (see escapeAhead). */
export const ESCAPE_AHEAD_FROM_CHARS = BYTES_FROM_CHARS;
/** A string value from this length on is escaped a slice at a time; each slice's JSON stays under V8's ~128 KB. */
const SLICE_CHARS = 16 * 1024;
/** The kept buffer grows to what a row needs; one larger than this is not kept for the next row. */
const KEPT_MAX_BYTES = 8 * 1024 * 1024;

let kept: Buffer = Buffer.alloc(0);

/**
 * Strings escaped ahead (escapeAhead): a request's content, made while its upstream works, so that the span's row after
 * the answer copies their bytes instead of escaping them then. Found by `===` (the same text: the same bytes), taken
 * once; the oldest give way past AHEAD_MAX (a request that failed before its span was written never takes its own).
 */
const ahead: { text: string; bytes: Buffer; buffer: Buffer }[] = [];
const AHEAD_MAX = 8;
/** Buffers of taken entries, for the next escapeAhead (each a page's first touch less: see json-bytes.ts). */
const spare: Buffer[] = [];

/**
 * Escapes, ahead of the row that will hold them, texts a served span's attributes will carry as they are — when they
 * are long enough for attributesJsonBytes to write that row as bytes (64K characters in all). A text may come with
 * the pieces it was concatenated from (`pieces`: their concatenation is `text`), which are read instead of it: see
 * writeJsonStringOfPieces.
 */
export function escapeAhead(texts: readonly (string | PiecedText)[]): void {
  let chars = 0;
  for (const t of texts) chars += typeof t === "string" ? t.length : t.text.length;
  if (chars < BYTES_FROM_CHARS) return;
  for (const t of texts) {
    const { text, pieces } = typeof t === "string" ? { text: t, pieces: [t] } : t;
    if (text.length <= SLICE_CHARS || ahead.some((a) => a.text === text)) continue;
    const out = new Utf8Sink(spare.pop() ?? Buffer.allocUnsafe(2 * text.length));
    writeJsonStringOfPieces(out, pieces, SLICE_CHARS);
    if (ahead.length === AHEAD_MAX) release(ahead.shift()!);
    ahead.push({ text, bytes: out.bytes(), buffer: out.buffer });
  }
}

/** A text and the pieces it is the concatenation of. */
export interface PiecedText {
  text: string;
  pieces: readonly string[];
}

/** What escapeAhead made of `text`, once (release it when copied). */
function takeAhead(text: string): (typeof ahead)[number] | undefined {
  const i = ahead.findIndex((a) => a.text === text);
  return i === -1 ? undefined : ahead.splice(i, 1)[0];
}

function release(entry: { buffer: Buffer }): void {
  if (spare.length < AHEAD_MAX && entry.buffer.length <= KEPT_MAX_BYTES) spare.push(entry.buffer);
}

/**
 * The UTF-8 bytes of JSON.stringify(attributes), valid until the next call on this thread (a view of the kept buffer);
 * undefined where the string is as cheap (its strings are short, 64K characters in all) or where a value is an object
 * other than an array (its toJSON would be asked with its key, which only JSON.stringify of the whole gives).
 */
export function attributesJsonBytes(attributes: Attributes): Uint8Array | undefined {
  let chars = 0;
  for (const k in attributes) {
    const v: unknown = attributes[k];
    if (typeof v === "string") chars += v.length;
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) return undefined;
  }
  if (chars < BYTES_FROM_CHARS) return undefined;
  const out = new Utf8Sink(kept.length ? kept : Buffer.allocUnsafe(2 * chars));
  out.text("{");
  let first = true;
  for (const k of Object.keys(attributes)) {
    const v: unknown = attributes[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    out.text(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
    first = false;
    if (typeof v === "string" && v.length > SLICE_CHARS) {
      const escaped = takeAhead(v);
      if (!escaped) writeJsonString(out, v, SLICE_CHARS);
      else {
        out.raw(escaped.bytes);
        release(escaped);
      }
    } else out.text(JSON.stringify(v) as string);
  }
  out.text("}");
  kept = out.buffer.length <= KEPT_MAX_BYTES ? out.buffer : Buffer.alloc(0);
  return out.bytes(); // a Buffer: what SQLite binds as bytes
}
