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
  out.text('"');
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + sliceChars);
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++;
    out.text(JSON.stringify(text.slice(i, end)).slice(1, -1));
    i = end;
  }
  out.text('"');
}
