// Positions by span id: an open-addressing hash table over a typed array. For the 100k ids of a large trace it costs
// about a third of a Map<string, number> (no entry objects, no rehashing while it grows: sized once up front).
// Ids come from files we did not write: the hash is seeded per process, and a table whose probes run long (ids made
// to collide) gives way to a Map, so hostile ids cost linear time either way.

const SEED = (Math.random() * 0x100000000) >>> 0;

export class SpanIndex {
  private readonly table: Int32Array;
  private readonly mask: number;
  private map?: Map<string, number>;
  private probes = 0;
  /** Whether some id is given at more than one position (when not, `get(ids[i])` is i). */
  readonly repeated: boolean = false;

  /**
   * `ids[i]` is the id of position i; the first position wins when an id repeats. Past `probesPerId` probes per id on
   * average (a fair hash needs about one) the ids are taken to collide on purpose and a Map answers instead.
   */
  constructor(
    private readonly ids: readonly string[],
    probesPerId = 16,
  ) {
    let cap = 16;
    while (cap < ids.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.table = new Int32Array(cap).fill(-1);
    const budget = probesPerId * ids.length + 1024;
    for (let i = 0; i < ids.length; i++) {
      const slot = this.slot(ids[i]);
      if (this.table[slot] === -1) this.table[slot] = i;
      else this.repeated = true;
      if (this.probes > budget) {
        this.map = new Map();
        for (let k = ids.length - 1; k >= 0; k--) this.map.set(ids[k], k);
        this.repeated = this.map.size < ids.length;
        return;
      }
    }
  }

  /** The position of `id`, or -1. */
  get(id: string | undefined): number {
    if (id === undefined) return -1;
    if (this.map) return this.map.get(id) ?? -1;
    return this.table[this.slot(id)];
  }

  /** The slot that holds `id`, or the empty slot where it would go (linear probing). */
  private slot(id: string): number {
    // FNV-1a over the UTF-16 code units, from a per-process basis.
    let h = 0x811c9dc5 ^ SEED;
    for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
    h ^= h >>> 15;
    let slot = h & this.mask;
    for (let at = this.table[slot]; at !== -1 && this.ids[at] !== id; at = this.table[slot]) {
      slot = (slot + 1) & this.mask;
      this.probes++;
    }
    return slot;
  }
}
