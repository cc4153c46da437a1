// In-memory coarse index of one namespace's vectors: one sign bit per dimension (64 bytes for 512-d), searched by
// Hamming distance in two stages — the first 128 bits of every entry, then all bits of the best few hundred — before
// the float re-score in SQL. Why not sqlite-vec's own bit KNN: in one namespace of 100k entries it cost 20–40 ms a
// query (per-chunk and metadata overhead in vec0), over the 10 ms budget; this scan reads 16 bytes per entry in the
// first stage (1M entries: 16 MB) and needs no SQL at all. sqlite-vec stays the durable copy the index loads from.

/** Bits compared in the first stage: 4 words of 32. */
const STAGE1_WORDS = 4;
/** Entries kept after the first stage (per query), re-ranked on all bits. */
const STAGE1_KEEP = 512;

const POPCOUNT16 = (() => {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = (i & 1) + t[i >>> 1];
  return t;
})();

function popcount(x: number): number {
  return POPCOUNT16[x & 0xffff] + POPCOUNT16[x >>> 16];
}

/** Sign bits of a vector, packed 32 to a word (bit i of word w is dimension 32·w + i). */
export function signBits(v: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(v.length / 32));
  for (let i = 0; i < v.length; i++) if (v[i] > 0) out[i >>> 5] |= 1 << (i & 31);
  return out;
}

export class BitIndex {
  private bits: Uint32Array;
  private ids: Float64Array;
  private expires: Float64Array;
  private size = 0;
  private readonly slot = new Map<number, number>();

  constructor(
    readonly words: number,
    capacity = 1024,
  ) {
    this.bits = new Uint32Array(capacity * words);
    this.ids = new Float64Array(capacity);
    this.expires = new Float64Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  add(id: number, bits: Uint32Array, expiresMs: number): void {
    this.remove(id);
    if (this.size === this.ids.length) this.grow();
    const s = this.size++;
    this.bits.set(bits.subarray(0, this.words), s * this.words);
    this.ids[s] = id;
    this.expires[s] = expiresMs;
    this.slot.set(id, s);
  }

  remove(id: number): void {
    const s = this.slot.get(id);
    if (s === undefined) return;
    const last = --this.size;
    if (s !== last) {
      this.bits.copyWithin(s * this.words, last * this.words, (last + 1) * this.words);
      this.ids[s] = this.ids[last];
      this.expires[s] = this.expires[last];
      this.slot.set(this.ids[s], s);
    }
    this.slot.delete(id);
  }

  /** Ids of the k entries nearest by Hamming distance among those not expired at `now`. */
  search(query: Uint32Array, k: number, now: number): number[] {
    const n = this.size;
    if (!n) return [];
    const w = this.words;
    const first = Math.min(STAGE1_WORDS, w);
    const exact = n <= STAGE1_KEEP * 2;
    // Stage 1: distance on the first bits, with a histogram to find the cut that keeps about STAGE1_KEEP entries.
    const d1 = new Uint16Array(n);
    const hist = new Uint32Array(first * 32 + 1);
    const q0 = query[0],
      q1 = query[1] ?? 0,
      q2 = query[2] ?? 0,
      q3 = query[3] ?? 0;
    const b = this.bits;
    for (let i = 0, o = 0; i < n; i++, o += w) {
      let d = popcount(b[o] ^ q0);
      if (first > 1) d += popcount(b[o + 1] ^ q1);
      if (first > 2) d += popcount(b[o + 2] ^ q2);
      if (first > 3) d += popcount(b[o + 3] ^ q3);
      d1[i] = d;
      hist[d]++;
    }
    let cut = hist.length - 1;
    if (!exact) {
      let seen = 0;
      for (let d = 0; d < hist.length; d++) {
        seen += hist[d];
        if (seen >= STAGE1_KEEP) {
          cut = d;
          break;
        }
      }
    }
    // Stage 2: all bits of the survivors, keeping the k best.
    const best: { id: number; d: number }[] = [];
    let worst = Infinity;
    for (let i = 0; i < n; i++) {
      if (d1[i] > cut || this.expires[i] <= now) continue;
      let d = d1[i];
      const o = i * w;
      for (let j = first; j < w; j++) d += popcount(b[o + j] ^ query[j]);
      if (best.length < k) {
        best.push({ id: this.ids[i], d });
        if (best.length === k) {
          best.sort((x, y) => x.d - y.d);
          worst = best[k - 1].d;
        }
      } else if (d < worst) {
        let p = k - 1;
        while (p > 0 && best[p - 1].d > d) p--;
        best.splice(p, 0, { id: this.ids[i], d });
        best.pop();
        worst = best[k - 1].d;
      }
    }
    return best.sort((x, y) => x.d - y.d).map((x) => x.id);
  }

  private grow(): void {
    const cap = this.ids.length * 2;
    const bits = new Uint32Array(cap * this.words);
    bits.set(this.bits);
    this.bits = bits;
    const ids = new Float64Array(cap);
    ids.set(this.ids);
    this.ids = ids;
    const ex = new Float64Array(cap);
    ex.set(this.expires);
    this.expires = ex;
  }
}
