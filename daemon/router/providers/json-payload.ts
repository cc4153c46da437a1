// A request body for an upstream as the bytes JSON.stringify gives, written a slice at a time when it holds long
// strings, with the event loop free between slices. Stringifying a 9 MB prompt for the upstream, measuring it and
// handing it to the socket took one turn of 35–70 ms at load 3–5 (5–10× that at load 15) on the daemon's thread, the
// longest single hold left in an accepted 9 MB chat (issue #15).
import { randomBytes } from "node:crypto";
import { Utf8Sink } from "../../json-bytes.js";

/** Strings from this length on are written in slices of their own, after the rest of the body. */
const LONG_STRING = 64 * 1024;
/** Characters of a long string stringified and encoded per slice. */
const SLICE_CHARS = 256 * 1024;
/** Characters written between two turns of the event loop (~3–4 ms quiet). */
const TURN_CHARS = 1024 * 1024;

/**
 * JSON.stringify(value) as sent: the string itself, at once, when it holds no long string and is small (the socket
 * encodes it once); a larger body of plain data without long strings as its UTF-8 bytes, at once (bytesOf); else a
 * promise of its UTF-8 bytes. Long strings are swapped for markers while the rest is stringified (a
 * replacer: ~3 µs more on a 2 KB chat body), then each is escaped a slice at a time — JSON escapes each character on
 * its own, and no slice ends between the halves of a surrogate pair — so the bytes are JSON.stringify's
 * (test/unit/router/json-payload.test.ts). The common body costs no promise turn and no CSPRNG call: the markers'
 * nonce is drawn only when a long string is met (randomBytes per request was ~20 µs of the daemon's request path).
 */
export function jsonPayload(value: unknown): string | Buffer | Promise<Buffer> {
  // Most bodies hold no long string: they go without the replacer, whose result is a rope of pieces that the socket's
  // encoding then flattens into one more copy. A large one (a coding agent's turn: the conversation so far) is written
  // as bytes a piece at a time: JSON.stringify's text of it is a rope too, and over ~128 KB measuring it flattened it
  // into fresh memory (a 192 KB body: 1,330 µs with the replacer and its measuring, ~1,000 as one string).
  const chars = plainStringChars(value, 0);
  if (chars < BYTES_FROM_CHARS) return JSON.stringify(value) as string;
  if (chars !== Infinity) return bytesOf(value, chars);
  const long: string[] = [];
  let nonce: string | undefined;
  const skeleton = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "string" || v.length < LONG_STRING) return v;
    nonce ??= randomBytes(8).toString("hex");
    long.push(v);
    return `\u0000${nonce}:${long.length - 1}`;
  }) as string | undefined;
  if (!long.length || skeleton === undefined || nonce === undefined) return skeleton as string;
  return sliced(skeleton, long, nonce);
}

/** Nesting past this is not looked into (a body's JSON is checked shallower): the replacer's path takes it. */
const MAX_LOOK_DEPTH = 64;
/** Bodies whose strings hold fewer characters than this are one string (small strings cost no fresh memory). */
const BYTES_FROM_CHARS = 64 * 1024;
/** Objects and arrays this deep and deeper are JSON.stringify'd whole in bytesOf. */
const PIECE_DEPTH = 3;

/**
 * The characters of the strings and keys in `value`: Infinity where it holds a string of LONG_STRING characters or
 * more, and for anything but plain objects, arrays and primitives (toJSON, class instances: what they stringify as is
 * not what they hold).
 */
function plainStringChars(value: unknown, depth: number): number {
  if (typeof value === "string") return value.length >= LONG_STRING ? Infinity : value.length;
  if (typeof value !== "object" || value === null) return 0;
  if (depth > MAX_LOOK_DEPTH) return Infinity;
  const proto = Object.getPrototypeOf(value);
  let n = 0;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return Infinity;
    for (const v of value) if ((n += plainStringChars(v, depth + 1)) === Infinity) return n;
    return n;
  }
  if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === "function")
    return Infinity;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    if ((n += k.length + plainStringChars((value as Record<string, unknown>)[k], depth + 1)) === Infinity) return n;
  }
  return n;
}

/**
 * JSON.stringify(value)'s UTF-8 bytes, written a piece at a time (plain objects key by key and arrays element by
 * element down to PIECE_DEPTH, each piece JSON.stringify's) into one Buffer: no string of the whole is made. Only for
 * plain data (plainStringChars finite), where no toJSON is asked for anything.
 */
function bytesOf(value: unknown, chars: number): Buffer {
  const out = new Utf8Sink(Buffer.allocUnsafe(2 * chars + 1024));
  writePieces(out, value, 0);
  return out.bytes();
}

function writePieces(out: Utf8Sink, value: unknown, depth: number): void {
  if (typeof value === "object" && value !== null && depth < PIECE_DEPTH) {
    if (Array.isArray(value)) {
      out.text("[");
      for (let i = 0; i < value.length; i++) {
        if (i) out.text(",");
        const v: unknown = value[i];
        if (v === undefined || typeof v === "function" || typeof v === "symbol") out.text("null");
        else writePieces(out, v, depth + 1);
      }
      out.text("]");
      return;
    }
    out.text("{");
    let first = true;
    for (const k of Object.keys(value)) {
      const v: unknown = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      out.text(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
      first = false;
      writePieces(out, v, depth + 1);
    }
    out.text("}");
    return;
  }
  out.text(JSON.stringify(value) as string);
}

/** The body's bytes with each long string (a marker in `skeleton`) escaped in slices, the loop free between turns. */
async function sliced(skeleton: string, long: string[], nonce: string): Promise<Buffer> {
  // A marker as JSON.stringify writes it (NUL escaped as \u0000): a string of the body could equal it only by
  // containing this request's random nonce.
  const marker = new RegExp(`"\\\\u0000${nonce}:(\\d+)"`, "g");
  const pieces: Buffer[] = [];
  let at = 0;
  let written = 0;
  for (const m of skeleton.matchAll(marker)) {
    pieces.push(Buffer.from(`${skeleton.slice(at, m.index)}"`));
    at = m.index + m[0].length;
    const text = long[Number(m[1])];
    for (let i = 0; i < text.length;) {
      let end = Math.min(text.length, i + SLICE_CHARS);
      if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++; // keep a pair together
      const json = Buffer.from(JSON.stringify(text.slice(i, end)));
      pieces.push(json.subarray(1, json.length - 1));
      written += end - i;
      i = end;
      if (written >= TURN_CHARS) {
        written = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    pieces.push(Buffer.from('"'));
  }
  pieces.push(Buffer.from(skeleton.slice(at)));
  return Buffer.concat(pieces);
}
