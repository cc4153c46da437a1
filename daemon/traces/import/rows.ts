// Span rows between an import's threads: the parsing thread packs toRow's values into bytes (each text value UTF-8
// encoded, one after another) and a Float64Array (per value its byte length, −1 for null, or the number), both
// transferred without a copy; the writing thread binds each text value as a view of those bytes (the store's packed
// upsert stores them as the TEXT they spell). Cloning the rows as arrays of strings cost the two threads about as much
// as the SQLite write itself (60 MB of attribute JSON serialised, copied and made into strings again).
//
// A span's attributes may travel as entries instead (packSpans' attributesAsEntries): each value's own UTF-8 and its
// key, from which the writing thread writes the JSON text toRow holds (AttributesJson). That moves JSON.stringify of
// every span's attributes — the largest part of packing (a 100k-span Claude Code session: ~54 MB of JSON, 20 MB of it
// keys, ~0.2 s with its strings' young-generation collections) — to the other thread, at ~0.15 s of its time: a gain
// only where the parsing thread finishes last (see worker.ts).
import { jsonStringOfUtf8Bound, writeJsonStringOfUtf8 } from "../../json-bytes.js";
import type { Attributes, Span } from "../span.js";
import { ROW_WIDTH, toRow, toRowOfAttributes } from "../store.js";

export type RowValue = string | number | null;

export interface PackedRows {
  bytes: Uint8Array;
  layout: Float64Array;
  /**
   * Attributes packed as entries (packSpans; the row's attributes slot in `layout` is −2 − their count): per entry
   * its key's index in `keys` times 4 plus its kind (ENTRY_*), then its value's byte length, or the number.
   */
  entries?: Float64Array;
  keys?: string[];
}

/** A string, well formed: its UTF-8 is in `bytes`, to be escaped as a JSON string. */
const ENTRY_TEXT = 0;
/** A string with a lone surrogate, a boolean, null or an array: its JSON text (JSON.stringify's) is in `bytes`. */
const ENTRY_JSON = 1;
/** A number: JSON.stringify's text of it is written by the writing thread. */
const ENTRY_NUMBER = 2;

/** toRow's number values: start_ns, end_ns. */
const NUMBER_COLUMN = Array.from({ length: ROW_WIDTH }, (_, c) => c === 5 || c === 6);
/** toRow's attributes JSON. */
const ATTRIBUTES_COLUMN = 12;

const encoder = new TextEncoder();

/** The buffers of packed rows, for a postMessage's transfer list (handed on without a copy, and back again). */
export function packedBuffers(p: PackedRows): ArrayBuffer[] {
  const out = [p.bytes.buffer as ArrayBuffer, p.layout.buffer as ArrayBuffer];
  if (p.entries) out.push(p.entries.buffer as ArrayBuffer);
  return out;
}

/** The memory a packed batch holds (what a worker keeps of them for its next job is bounded by this). */
export function packedBytes(p: PackedRows): number {
  return p.bytes.buffer.byteLength + p.layout.buffer.byteLength + (p.entries?.buffer.byteLength ?? 0);
}

/**
 * Packs rows given as toRow arrays, into the buffers of rows already written when `spare` has some (taken from it):
 * fresh memory costs more than filling it (see job.ts SpareMessage), and a batch is ~1 MB.
 */
export function packRows(rows: RowValue[][], spare: PackedRows[] = []): PackedRows {
  return pack(rows.length, (i) => rows[i], spare);
}

/**
 * packRows of toRow(spans[i]) for i in [from, to), without the rows' arrays: each span's row is packed as it is made
 * and dropped (a batch of rows held until packed outlived young-generation collections, which copied them). With
 * `attributesAsEntries`, the attributes go as entries where they can (their JSON is then written by the thread that
 * reads the rows: forEachPackedRow): for a parsing thread with more left to do than the writing thread.
 */
export function packSpans(
  spans: readonly Span[],
  from: number,
  to: number,
  maxAttributeChars: number,
  spare: PackedRows[] = [],
  attributesAsEntries = false,
): PackedRows {
  return attributesAsEntries
    ? pack(to - from, (i) => toRowOfAttributes(spans[from + i], maxAttributeChars), spare)
    : pack(to - from, (i) => toRow(spans[from + i], maxAttributeChars), spare);
}

/** Bytes of a new buffer when no spare one is there: a batch's ~1 MB, grown when its text needs more. */
const FRESH_BYTES = 1 << 20;

/**
 * Whether JSON.stringify of each of the attributes' values, written as an entry, gives what JSON.stringify of the
 * whole gives: not for an object other than an array (its toJSON, if any, is asked with its key only inside the
 * whole) — such attributes go as their JSON text.
 */
function entriesHold(attributes: Attributes): boolean {
  for (const k in attributes) {
    const v: unknown = attributes[k];
    if ((typeof v === "object" && v !== null && !Array.isArray(v)) || typeof v === "function") return false;
  }
  return true;
}

/** String#isWellFormed (Node 20; not in TypeScript's ES2023 library): no lone surrogate. */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

function pack(count: number, rowAt: (i: number) => (RowValue | Attributes)[], spare: PackedRows[]): PackedRows {
  const reused = spare.pop();
  const layout =
    reused && reused.layout.buffer.byteLength === count * ROW_WIDTH * 8
      ? new Float64Array(reused.layout.buffer)
      : new Float64Array(count * ROW_WIDTH);
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; most text is ASCII, so text is encoded into what is left and
  // the buffer doubled only when that may not hold it.
  let bytes = reused ? new Uint8Array(reused.bytes.buffer) : new Uint8Array(FRESH_BYTES);
  let used = 0;
  let entries: Float64Array | undefined = reused?.entries && new Float64Array(reused.entries.buffer);
  let entryCount = 0;
  let keys: string[] | undefined;
  let keyIndex: Map<string, number> | undefined;
  /** Room for `n` more bytes. */
  const room = (n: number) => {
    if (bytes.length - used >= n) return;
    const grown = new Uint8Array(Math.max(bytes.length * 2, used + n));
    grown.set(bytes.subarray(0, used));
    bytes = grown;
  };
  /** Consecutive short text values of the row, joined, and the layout slots they fill (from `first`). */
  let group = "";
  let first = -1;
  let last = -1;
  const encode = (text: string): number => encoder.encodeInto(text, bytes.subarray(used)).written;
  // Short values (ids, names, kinds: most of a row's values) are encoded together: a call to the encoder, with a view
  // of the buffer, cost more than encoding one of them. All ASCII (written === length: one byte per character), each
  // value's byte length is its length; otherwise they are encoded again one by one. Long text is encoded alone (joined,
  // it would be copied once more).
  const flush = (row: (RowValue | Attributes)[], rowAt: number) => {
    if (first === -1) return;
    room(3 * group.length);
    const written = encode(group);
    if (written === group.length) used += written;
    else
      for (let c = first; c <= last; c++) {
        const v = row[c - rowAt];
        if (typeof v !== "string") continue;
        layout[c] = encode(v);
        used += layout[c];
      }
    group = "";
    first = -1;
  };
  /** A text's UTF-8 appended to `bytes`; its byte length. */
  const append = (text: string): number => {
    room(3 * text.length);
    // Short ASCII text is copied a character at a time: a call to the encoder costs more.
    if (text.length <= SHORT_ATTRIBUTE) {
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) break;
        bytes[used + i] = c;
      }
      if (i === text.length) {
        used += i;
        return i;
      }
    }
    const n = encode(text);
    used += n;
    return n;
  };
  /** The attributes as entries; how many. */
  const packAttributes = (attributes: Attributes): number => {
    keys ??= [];
    keyIndex ??= new Map();
    let n = 0;
    for (const k of Object.keys(attributes)) {
      const v: unknown = attributes[k];
      let kind: number;
      let value: number;
      if (typeof v === "number") {
        kind = ENTRY_NUMBER;
        value = v;
      } else if (typeof v === "string" && wellFormed(v)) {
        kind = ENTRY_TEXT;
        value = append(v);
      } else {
        // A lone surrogate, a boolean, null, an array: JSON.stringify's text of it; undefined (and what JSON has no
        // text for) is left out, as JSON.stringify of the whole leaves its key out.
        const json = JSON.stringify(v) as string | undefined;
        if (json === undefined) continue;
        kind = ENTRY_JSON;
        value = append(json);
      }
      let key = keyIndex.get(k);
      if (key === undefined) {
        keyIndex.set(k, (key = keys.length));
        keys.push(k);
      }
      if (!entries || entries.length < 2 * (entryCount + 1)) {
        const grown = new Float64Array(Math.max(2 * (entries?.length ?? 0), 16 * count, 2 * (entryCount + 1)));
        if (entries) grown.set(entries.subarray(0, 2 * entryCount));
        entries = grown;
      }
      entries[2 * entryCount] = key * 4 + kind;
      entries[2 * entryCount + 1] = value;
      entryCount++;
      n++;
    }
    return n;
  };
  // Room is made where text is written (a row's attributes may fill what was left before its last values).
  for (let r = 0, at = 0; r < count; r++, at += ROW_WIDTH) {
    const row = rowAt(r);
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = row[c];
      if (NUMBER_COLUMN[c]) layout[at + c] = v as number;
      else if (v === null) layout[at + c] = -1;
      else if (typeof v === "object") {
        flush(row, at);
        if (entriesHold(v)) layout[at + c] = -2 - packAttributes(v);
        else layout[at + c] = append(JSON.stringify(v));
      } else if ((v as string).length > SHORT_TEXT) {
        flush(row, at);
        room(3 * (v as string).length);
        layout[at + c] = encode(v as string);
        used += layout[at + c];
      } else {
        layout[at + c] = (v as string).length;
        group += v as string;
        if (first === -1) first = at + c;
        last = at + c;
      }
    }
    flush(row, at);
  }
  const out: PackedRows = { bytes: bytes.subarray(0, used), layout };
  if (entries) {
    out.entries = entries;
    out.keys = keys ?? [];
  }
  return out;
}

/** Text values up to this long are encoded together with their short neighbours (pack). */
const SHORT_TEXT = 256;
/** Attribute strings up to this long are copied a character at a time while they are ASCII (pack's append). */
const SHORT_ATTRIBUTE = 64;

/**
 * The buffer a row's attributes JSON is written into (AttributesJson; valid until the next row), kept from row to row
 * and batch to batch; one grown past KEPT_JSON_MAX_BYTES is not kept.
 */
let kept = new Uint8Array(64 * 1024);
const KEPT_JSON_MAX_BYTES = 8 * 1024 * 1024;

/** Writes each row's attributes, packed as entries, as the JSON text toRow holds (JSON.stringify of them). */
class AttributesJson {
  /** Each key as JSON with its colon (`"key":`). */
  private readonly keyJson: Uint8Array[];
  private readonly entries: Float64Array;
  /** The next entry. */
  private entry = 0;
  private out = kept;
  /** Where the text values after the last attributes written start. */
  pos = 0;

  constructor(
    p: PackedRows,
    /** The batch's text values. */
    private readonly text: Uint8Array,
  ) {
    this.keyJson = (p.keys ?? []).map((k) => encoder.encode(`${JSON.stringify(k)}:`));
    this.entries = p.entries ?? new Float64Array(0);
  }

  /** The next `count` entries' JSON, their values' bytes from `from` in the text (`pos`: past them). */
  write(count: number, from: number): Uint8Array {
    const { entries, keyJson, text } = this;
    const first = this.entry;
    const last = first + count;
    // Room for all of it first: every key, and each value's bytes escaped at their longest (a number's text: 24).
    let bound = 2 + count;
    for (let e = first; e < last; e++) {
      const tag = entries[2 * e];
      const n = entries[2 * e + 1];
      const kind = tag & 3;
      bound +=
        keyJson[tag >> 2].length + (kind === ENTRY_NUMBER ? 24 : kind === ENTRY_TEXT ? jsonStringOfUtf8Bound(n) : n);
    }
    if (this.out.length < bound) {
      this.out = new Uint8Array(Math.max(bound, 2 * this.out.length));
      if (this.out.length <= KEPT_JSON_MAX_BYTES) kept = this.out;
    }
    const out = this.out;
    let pos = from;
    let at = 0;
    out[at++] = 123; // {
    for (let e = first; e < last; e++) {
      if (e > first) out[at++] = 44; // ,
      const tag = entries[2 * e];
      const value = entries[2 * e + 1];
      const key = keyJson[tag >> 2];
      out.set(key, at);
      at += key.length;
      const kind = tag & 3;
      if (kind === ENTRY_TEXT) {
        at = writeJsonStringOfUtf8(text, pos, pos + value, out, at);
        pos += value;
      } else if (kind === ENTRY_JSON) {
        out.set(text.subarray(pos, pos + value), at);
        at += value;
        pos += value;
      } else {
        // JSON.stringify's text of a number: String's, and null where it is not finite.
        const t = Number.isFinite(value) ? String(value) : "null";
        for (let i = 0; i < t.length; i++) out[at++] = t.charCodeAt(i);
      }
    }
    out[at++] = 125; // }
    this.entry = last;
    this.pos = pos;
    return out.subarray(0, at);
  }
}

/**
 * Each packed row as ROW_WIDTH values for the store's packed upsert (text as a view of the bytes, never a string; an
 * empty text as "": an empty view has no memory behind it to bind), with its trace id as a string. A row's values are
 * valid until `each` returns (its attributes' JSON is written into a buffer the next row fills again).
 */
export function forEachPackedRow(
  p: PackedRows,
  each: (row: (Uint8Array | string | number | null)[], traceId: string) => void,
): void {
  const { buffer, byteOffset } = p.bytes;
  const bytes = p.bytes;
  const attributes = p.entries ? new AttributesJson(p, bytes) : undefined;
  // A batch's rows are mostly of one trace: its id is made a string once, while the next row's id has the same bytes.
  let traceId = "";
  let traceFrom = -1;
  let traceLength = -1;
  let pos = 0;
  for (let at = 0; at < p.layout.length;) {
    const row = new Array<Uint8Array | string | number | null>(ROW_WIDTH);
    const traceStart = pos;
    for (let c = 0; c < ROW_WIDTH; c++, at++) {
      const v = p.layout[at];
      if (NUMBER_COLUMN[c]) row[c] = v;
      else if (v === -1) row[c] = null;
      else if (v <= -2 && c === ATTRIBUTES_COLUMN) {
        row[c] = attributes!.write(-2 - v, pos);
        pos = attributes!.pos;
      } else {
        // A plain view (a Buffer's subarray costs several times as much to make), bound as bytes all the same.
        row[c] = v === 0 ? "" : new Uint8Array(buffer, byteOffset + pos, v);
        pos += v;
      }
    }
    const length = p.layout[at - ROW_WIDTH];
    if (!sameBytes(bytes, traceFrom, traceStart, length, traceLength)) {
      traceId = Buffer.from(buffer, byteOffset + traceStart, length).toString("utf8");
      traceFrom = traceStart;
      traceLength = length;
    }
    each(row, traceId);
  }
}

/** Whether bytes[a, a + n) and bytes[b, b + m) are the same bytes (a = -1: no earlier range). */
function sameBytes(bytes: Uint8Array, a: number, b: number, m: number, n: number): boolean {
  if (a === -1 || n !== m) return false;
  for (let i = 0; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}
