// A request body for an upstream as the bytes JSON.stringify gives, written a slice at a time when it holds long
// strings, with the event loop free between slices. Stringifying a 9 MB prompt for the upstream, measuring it and
// handing it to the socket took one turn of 35–70 ms at load 3–5 (5–10× that at load 15) on the daemon's thread, the
// longest single hold left in an accepted 9 MB chat (issue #15).
import { randomBytes } from "node:crypto";

/** Strings from this length on are written in slices of their own, after the rest of the body. */
const LONG_STRING = 64 * 1024;
/** Characters of a long string stringified and encoded per slice. */
const SLICE_CHARS = 256 * 1024;
/** Characters written between two turns of the event loop (~3–4 ms quiet). */
const TURN_CHARS = 1024 * 1024;

/**
 * JSON.stringify(value) as sent: the string itself, at once, when it holds no long string (the socket encodes it once,
 * as before), else a promise of its UTF-8 bytes. Long strings are swapped for markers while the rest is stringified (a
 * replacer: ~3 µs more on a 2 KB chat body), then each is escaped a slice at a time — JSON escapes each character on
 * its own, and no slice ends between the halves of a surrogate pair — so the bytes are JSON.stringify's
 * (test/unit/router/json-payload.test.ts). The common body costs no promise turn and no CSPRNG call: the markers'
 * nonce is drawn only when a long string is met (randomBytes per request was ~20 µs of the daemon's request path).
 */
export function jsonPayload(value: unknown): string | Promise<Buffer> {
  // Most bodies hold no long string: stringified without the replacer, whose result is a rope of pieces that the
  // socket's encoding then flattens into one more copy (a 192 KB coding-agent body: 1,330 µs with the replacer and its
  // measuring, 300 without; strings over ~128 KB are fresh memory each time).
  if (!mayHoldLongString(value, 0)) return JSON.stringify(value) as string;
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

/**
 * Whether JSON.stringify(value) may meet a string of LONG_STRING characters or more: true for one, and for anything
 * but plain objects, arrays and primitives (toJSON, class instances: what they stringify as is not what they hold).
 */
function mayHoldLongString(value: unknown, depth: number): boolean {
  if (typeof value === "string") return value.length >= LONG_STRING;
  if (typeof value !== "object" || value === null) return false;
  if (depth > MAX_LOOK_DEPTH) return true;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return true;
    for (const v of value) if (mayHoldLongString(v, depth + 1)) return true;
    return false;
  }
  if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === "function")
    return true;
  for (const k in value)
    if (Object.hasOwn(value, k) && mayHoldLongString((value as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
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
