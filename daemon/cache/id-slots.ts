// Where each entry id sits in a bit index (bit-index.ts): an open-addressing hash table over two typed arrays. A JS
// Map of a million numbers rehashes by copying itself as it grows and is a million-entry object for every major GC to
// walk; this one is two flat arrays, sized once when the index knows how many entries are coming (reserve).

/** Marks a free cell (entry ids are SQLite rowids: integers, never NaN). */
const FREE = NaN;

export class IdSlots {
  private keys = new Float64Array(0);
  private vals = new Int32Array(0);
  private mask = 0;
  private shift = 0;
  private n = 0;

  constructor(capacity = 16) {
    this.allocate(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Makes room for `count` ids without rehashing again. */
  reserve(count: number): void {
    if (count * 2 > this.keys.length) this.rehash(count);
  }

  /** The slot of `id`, or -1. */
  get(id: number): number {
    const keys = this.keys;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === id) return this.vals[i];
      if (k !== k) return -1; // FREE
    }
  }

  set(id: number, slot: number): void {
    const keys = this.keys;
    let i = this.home(id);
    for (; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === id) return void (this.vals[i] = slot);
      if (k !== k) break;
    }
    keys[i] = id;
    this.vals[i] = slot;
    if (++this.n * 2 > keys.length) this.rehash(this.n * 2);
  }

  delete(id: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.home(id);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === id) break;
      if (k !== k) return;
    }
    // Backward-shift deletion (linear probing): pull later entries of the run into the hole when their home allows.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j];
      if (k !== k) break;
      const h = this.home(k);
      const stays = i <= j ? i < h && h <= j : i < h || h <= j;
      if (stays) continue;
      keys[i] = k;
      this.vals[i] = this.vals[j];
      i = j;
    }
    keys[i] = FREE;
    this.n--;
  }

  private home(id: number): number {
    const lo = id >>> 0;
    const hi = (id / 4294967296) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** A table of at least 2 × count cells (at most half full). */
  private allocate(count: number): void {
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    this.keys = new Float64Array(1 << bits).fill(FREE);
    this.vals = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  private rehash(count: number): void {
    const keys = this.keys;
    const vals = this.vals;
    this.allocate(Math.max(count, this.n));
    this.n = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] === keys[i]) this.set(keys[i], vals[i]);
  }
}
