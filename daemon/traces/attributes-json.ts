// A served span's attributes as the UTF-8 bytes of JSON.stringify(attributes), made in pieces into a buffer this thread
// keeps, for SQLite to store as the TEXT they spell (CAST(? AS TEXT), as an import's packed rows are). A coding agent's
// span carries its request's content — ~260 KB of JSON for a 196 KB request — and as one string it was fresh memory
// twice (JSON.stringify's rope, flattened when bound; then better-sqlite3's UTF-8 copy of it): on the 2-core VMs this
// runs on a page touched for the first time costs ~10 µs, ~65 of them per copy.
import { Utf8Sink, writeJsonString } from "../json-bytes.js";
import type { Attributes } from "./span.js";

/** Attributes whose strings are shorter than this in all are stringified whole (small strings cost no fresh memory). */
const BYTES_FROM_CHARS = 64 * 1024;
/** A string value from this length on is escaped a slice at a time; each slice's JSON stays under V8's ~128 KB. */
const SLICE_CHARS = 16 * 1024;
/** The kept buffer grows to what a row needs; one larger than this is not kept for the next row. */
const KEPT_MAX_BYTES = 8 * 1024 * 1024;

let kept: Buffer = Buffer.alloc(0);

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
    if (typeof v === "string" && v.length > SLICE_CHARS) writeJsonString(out, v, SLICE_CHARS);
    else out.text(JSON.stringify(v) as string);
  }
  out.text("}");
  kept = out.buffer.length <= KEPT_MAX_BYTES ? out.buffer : Buffer.alloc(0);
  return out.bytes(); // a Buffer: what SQLite binds as bytes
}
