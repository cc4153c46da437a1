// Which resident sequence a request takes, and whose KV prefix it starts from. Pure: the pool feeds it numbers.
//
// Every request reuses the longest prefix any free sequence holds (the donor). Where that prefix then lives is a
// separate choice: the target is the free sequence whose loss hurts least, so a new conversation lands in an empty
// sequence (or a stale one) instead of overwriting another conversation's history — and when the target is not the
// donor, the donor's prefix is copied into it (KV cells are shared, not recomputed).

export interface SlotView {
  /** Tokens currently in this sequence's KV cache. */
  length: number;
  /** Tokens of the new prompt this sequence already holds (common prefix). */
  shared: number;
  /** Requests that reused at least half of what this sequence held. */
  hits: number;
  /** Monotonic time of the last release; 0 = never used. */
  lastUsed: number;
}

export interface SlotChoice {
  /** Index of the sequence the request runs on. */
  target: number;
  /** Index of the sequence whose prefix is reused (equal to target when no copy is needed). */
  donor: number;
  /** Prompt tokens the request can reuse. */
  reused: number;
}

/**
 * Expected cost of destroying the tokens of `slot` past `keep`: tokens lost, weighted by how likely they are to be
 * asked for again — more when the sequence was reused before, less the longer ago it was used relative to others.
 */
export function lossOf(slot: SlotView, keep: number, recencyRank: number): number {
  const lost = Math.max(0, slot.length - keep);
  if (lost === 0) return 0;
  return (lost * (1 + Math.min(slot.hits, 3))) / (1 + recencyRank);
}

/**
 * Picks target and donor among free slots. `canCopy` says whether KV state can be copied between sequences (not
 * with token predictors); without it the request runs on the slot with the best reused-minus-loss score.
 */
export function chooseSlot(slots: readonly SlotView[], canCopy: boolean): SlotChoice | undefined {
  if (slots.length === 0) return undefined;
  const ranks = recencyRanks(slots);
  if (canCopy) {
    let donor = 0;
    for (let i = 1; i < slots.length; i++) if (slots[i].shared > slots[donor].shared) donor = i;
    const reused = slots[donor].shared;
    // Lowest loss first; ties: the donor itself (no copy), then the longer own prefix, then the least recently used.
    // Keeping a slot's own shared part is free (a copy restores up to `reused` anyway).
    const key = (i: number) => [
      lossOf(slots[i], slots[i].shared, ranks[i]),
      i === donor ? 0 : 1,
      -slots[i].shared,
      slots[i].lastUsed,
    ];
    let target = 0;
    for (let i = 1; i < slots.length; i++) if (lexLess(key(i), key(target))) target = i;
    return { target, donor: slots[target].shared >= reused ? target : donor, reused };
  }
  let target = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < slots.length; i++) {
    const score = slots[i].shared - lossOf(slots[i], slots[i].shared, ranks[i]);
    if (score > bestScore || (score === bestScore && slots[i].lastUsed < slots[target].lastUsed)) {
      target = i;
      bestScore = score;
    }
  }
  return { target, donor: target, reused: slots[target].shared };
}

/** 0 for the most recently used non-empty slot, 1 for the next, …; empty slots rank last. */
function recencyRanks(slots: readonly SlotView[]): number[] {
  const order = slots.map((s, i) => ({ i, t: s.length > 0 ? s.lastUsed : -Infinity })).sort((a, b) => b.t - a.t);
  const ranks = new Array<number>(slots.length);
  order.forEach((o, rank) => (ranks[o.i] = rank));
  return ranks;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k] < b[k];
  return false;
}
