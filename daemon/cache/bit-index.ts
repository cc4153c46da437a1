// In-memory coarse index of one namespace's vectors: one sign bit per dimension (64 bytes for 512-d), searched by
// Hamming distance in two stages — the first 128 bits of every entry, then all bits of the best few hundred — before
// the float re-score in SQL. Why not sqlite-vec's own bit KNN: in one namespace of 100k entries it cost 20–40 ms a
// query (per-chunk and metadata overhead in vec0), over the 10 ms budget; this scan needs no SQL at all.
// The float vectors in cache_entries are the durable copy the index loads from (index-load.ts).
// Layout for the scan: the first stage's 128 bits of all entries sit in one contiguous array of their own (16 bytes
// an entry: 1M entries are 16 MB read front to back), apart from the full bits that only the survivors touch; the
// per-entry distances go to a scratch array kept between searches, so a lookup allocates next to nothing.

/** Bits compared in the first stage: 4 words of 32. */
const STAGE1_WORDS = 4;
/** Entries kept after the first stage (per query), re-ranked on all bits. */
const STAGE1_KEEP = 512;

/** Set bits of a 32-bit word (SWAR: no table, so nothing but the scanned arrays competes for the cache). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Sign bits of a vector, packed 32 to a word (bit i of word w is dimension 32·w + i). */
export function signBits(v: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(v.length / 32));
  for (let i = 0; i < v.length; i++) if (v[i] > 0) out[i >>> 5] |= 1 << (i & 31);
  return out;
}

export class BitIndex {
  /** All bits, `words` per entry. */
  private bits: Uint32Array;
  /** The first stage's bits, STAGE1_WORDS per entry (zero-padded when an entry has fewer words). */
  private head: Uint32Array;
  private ids: Float64Array;
  private expires: Float64Array;
  /** First-stage distance of each entry during a search (at most 128, so a byte). */
  private d1: Uint8Array;
  private readonly hist = new Uint32Array(STAGE1_WORDS * 32 + 1);
  private size = 0;
  private readonly slot = new Map<number, number>();

  constructor(
    readonly words: number,
    // Small to start: a daemon holds one index per namespace, and most namespaces hold a few entries.
    capacity = 16,
  ) {
    this.bits = new Uint32Array(capacity * words);
    this.head = new Uint32Array(capacity * STAGE1_WORDS);
    this.ids = new Float64Array(capacity);
    this.expires = new Float64Array(capacity);
    this.d1 = new Uint8Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  add(id: number, bits: Uint32Array, expiresMs: number): void {
    this.remove(id);
    if (this.size === this.ids.length) this.grow();
    const s = this.size++;
    const w = this.words;
    this.bits.set(bits.subarray(0, w), s * w);
    for (let j = 0; j < STAGE1_WORDS; j++) this.head[s * STAGE1_WORDS + j] = j < w ? bits[j] : 0;
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
      this.head.copyWithin(s * STAGE1_WORDS, last * STAGE1_WORDS, (last + 1) * STAGE1_WORDS);
      this.ids[s] = this.ids[last];
      this.expires[s] = this.expires[last];
      this.slot.set(this.ids[s], s);
    }
    this.slot.delete(id);
  }

  /** Ids of the k entries nearest by Hamming distance among those not expired at `now`, nearest first. */
  search(query: Uint32Array, k: number, now: number): number[] {
    const n = this.size;
    if (!n || k <= 0) return [];
    const w = this.words;
    const q0 = query[0],
      q1 = w > 1 ? query[1] : 0,
      q2 = w > 2 ? query[2] : 0,
      q3 = w > 3 ? query[3] : 0;
    // Stage 1: distance on the first bits, with a histogram to find the cut that keeps about STAGE1_KEEP entries.
    const head = this.head;
    const d1 = this.d1;
    const hist = this.hist;
    hist.fill(0);
    for (let i = 0, o = 0; i < n; i++, o += STAGE1_WORDS) {
      const d =
        popcount(head[o] ^ q0) + popcount(head[o + 1] ^ q1) + popcount(head[o + 2] ^ q2) + popcount(head[o + 3] ^ q3);
      d1[i] = d;
      hist[d]++;
    }
    let cut = hist.length - 1;
    if (n > STAGE1_KEEP * 2) {
      let seen = 0;
      for (let d = 0; d < hist.length; d++) {
        seen += hist[d];
        if (seen >= STAGE1_KEEP) {
          cut = d;
          break;
        }
      }
    }
    // Stage 2: all bits of the survivors, keeping the k best (insertion into a sorted array of at most k).
    const bits = this.bits;
    const first = Math.min(STAGE1_WORDS, w);
    const bestD: number[] = [];
    const bestSlot: number[] = [];
    for (let i = 0; i < n; i++) {
      if (d1[i] > cut || this.expires[i] <= now) continue;
      let d = d1[i];
      for (let j = first, o = i * w; j < w; j++) d += popcount(bits[o + j] ^ query[j]);
      const len = bestD.length;
      if (len === k && d >= bestD[k - 1]) continue;
      let p = len === k ? k - 1 : len;
      while (p > 0 && bestD[p - 1] > d) {
        bestD[p] = bestD[p - 1];
        bestSlot[p] = bestSlot[p - 1];
        p--;
      }
      bestD[p] = d;
      bestSlot[p] = i;
    }
    return bestSlot.map((s) => this.ids[s]);
  }

  private grow(): void {
    const cap = this.ids.length * 2;
    const bits = new Uint32Array(cap * this.words);
    bits.set(this.bits);
    this.bits = bits;
    const head = new Uint32Array(cap * STAGE1_WORDS);
    head.set(this.head);
    this.head = head;
    const ids = new Float64Array(cap);
    ids.set(this.ids);
    this.ids = ids;
    const ex = new Float64Array(cap);
    ex.set(this.expires);
    this.expires = ex;
    this.d1 = new Uint8Array(cap);
  }
}
