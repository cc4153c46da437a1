// A span's content attribute (prompt, messages, tools, output) is the value's JSON text capped at a number of
// characters, with a note of how many were cut. The text past the cap is never built: a 9 MB request used to be
// stringified whole on the event loop only to keep its first 256 KB (issue #15). Only its length is counted, which for
// a string is its length plus the escapes JSON.stringify adds. The result is byte for byte what capping
// JSON.stringify(value) gives (test/unit/pipeline/content-cap.test.ts compares them).
import { stringifiesAsIs } from "../json-text.js";

/** The characters JSON.stringify escapes: quote, backslash, controls, a surrogate half without its pair. */
const ESCAPED =
  // eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
  /["\\\b\f\n\r\t]|[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Strings shorter than this are stringified whole; longer ones only as far as the cap needs. */
const LONG = 4096;

/** `text` capped at `max` characters: the first `max`, then `…[truncated N chars]`. */
export function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated ${text.length - max} chars]` : text;
}

/**
 * A value whose JSON text cannot be longer than this (jsonLengthBound) is stringified whole and then capped: one native
 * JSON.stringify took a third of the prefix writer's time (a Claude Code-sized request, 62 messages of code, 192 KB
 * of JSON: 470 against 1,290 µs), and its cost is bounded by this, not by the request.
 */
const WHOLE_MAX_CHARS = 4 * 1024 * 1024;

/**
 * capText(value as is when a string, else JSON.stringify(value)), without writing the text past the cap where the
 * whole text may be longer than `wholeMax` characters.
 */
export function cappedContent(value: unknown, max: number, wholeMax = WHOLE_MAX_CHARS): string {
  if (typeof value === "string") return capText(value, max);
  if (jsonLengthBound(value, wholeMax) <= wholeMax) return capText(JSON.stringify(value) ?? "", max);
  const out = new PrefixWriter(max);
  if (!write(value, out, "")) return capText(JSON.stringify(value) ?? "", max); // undefined, a function: as before
  return out.total > max ? `${out.text()}…[truncated ${out.total - max} chars]` : out.text();
}

/**
 * cappedContent, with the pieces its text is the concatenation of: where that text is an array's or a plain object's
 * JSON and within the cap, its brackets, each element's (member's) JSON, the commas; else the text alone. Concatenated, the pieces stay
 * apart in V8 (a rope) until something reads the text's characters, and a reader of the pieces
 * (json-bytes.ts writeJsonStringOfPieces) never makes the whole text's flat copy — fresh memory for a long one, ~10
 * µs a page on the VMs this runs on. JSON.stringify(value) returns a rope too, but of its own pieces, out of reach.
 */
export function cappedContentPieces(value: unknown, max: number): { text: string; pieces: string[] } {
  if (typeof value !== "object" || value === null || jsonLengthBound(value, WHOLE_MAX_CHARS) > WHOLE_MAX_CHARS) {
    const text = cappedContent(value, max);
    return { text, pieces: [text] };
  }
  // Bounded: arrays and plain objects of primitives all the way down (no toJSON, no boxed values), so each element's
  // or member's own JSON.stringify is what JSON.stringify of the whole writes for it.
  const pieces: string[] = [];
  if (Array.isArray(value)) {
    pieces.push("[");
    for (let i = 0; i < value.length; i++) pieces.push(i ? "," : "", JSON.stringify(value[i]) ?? "null");
    pieces.push("]");
  } else {
    let first = true;
    pieces.push("{");
    for (const k of Object.keys(value)) {
      const json = JSON.stringify((value as Record<string, unknown>)[k]) as string | undefined;
      if (json === undefined) continue; // undefined, a function, a symbol: left out, as JSON.stringify does
      pieces.push(`${first ? "" : ","}${JSON.stringify(k)}:`, json);
      first = false;
    }
    pieces.push("}");
  }
  let text = "";
  for (const p of pieces) text += p;
  if (text.length <= max) return { text, pieces };
  const capped = capText(text, max);
  return { text: capped, pieces: [capped] };
}

/** Nesting past this is not bounded (JSON.stringify would meet a cycle there; a request's JSON is checked shallower). */
const BOUND_DEPTH = 64;

/**
 * Whether the strings in `value` (its own keys and values, nested) hold `atLeast` characters: a lower bound of its JSON
 * text's length, found without writing it, and without walking further than that many characters show.
 */
export function hasStringChars(value: unknown, atLeast: number): boolean {
  return stringCharsShort(value, atLeast, 0) <= 0;
}

/** `left` less the characters of the strings in `value`, stopping at 0 or below. */
function stringCharsShort(value: unknown, left: number, depth: number): number {
  if (typeof value === "string") return left - value.length;
  if (typeof value !== "object" || value === null || depth > BOUND_DEPTH) return left;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left > 0; i++) left = stringCharsShort(value[i], left, depth + 1);
    return left;
  }
  for (const k in value) {
    if (left <= 0) break;
    if (Object.hasOwn(value, k))
      left = stringCharsShort((value as Record<string, unknown>)[k], left - k.length, depth + 1);
  }
  return left;
}

/**
 * An upper bound of JSON.stringify(value)'s length from lengths alone (a string of n characters is at most 6n + 2:
 * every character escaped as \uXXXX, unless it needs no escape at all), or Infinity once past `budget`, and for
 * anything but plain objects, arrays and primitives (toJSON, boxed values: their text is not their keys').
 */
export function jsonLengthBound(value: unknown, budget: number, depth = 0): number {
  switch (typeof value) {
    case "string":
      return stringifiesAsIs(value) ? value.length + 2 : 6 * value.length + 2;
    case "number":
      return 24; // the longest a double prints: -1.2345678901234567e+308
    case "boolean":
      return 5;
    case "undefined":
    case "function":
    case "symbol":
      return 4; // nothing, or null in an array
    case "object":
      break;
    default:
      return Infinity; // bigint: JSON.stringify throws, as the prefix writer does
  }
  if (value === null) return 4;
  if (depth > BOUND_DEPTH) return Infinity;
  const proto = Object.getPrototypeOf(value);
  let n = 2;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return Infinity;
    for (let i = 0; i < value.length && n <= budget; i++) n += 1 + jsonLengthBound(value[i], budget - n, depth + 1);
    return n > budget ? Infinity : n;
  }
  if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === "function")
    return Infinity;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    n += 6 * k.length + 4 + jsonLengthBound((value as Record<string, unknown>)[k], budget - n, depth + 1);
    if (n > budget) return Infinity;
  }
  return n;
}

class PrefixWriter {
  private readonly parts: string[] = [];
  private kept = 0;
  total = 0;

  constructor(readonly max: number) {}

  /** Characters the cap still takes. */
  get room(): number {
    return Math.max(0, this.max - this.kept);
  }

  /** A piece of the text; kept as far as the cap. */
  write(piece: string): void {
    this.total += piece.length;
    this.keep(piece);
  }

  /** A piece that is only counted (the text is full). */
  count(length: number): void {
    this.total += length;
  }

  keep(piece: string): void {
    if (this.kept >= this.max) return;
    const part = this.kept + piece.length > this.max ? piece.slice(0, this.max - this.kept) : piece;
    this.parts.push(part);
    this.kept += part.length;
  }

  text(): string {
    return this.parts.join("");
  }
}

/** Characters JSON.stringify(text) has. */
function jsonStringLength(text: string): number {
  let length = text.length + 2;
  if (stringifiesAsIs(text)) return length;
  for (const m of text.matchAll(ESCAPED)) {
    const c = m[0].charCodeAt(0);
    length += c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09 ? 1 : 5;
  }
  return length;
}

function writeString(text: string, out: PrefixWriter): void {
  // Past the cap a string is only counted: stringifying each of 9,000 messages of 1 KB past a full cap (to count their
  // characters) held the event loop ~60 ms of a refused 9 MB request, 4× its count by stringifiesAsIs (issue #15).
  if (!out.room) return out.count(jsonStringLength(text));
  if (text.length < LONG) return out.write(JSON.stringify(text));
  const total = jsonStringLength(text);
  // The cap needs at most this many characters of it (each character is at least one of JSON's); a cut surrogate pair
  // would be escaped as two halves, so the cut moves past the pair.
  let cut = out.room;
  if (cut < text.length && (text.charCodeAt(cut - 1) & 0xfc00) === 0xd800) cut++;
  const head = cut < text.length ? JSON.stringify(text.slice(0, cut)).slice(0, -1) : JSON.stringify(text);
  out.keep(head);
  out.count(total);
}

/** Writes what JSON.stringify writes for `value` (as the property `key`); false where it writes nothing. */
function write(value: unknown, out: PrefixWriter, key: string, converted = false): boolean {
  if (!converted && value && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function")
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  if (typeof value === "string") {
    writeString(value, out);
    return true;
  }
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) return false;
    out.write(text);
    return true;
  }
  if (Array.isArray(value)) {
    out.write("[");
    for (let i = 0; i < value.length; i++) {
      if (i) out.write(",");
      if (!write(value[i], out, String(i))) out.write("null");
    }
    out.write("]");
    return true;
  }
  out.write("{");
  let first = true;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    if (v && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      // toJSON may give nothing (undefined): JSON.stringify then leaves the key out too.
      const r = (v as { toJSON(key: string): unknown }).toJSON(k);
      if (r === undefined || typeof r === "function" || typeof r === "symbol") continue;
      out.write(`${first ? "" : ","}${JSON.stringify(k)}:`);
      write(r, out, k, true);
    } else {
      out.write(`${first ? "" : ","}${JSON.stringify(k)}:`);
      write(v, out, k);
    }
    first = false;
  }
  out.write("}");
  return true;
}
