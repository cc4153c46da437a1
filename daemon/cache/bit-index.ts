// In-memory coarse index of one namespace's vectors: one sign bit per dimension (64 bytes for 512-d), searched by
// Hamming distance before the float re-score in SQL. Why not sqlite-vec's own bit KNN: in one namespace of 100k
// entries it cost 20–40 ms a query (per-chunk and metadata overhead in vec0), over the 10 ms budget; this scan needs
// no SQL at all. The float vectors in cache_entries are the durable copy the index loads from (index-load.ts).
//
// The search is exact: the k entries nearest by Hamming distance over all bits, ties broken by the smaller id — what
// a brute-force scan returns (the unit test compares them on random and clustered data). Until the 1M-entry work it
// ranked on the first 128 bits and re-ranked only the best ~512 on all bits, which could miss the true top k; at 1M
// entries that approximation alone cost ~25 ms of CPU a lookup. Now the entries sit 16 to a block, byte-sliced (see
// hamming-scan.ts), and an index past WASM_FROM entries scans them with WebAssembly SIMD: all bits of 16 entries per
// step, and a block stops early once its 16 partial distances all exceed the k-th best so far (they can only grow).
// Smaller indexes, and engines without WebAssembly SIMD, run the same exact scan in JavaScript.
import { OUT_SLOTS, scanKernel, scanLayout, type ScanKernel } from "./hamming-scan.js";
import { IdSlots } from "./id-slots.js";

/** Entries from which an index moves into WebAssembly memory (each such memory reserves address space, so a daemon
 * with a thousand small namespaces keeps them in plain buffers, where a scan of a few thousand takes microseconds). */
export const WASM_FROM = 4096;
const PAGE = 65536;

/** Set bits of each byte. */
const POP8 = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let x = i; x; x >>= 1) n += x & 1;
  return n;
});

/** Sign bits of a vector, packed 32 to a word (bit i of word w is dimension 32·w + i). */
export function signBits(v: Float32Array): Uint32Array {
  return signBitsInto(v, new Uint32Array(Math.ceil(v.length / 32)), 0);
}

/** signBits written into `out` from word `at` on (a loader fills one batch array in place). */
export function signBitsInto(v: Float32Array, out: Uint32Array, at: number): Uint32Array {
  for (let w = 0, i = 0; i < v.length; w++) {
    let word = 0;
    for (let b = 0; b < 32 && i < v.length; b++, i++) if (v[i] > 0) word |= 1 << b;
    out[at + w] = word;
  }
  return out;
}

export class BitIndex {
  /** Bytes of sign bits per entry. */
  private readonly bitBytes: number;
  /** Rows per entry in a block: bitBytes padded with zero rows to whole chunks of 16 (the kernel's unit). */
  private readonly rowBytes: number;
  /** Bytes per block of 16 entries: bit rows, 16 f64 expiries, 16 u16 distances. */
  private readonly blockBytes: number;
  private readonly layout: ReturnType<typeof scanLayout>;
  private memory?: WebAssembly.Memory;
  private kernel?: ScanKernel;
  /** Where block 0 starts in `buf` (after the kernel's query, histogram and output regions in WebAssembly memory). */
  private base = 0;
  private u8: Uint8Array;
  private f64: Float64Array;
  private u16: Uint16Array;
  /** Entry id per slot. */
  private ids: Float64Array;
  private size = 0;
  private readonly slots: IdSlots;

  constructor(
    readonly words: number,
    // Small to start: a daemon holds one index per namespace, and most namespaces hold a few entries.
    capacity = 16,
  ) {
    this.bitBytes = words * 4;
    this.rowBytes = Math.ceil(this.bitBytes / 16) * 16;
    this.layout = scanLayout(this.rowBytes);
    this.blockBytes = this.layout.blockBytes;
    const cap = roundUp16(capacity);
    const buf = new ArrayBuffer((cap / 16) * this.blockBytes);
    this.u8 = new Uint8Array(buf);
    this.f64 = new Float64Array(buf);
    this.u16 = new Uint16Array(buf);
    this.ids = new Float64Array(cap);
    this.slots = new IdSlots(cap);
    if (cap >= WASM_FROM) this.toWasm(buf.byteLength, 0);
  }

  get count(): number {
    return this.size;
  }

  /** Makes room for `count` entries at once (the index loader knows how many are coming: one allocation, no copies). */
  reserve(count: number): void {
    if (count > this.ids.length) this.grow(roundUp16(count));
    this.slots.reserve(count);
  }

  add(id: number, bits: Uint32Array, expiresMs: number): void {
    this.remove(id);
    if (this.size === this.ids.length) this.grow(this.ids.length * 2);
    const s = this.size++;
    const src = new Uint8Array(bits.buffer, bits.byteOffset, this.bitBytes);
    const at = this.blockAt(s) + (s & 15);
    for (let b = 0; b < this.bitBytes; b++) this.u8[at + b * 16] = src[b];
    this.f64[this.expiryAt(s)] = expiresMs;
    this.ids[s] = id;
    this.slots.set(id, s);
  }

  remove(id: number): void {
    const s = this.slots.get(id);
    if (s < 0) return;
    const last = --this.size;
    if (s !== last) {
      const to = this.blockAt(s) + (s & 15);
      const from = this.blockAt(last) + (last & 15);
      for (let b = 0; b < this.bitBytes; b++) this.u8[to + b * 16] = this.u8[from + b * 16];
      this.f64[this.expiryAt(s)] = this.f64[this.expiryAt(last)];
      this.ids[s] = this.ids[last];
      this.slots.set(this.ids[s], s);
    }
    this.f64[this.expiryAt(last)] = 0; // a free slot: never a candidate
    this.slots.delete(id);
  }

  /** Ids of the k entries nearest by Hamming distance among those not expired at `now`: nearest first, ties by id. */
  search(query: Uint32Array, k: number, now: number): number[] {
    if (!this.size || k <= 0) return [];
    const q = new Uint8Array(query.buffer, query.byteOffset, this.bitBytes);
    const best = this.kernel ? this.searchSimd(q, k, now) : this.searchJs(q, k, now);
    best.sort((a, b) => a.d - b.d || a.id - b.id);
    return best.slice(0, k).map((c) => c.id);
  }

  /** Candidates including every entry of the top k (and ties at the k-th distance), unsorted. */
  private searchSimd(q: Uint8Array, k: number, now: number): { d: number; id: number }[] {
    const R = this.rowBytes;
    const { hist, out } = this.layout;
    for (let b = 0; b < this.bitBytes; b++) this.u8.fill(q[b], b * 16, b * 16 + 16); // padding rows stay zero
    new Uint32Array(this.u8.buffer, hist, R * 8 + 1).fill(0);
    const blocks = Math.ceil(this.size / 16);
    const kernel = this.kernel!;
    const cut = kernel.scan(blocks, R, k, now, hist, this.base, out, OUT_SLOTS);
    const listed = new Uint32Array(this.u8.buffer, out, 1)[0];
    const found: { d: number; id: number }[] = [];
    const take = (s: number) => {
      const d = this.u16[this.distanceAt(s)];
      if (d <= cut) found.push({ d, id: this.ids[s] });
    };
    if (listed <= OUT_SLOTS) for (const s of new Uint32Array(this.u8.buffer, out + 4, listed)) take(s);
    else {
      // More candidates than the list holds (many entries at equal distance, or an order that kept lowering the cut).
      const n = kernel.collect(blocks, R, cut, out + 4, OUT_SLOTS, this.base);
      if (n <= OUT_SLOTS) for (const s of new Uint32Array(this.u8.buffer, out + 4, n)) take(s);
      else for (let s = 0; s < this.size; s++) take(s);
    }
    return found;
  }

  /** The same exact scan in JavaScript: a byte table popcount, the best k kept sorted by (distance, id). */
  private searchJs(q: Uint8Array, k: number, now: number): { d: number; id: number }[] {
    const R = this.bitBytes;
    const u8 = this.u8;
    const best: { d: number; id: number }[] = [];
    for (let s = 0; s < this.size; s++) {
      if (this.f64[this.expiryAt(s)] <= now) continue;
      const at = this.blockAt(s) + (s & 15);
      let d = 0;
      for (let b = 0; b < R; b++) d += POP8[u8[at + b * 16] ^ q[b]];
      const id = this.ids[s];
      if (best.length === k) {
        const worst = best[k - 1];
        if (d > worst.d || (d === worst.d && id > worst.id)) continue;
        best.pop();
      }
      let p = best.length;
      while (p > 0 && (best[p - 1].d > d || (best[p - 1].d === d && best[p - 1].id > id))) p--;
      best.splice(p, 0, { d, id });
    }
    return best;
  }

  /** Byte offset of slot s's block. */
  private blockAt(s: number): number {
    return this.base + (s >>> 4) * this.blockBytes;
  }

  /** Float64 index of slot s's expiry. */
  private expiryAt(s: number): number {
    return (this.blockAt(s) + this.rowBytes * 16 + (s & 15) * 8) >>> 3;
  }

  /** Uint16 index of slot s's distance (written by the kernel). */
  private distanceAt(s: number): number {
    return (this.blockAt(s) + this.rowBytes * 16 + 128 + (s & 15) * 2) >>> 1;
  }

  /**
   * Room for `cap` entries (a multiple of 16). In WebAssembly memory the memory grows in place; a plain buffer is
   * copied, and moves into WebAssembly memory once it holds WASM_FROM entries (where SIMD is available).
   */
  private grow(cap: number): void {
    const bytes = (cap / 16) * this.blockBytes;
    const used = (this.ids.length / 16) * this.blockBytes;
    if (this.memory) {
      const need = Math.ceil((this.base + bytes) / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (need > 0) this.memory.grow(need);
      this.view(this.memory.buffer);
    } else if (cap >= WASM_FROM && this.toWasm(bytes, used)) {
      // moved
    } else {
      const buf = new ArrayBuffer(bytes);
      new Uint8Array(buf).set(this.u8.subarray(0, used));
      this.view(buf);
    }
    const ids = new Float64Array(cap);
    ids.set(this.ids.subarray(0, this.size));
    this.ids = ids;
  }

  /** Moves the blocks into a WebAssembly memory with the kernel's regions in front; false where that is not possible. */
  private toWasm(bytes: number, used: number): boolean {
    const base = this.layout.blocks;
    let memory: WebAssembly.Memory;
    let kernel: ScanKernel | null;
    try {
      memory = new WebAssembly.Memory({ initial: Math.ceil((base + bytes) / PAGE) });
      kernel = scanKernel(memory);
    } catch {
      return false; // out of address space for another memory: stay in JavaScript
    }
    if (!kernel) return false;
    new Uint8Array(memory.buffer).set(this.u8.subarray(0, used), base);
    this.memory = memory;
    this.kernel = kernel;
    this.base = base;
    this.view(memory.buffer);
    return true;
  }

  private view(buf: ArrayBuffer): void {
    this.u8 = new Uint8Array(buf);
    this.f64 = new Float64Array(buf, 0, buf.byteLength >>> 3);
    this.u16 = new Uint16Array(buf, 0, buf.byteLength >>> 1);
  }
}

function roundUp16(n: number): number {
  return Math.max(16, Math.ceil(n / 16) * 16);
}
