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
import { HEAD_ROWS, META_BYTES, OUT_SLOTS, scanKernel, scanLayout, type ScanKernel } from "./hamming-scan.js";
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
  /** Rows per entry: bitBytes padded with zero rows to whole chunks of 16 (the kernel's unit). */
  private readonly rowBytes: number;
  /** Of those, rows in the head region and in the tail region. */
  private readonly headRows: number;
  private readonly tailRows: number;
  private readonly layout: ReturnType<typeof scanLayout>;
  private memory?: WebAssembly.Memory;
  private kernel?: ScanKernel;
  /** Where the head, tail and meta regions start in `buf` (they follow the capacity). */
  private headAt = 0;
  private tailAt = 0;
  private metaAt = 0;
  private u8: Uint8Array;
  private f64: Float64Array;
  private u16: Uint16Array;
  /** Entry id per slot; its length is the capacity (a multiple of 16). */
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
    this.headRows = Math.min(HEAD_ROWS, this.rowBytes);
    this.tailRows = this.rowBytes - this.headRows;
    this.layout = scanLayout(this.rowBytes);
    this.u8 = new Uint8Array(0);
    this.f64 = new Float64Array(0);
    this.u16 = new Uint16Array(0);
    this.ids = new Float64Array(0);
    this.slots = new IdSlots(capacity);
    this.grow(roundUp16(capacity));
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
    const head = this.headOf(s);
    const tail = this.tailOf(s);
    for (let b = 0; b < this.bitBytes; b++) this.u8[b < this.headRows ? head + b * 16 : tail + b * 16] = src[b];
    this.f64[this.expiryAt(s)] = expiresMs;
    this.ids[s] = id;
    this.slots.set(id, s);
  }

  remove(id: number): void {
    const s = this.slots.get(id);
    if (s < 0) return;
    const last = --this.size;
    if (s !== last) {
      const [toHead, toTail, fromHead, fromTail] = [
        this.headOf(s),
        this.tailOf(s),
        this.headOf(last),
        this.tailOf(last),
      ];
      for (let b = 0; b < this.bitBytes; b++) {
        if (b < this.headRows) this.u8[toHead + b * 16] = this.u8[fromHead + b * 16];
        else this.u8[toTail + b * 16] = this.u8[fromTail + b * 16];
      }
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
    const { hist, out } = this.layout;
    for (let b = 0; b < this.bitBytes; b++) this.u8.fill(q[b], b * 16, b * 16 + 16); // padding rows stay zero
    new Uint32Array(this.u8.buffer, hist, this.rowBytes * 8 + 1).fill(0);
    const blocks = Math.ceil(this.size / 16);
    const kernel = this.kernel!;
    const cut = kernel.scan(
      blocks,
      this.headRows,
      this.tailRows,
      k,
      now,
      hist,
      out,
      OUT_SLOTS,
      this.headAt,
      this.tailAt,
      this.metaAt,
    );
    const listed = new Uint32Array(this.u8.buffer, out, 1)[0];
    const found: { d: number; id: number }[] = [];
    const take = (s: number) => {
      const d = this.u16[this.distanceAt(s)];
      if (d <= cut) found.push({ d, id: this.ids[s] });
    };
    if (listed <= OUT_SLOTS) for (const s of new Uint32Array(this.u8.buffer, out + 4, listed)) take(s);
    else {
      // More candidates than the list holds (many entries at equal distance, or an order that kept lowering the cut).
      const n = kernel.collect(blocks, cut, out + 4, OUT_SLOTS, this.metaAt);
      if (n <= OUT_SLOTS) for (const s of new Uint32Array(this.u8.buffer, out + 4, n)) take(s);
      else for (let s = 0; s < this.size; s++) take(s);
    }
    return found;
  }

  /** The same exact scan in JavaScript: a byte table popcount, the best k kept sorted by (distance, id). */
  private searchJs(q: Uint8Array, k: number, now: number): { d: number; id: number }[] {
    const u8 = this.u8;
    const best: { d: number; id: number }[] = [];
    const split = Math.min(this.headRows, this.bitBytes);
    for (let s = 0; s < this.size; s++) {
      if (this.f64[this.expiryAt(s)] <= now) continue;
      const head = this.headOf(s);
      const tail = this.tailOf(s);
      let d = 0;
      for (let b = 0; b < split; b++) d += POP8[u8[head + b * 16] ^ q[b]];
      for (let b = split; b < this.bitBytes; b++) d += POP8[u8[tail + b * 16] ^ q[b]];
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

  /** Byte offset of slot s's head row 0 (row b at + 16·b). */
  private headOf(s: number): number {
    return this.headAt + (s >>> 4) * this.headRows * 16 + (s & 15);
  }

  /** Byte offset such that slot s's row b (b ≥ headRows) is at + 16·b. */
  private tailOf(s: number): number {
    return this.tailAt + (s >>> 4) * this.tailRows * 16 + (s & 15) - this.headRows * 16;
  }

  /** Float64 index of slot s's expiry. */
  private expiryAt(s: number): number {
    return (this.metaAt + (s >>> 4) * META_BYTES + (s & 15) * 8) >>> 3;
  }

  /** Uint16 index of slot s's distance (written by the kernel). */
  private distanceAt(s: number): number {
    return (this.metaAt + (s >>> 4) * META_BYTES + 128 + (s & 15) * 2) >>> 1;
  }

  /**
   * Room for `cap` entries (a multiple of 16): the head, tail and meta regions move to their new places. In
   * WebAssembly memory the memory grows in place and the regions move inside it; a plain buffer is copied, and
   * moves into WebAssembly memory once it holds WASM_FROM entries (where SIMD is available).
   */
  private grow(cap: number): void {
    const blocks = cap / 16;
    const used = this.ids.length / 16;
    const base = this.memory || (cap >= WASM_FROM && this.wasmMemory()) ? this.layout.blocks : 0;
    const headAt = base;
    const tailAt = headAt + blocks * this.headRows * 16;
    const metaAt = tailAt + blocks * this.tailRows * 16;
    const end = metaAt + blocks * META_BYTES;
    const old = { u8: this.u8, headAt: this.headAt, tailAt: this.tailAt, metaAt: this.metaAt };
    let u8: Uint8Array;
    if (this.memory) {
      const need = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (need > 0) this.memory.grow(need);
      u8 = new Uint8Array(this.memory.buffer);
      // In place, so move the later regions first (each moves up); copyWithin handles the overlaps.
      const fromOld = old.u8.buffer === this.memory.buffer || old.u8.byteLength === 0 ? undefined : old.u8;
      if (fromOld) {
        u8.set(fromOld.subarray(old.metaAt, old.metaAt + used * META_BYTES), metaAt);
        u8.set(fromOld.subarray(old.tailAt, old.tailAt + used * this.tailRows * 16), tailAt);
        u8.set(fromOld.subarray(old.headAt, old.headAt + used * this.headRows * 16), headAt);
      } else {
        u8.copyWithin(metaAt, old.metaAt, old.metaAt + used * META_BYTES);
        u8.copyWithin(tailAt, old.tailAt, old.tailAt + used * this.tailRows * 16);
        if (headAt !== old.headAt) u8.copyWithin(headAt, old.headAt, old.headAt + used * this.headRows * 16);
      }
      if (!fromOld) {
        // What the old regions left behind in the new regions' unused parts: padding rows and expiries must read zero.
        // (A fresh memory is zero already: writing 74 MB of zeros at 1M entries only faulted its pages in.)
        u8.fill(0, headAt + used * this.headRows * 16, tailAt);
        u8.fill(0, tailAt + used * this.tailRows * 16, metaAt);
        u8.fill(0, metaAt + used * META_BYTES, end);
      }
    } else {
      u8 = new Uint8Array(end);
      u8.set(old.u8.subarray(old.headAt, old.headAt + used * this.headRows * 16), headAt);
      u8.set(old.u8.subarray(old.tailAt, old.tailAt + used * this.tailRows * 16), tailAt);
      u8.set(old.u8.subarray(old.metaAt, old.metaAt + used * META_BYTES), metaAt);
    }
    this.headAt = headAt;
    this.tailAt = tailAt;
    this.metaAt = metaAt;
    this.u8 = u8;
    this.f64 = new Float64Array(u8.buffer, 0, u8.byteLength >>> 3);
    this.u16 = new Uint16Array(u8.buffer, 0, u8.byteLength >>> 1);
    const ids = new Float64Array(cap);
    ids.set(this.ids.subarray(0, this.size));
    this.ids = ids;
  }

  /**
   * Creates the WebAssembly memory and kernel (the index's buffer is copied into it by grow); false where that is not
   * possible: no SIMD, or no address space for another memory — the index then stays in JavaScript.
   */
  private wasmMemory(): boolean {
    try {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const kernel = scanKernel(memory);
      if (!kernel) return false;
      this.memory = memory;
      this.kernel = kernel;
      return true;
    } catch {
      return false;
    }
  }
}

function roundUp16(n: number): number {
  return Math.max(16, Math.ceil(n / 16) * 16);
}
