// JSON written as UTF-8 bytes a piece at a time, for texts large enough that one string of them would be fresh memory:
// V8 keeps strings over ~128 KB (and the rope JSON.stringify returns, once flattened) outside its young generation,
// and on the 2-core VMs this runs on a page touched for the first time costs ~10 µs. Used by the upstream request body
// (router/providers/json-payload.ts) and a served span's attributes (traces/attributes-json.ts).

const encoder = new TextEncoder();

/** UTF-8 text appended to a buffer that doubles when full. */
export class Utf8Sink {
  private used = 0;
  constructor(private buf: Buffer) {}

  text(s: string): void {
    for (;;) {
      const { read, written } = encoder.encodeInto(s, this.buf.subarray(this.used));
      this.used += written;
      if (read === s.length) return;
      // Full (or the next character's bytes do not fit): room for the rest at 3 bytes a character, then the rest.
      this.grow(3 * (s.length - read));
      s = s.slice(read);
    }
  }

  /** Bytes already UTF-8 (an earlier sink's), appended as they are. */
  raw(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** A buffer twice the size, or as large as `more` bytes past what is written need. */
  private grow(more: number): void {
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.used + more));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  /** The whole buffer (grown or not), to be filled again by a later sink. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** What was written: a view of the buffer. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.used);
  }
}

/**
 * JSON.stringify(text), `sliceChars` characters at a time: JSON escapes each character on its own, and no slice ends
 * between the halves of a surrogate pair (alone, each would be escaped as a half).
 */
export function writeJsonString(out: Utf8Sink, text: string, sliceChars: number): void {
  writeJsonStringOfPieces(out, [text], sliceChars);
}

/**
 * writeJsonString of the pieces' concatenation, read piece by piece. A long string made by concatenation (or by
 * JSON.stringify) is a rope in V8, and reading any character of it flattens it whole into fresh memory (~10 µs a page
 * here: ~0.7 ms for a 180 KB request's messages); its pieces, each shorter, are read without that. A pair's halves
 * split between two pieces are written together, as in one text.
 */
export function writeJsonStringOfPieces(out: Utf8Sink, pieces: readonly string[], sliceChars: number): void {
  out.text('"');
  let carry = ""; // a high surrogate that ended the piece before
  for (let piece of pieces) {
    if (carry) piece = carry + piece;
    carry = "";
    let stop = piece.length;
    if (stop && (piece.charCodeAt(stop - 1) & 0xfc00) === 0xd800) carry = piece.slice(--stop);
    for (let i = 0; i < stop;) {
      let end = Math.min(stop, i + sliceChars);
      if (end < stop && (piece.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++;
      out.text(JSON.stringify(piece.slice(i, end)).slice(1, -1));
      i = end;
    }
  }
  if (carry) out.text(JSON.stringify(carry).slice(1, -1)); // a lone half, escaped as JSON.stringify escapes it
  out.text('"');
}
