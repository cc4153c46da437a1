// Span rows between an import's threads: the parsing thread packs toRow's values into bytes (each text value UTF-8
// encoded, one after another) and a Float64Array (per value its byte length, −1 for null, or the number), both
// transferred without a copy; the writing thread binds each text value as a view of those bytes (the store's packed
// upsert stores them as the TEXT they spell). Cloning the rows as arrays of strings cost the two threads about as much
// as the SQLite write itself (60 MB of attribute JSON serialised, copied and made into strings again).
import type { Span } from "../span.js";
import { ROW_WIDTH, toRow } from "../store.js";

export type RowValue = string | number | null;

export interface PackedRows {
  bytes: Uint8Array;
  layout: Float64Array;
}

/** toRow's number values: start_ns, end_ns. */
const NUMBER_COLUMN = Array.from({ length: ROW_WIDTH }, (_, c) => c === 5 || c === 6);

const encoder = new TextEncoder();

/**
 * Packs rows given as toRow arrays, into the buffers of rows already written when `spare` has some (taken from it):
 * fresh memory costs more than filling it (see job.ts SpareMessage), and a batch is ~1 MB.
 */
export function packRows(rows: RowValue[][], spare: PackedRows[] = []): PackedRows {
  return pack(rows.length, (i) => rows[i], spare);
}

/**
 * packRows of toRow(spans[i]) for i in [from, to), without the rows' arrays: each span's row is packed as it is made
 * and dropped (a batch of rows held until packed outlived young-generation collections, which copied them).
 */
export function packSpans(
  spans: readonly Span[],
  from: number,
  to: number,
  maxAttributeChars: number,
  spare: PackedRows[] = [],
): PackedRows {
  return pack(to - from, (i) => toRow(spans[from + i], maxAttributeChars), spare);
}

/** Bytes of a new buffer when no spare one is there: a batch's ~1 MB, grown when its text needs more. */
const FRESH_BYTES = 1 << 20;

function pack(count: number, rowAt: (i: number) => RowValue[], spare: PackedRows[]): PackedRows {
  const reused = spare.pop();
  const layout =
    reused && reused.layout.buffer.byteLength === count * ROW_WIDTH * 8
      ? new Float64Array(reused.layout.buffer)
      : new Float64Array(count * ROW_WIDTH);
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; most text is ASCII, so a row is encoded into what is left and
  // the buffer doubled only when that may not hold it.
  let bytes = reused ? new Uint8Array(reused.bytes.buffer) : new Uint8Array(FRESH_BYTES);
  let used = 0;
  /** Consecutive short text values of the row, joined, and the layout slots they fill (from `first`). */
  let group = "";
  let first = -1;
  let last = -1;
  const encode = (text: string): number => encoder.encodeInto(text, bytes.subarray(used)).written;
  // Short values (ids, names, kinds: most of a row's values) are encoded together: a call to the encoder, with a view
  // of the buffer, cost more than encoding one of them. All ASCII (written === length: one byte per character), each
  // value's byte length is its length; otherwise they are encoded again one by one. Long text is encoded alone (joined,
  // it would be copied once more).
  const flush = (row: RowValue[], rowAt: number) => {
    if (first === -1) return;
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
  for (let r = 0, at = 0; r < count; r++, at += ROW_WIDTH) {
    const row = rowAt(r);
    let rowText = 0;
    for (let c = 0; c < ROW_WIDTH; c++) if (typeof row[c] === "string") rowText += (row[c] as string).length;
    if (bytes.length - used < rowText * 3) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, used + rowText * 3));
      grown.set(bytes.subarray(0, used));
      bytes = grown;
    }
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = row[c];
      if (NUMBER_COLUMN[c]) layout[at + c] = v as number;
      else if (v === null) layout[at + c] = -1;
      else if ((v as string).length > SHORT_TEXT) {
        flush(row, at);
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
  return { bytes: bytes.subarray(0, used), layout };
}

/** Text values up to this long are encoded together with their short neighbours (pack). */
const SHORT_TEXT = 256;

/**
 * Each packed row as ROW_WIDTH values for the store's packed upsert (text as a view of the bytes, never a string; an
 * empty text as "": an empty view has no memory behind it to bind), with its trace id as a string.
 */
export function forEachPackedRow(
  p: PackedRows,
  each: (row: (Uint8Array | string | number | null)[], traceId: string) => void,
): void {
  const { buffer, byteOffset } = p.bytes;
  const bytes = p.bytes;
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
      else if (v < 0) row[c] = null;
      else {
        // A plain view (a Buffer's subarray costs several times as much to make), bound as bytes all the same.
        row[c] = v === 0 ? "" : new Uint8Array(buffer, byteOffset + pos, v);
        pos += v;
      }
    }
    const length = p.layout[at - ROW_WIDTH];
    if (!sameBytes(bytes, traceFrom, traceLength, traceStart, length)) {
      traceId = Buffer.from(buffer, byteOffset + traceStart, length).toString("utf8");
      traceFrom = traceStart;
      traceLength = length;
    }
    each(row, traceId);
  }
}

/** Whether bytes[a, a + aLength) and bytes[b, b + bLength) are the same bytes (a = -1: no earlier range). */
function sameBytes(bytes: Uint8Array, a: number, aLength: number, b: number, bLength: number): boolean {
  if (a === -1 || aLength !== bLength) return false;
  for (let i = 0; i < aLength; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}
