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
  spans: Span[],
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
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; most text is ASCII, so a value is encoded into what is left and
  // the buffer doubled only when that may not hold it.
  let bytes = reused ? new Uint8Array(reused.bytes.buffer) : new Uint8Array(FRESH_BYTES);
  let used = 0;
  let at = 0;
  for (let r = 0; r < count; r++) {
    const row = rowAt(r);
    for (let c = 0; c < ROW_WIDTH; c++, at++) {
      const v = row[c];
      if (NUMBER_COLUMN[c]) layout[at] = v as number;
      else if (v === null) layout[at] = -1;
      else {
        const text = v as string;
        if (bytes.length - used < text.length * 3) {
          const grown = new Uint8Array(Math.max(bytes.length * 2, used + text.length * 3));
          grown.set(bytes.subarray(0, used));
          bytes = grown;
        }
        const { written } = encoder.encodeInto(text, bytes.subarray(used));
        layout[at] = written;
        used += written;
      }
    }
  }
  return { bytes: bytes.subarray(0, used), layout };
}

/**
 * Each packed row as ROW_WIDTH values for the store's packed upsert (text as a view of the bytes, never a string; an
 * empty text as "": an empty view has no memory behind it to bind), with its trace id as a string.
 */
export function forEachPackedRow(
  p: PackedRows,
  each: (row: (Uint8Array | string | number | null)[], traceId: string) => void,
): void {
  const { buffer, byteOffset } = p.bytes;
  const text = Buffer.from(buffer, byteOffset, p.bytes.length);
  let pos = 0;
  for (let at = 0; at < p.layout.length;) {
    const row = new Array<Uint8Array | string | number | null>(ROW_WIDTH);
    const traceStart = pos;
    for (let c = 0; c < ROW_WIDTH; c++, at++) {
      const v = p.layout[at];
      if (NUMBER_COLUMN[c]) row[c] = v;
      else if (v < 0) row[c] = null;
      else {
        row[c] = v === 0 ? "" : text.subarray(pos, pos + v);
        pos += v;
      }
    }
    each(row, text.toString("utf8", traceStart, traceStart + p.layout[at - ROW_WIDTH]));
  }
}
