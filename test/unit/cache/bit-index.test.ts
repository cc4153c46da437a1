// The coarse bit index against a brute-force Hamming scan over all bits: the same k ids (ties by id) on random and
// clustered data, small (JavaScript scan) and past WASM_FROM (WebAssembly SIMD scan, with its early stop per block),
// through removals, expiry and growth; and the id → slot table against a Map.
import assert from "node:assert/strict";
import { BitIndex, signBits, WASM_FROM } from "../../../daemon/cache/bit-index.js";
import { hasScanKernel } from "../../../daemon/cache/hamming-scan.js";
import { IdSlots } from "../../../daemon/cache/id-slots.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function randomBits(words: number, next: () => number): Uint32Array {
  const out = new Uint32Array(words);
  for (let j = 0; j < words; j++) out[j] = Math.floor(next() * 2 ** 32);
  return out;
}

function hamming(a: Uint32Array, b: Uint32Array): number {
  let d = 0;
  for (let j = 0; j < a.length; j++) {
    let x = (a[j] ^ b[j]) >>> 0;
    for (; x; d++) x &= x - 1;
  }
  return d;
}

/** Flips `flips` distinct bits of `bits`. */
function near(bits: Uint32Array, flips: number, next: () => number): Uint32Array {
  const out = bits.slice();
  const done = new Set<number>();
  while (done.size < flips) {
    const b = Math.floor(next() * bits.length * 32);
    if (done.has(b)) continue;
    done.add(b);
    out[b >>> 5] ^= 1 << (b & 31);
  }
  return out;
}

interface Entry {
  id: number;
  bits: Uint32Array;
  expires: number;
}

/** What an exhaustive scan returns: live entries by (distance over all bits, id), the first k. */
function bruteForce(entries: Iterable<Entry>, query: Uint32Array, k: number, now: number): number[] {
  return [...entries]
    .filter((e) => e.expires > now)
    .map((e) => ({ id: e.id, d: hamming(e.bits, query) }))
    .sort((a, b) => a.d - b.d || a.id - b.id)
    .slice(0, k)
    .map((e) => e.id);
}

/**
 * Entries around a few centres (each a few to ~70 bits from its centre, like sentence embeddings of one topic), some
 * exact duplicates (ties), and random ones; queries near a centre, near an entry, or random.
 */
function dataset(n: number, words: number, seed: number, clustered: boolean) {
  const next = rng(seed);
  const centres = Array.from({ length: 40 }, () => randomBits(words, next));
  const entries = new Map<number, Entry>();
  for (let i = 0; i < n; i++) {
    const id = 1 + Math.floor(next() * 1e9); // rowids are not dense
    let bits: Uint32Array;
    const r = next();
    if (!clustered || r < 0.2) bits = randomBits(words, next);
    else if (r < 0.25 && entries.size) bits = [...entries.values()][Math.floor(next() * entries.size)].bits.slice();
    else bits = near(centres[Math.floor(next() * centres.length)], Math.floor(next() * words * 4), next);
    entries.set(id, { id, bits, expires: next() < 0.1 ? 1_000 : Infinity });
  }
  const query = () => {
    const r = next();
    if (r < 0.4) return near(centres[Math.floor(next() * centres.length)], Math.floor(next() * words * 3), next);
    if (r < 0.8)
      return near([...entries.values()][Math.floor(next() * entries.size)].bits, Math.floor(next() * 20), next);
    return randomBits(words, next);
  };
  return { entries, query, next };
}

function checkAgainstBruteForce(n: number, words: number, seed: number, clustered: boolean): void {
  const { entries, query, next } = dataset(n, words, seed, clustered);
  const idx = new BitIndex(words);
  for (const e of entries.values()) idx.add(e.id, e.bits, e.expires);
  const ids = [...entries.keys()];
  for (let round = 0; round < 3; round++) {
    assert.equal(idx.count, entries.size);
    for (let q = 0; q < 12; q++) {
      const qb = query();
      const want = bruteForce(entries.values(), qb, 300, 5_000);
      for (const k of [1, 8, 32, 300]) assert.deepEqual(idx.search(qb, k, 5_000), want.slice(0, k), `n=${n} k=${k}`);
    }
    // Remove a tenth, re-add some with other bits, expire some: the index must follow.
    for (let i = 0; i < n / 10; i++) {
      const id = ids[Math.floor(next() * ids.length)];
      idx.remove(id);
      entries.delete(id);
      if (next() < 0.5) {
        const e = { id, bits: randomBits(words, next), expires: next() < 0.5 ? 1_000 : Infinity };
        idx.add(id, e.bits, e.expires);
        entries.set(id, e);
      }
    }
  }
}

describe("cache bit index", () => {
  it("packs sign bits 32 to a word, dimension i at bit i mod 32", () => {
    const v = new Float32Array(64);
    v[0] = 1;
    v[31] = 0.5;
    v[33] = 2;
    v[40] = -1;
    const bits = signBits(v);
    assert.deepEqual([...bits], [(1 | (1 << 31)) >>> 0, 2]);
  });

  it("the WebAssembly SIMD scan is available on this engine", () => {
    assert.ok(hasScanKernel(), "Node 20's V8 runs WebAssembly SIMD; without it every index scans in JavaScript");
  });

  it("returns what a brute-force scan returns: small index, random data (JavaScript scan)", () => {
    checkAgainstBruteForce(900, 16, 7, false);
  });

  it("returns what a brute-force scan returns: small index, clustered data with duplicates", () => {
    checkAgainstBruteForce(2_000, 16, 8, true);
  });

  it("returns what a brute-force scan returns past WASM_FROM: random data (SIMD scan)", function () {
    this.timeout(60_000);
    checkAgainstBruteForce(WASM_FROM * 3, 16, 9, false);
  });

  it("returns what a brute-force scan returns past WASM_FROM: clustered data with duplicates", function () {
    this.timeout(60_000);
    checkAgainstBruteForce(WASM_FROM * 3, 16, 10, true);
  });

  it("works at other widths: 64 and 520 dimensions, and 1024 (more than one 128-row chunk)", function () {
    this.timeout(60_000);
    checkAgainstBruteForce(WASM_FROM + 100, 2, 11, true);
    checkAgainstBruteForce(WASM_FROM + 100, 17, 12, true);
    checkAgainstBruteForce(WASM_FROM + 100, 32, 13, true);
  });

  it("finds a planted near neighbour among 50,000 entries, skipping expired and removed ones", () => {
    const next = rng(11);
    const idx = new BitIndex(16);
    const entries: Uint32Array[] = [];
    for (let i = 0; i < 50_000; i++) {
      const b = randomBits(16, next);
      entries.push(b);
      idx.add(i + 1, b, i % 2 ? 1_000 : Infinity);
    }
    assert.equal(idx.count, 50_000);
    for (let q = 0; q < 10; q++) {
      const target = 2 * Math.floor(next() * 20_000) + 1; // ids 1, 3, 5 …: never expire
      const query = near(entries[target - 1], 20, next);
      assert.equal(idx.search(query, 8, 5_000)[0], target);
      // A planted twin that expired is never returned, though it is nearer.
      const expiredTwin = target + 1;
      idx.add(expiredTwin, query, 1_000);
      assert.equal(idx.search(query, 8, 5_000)[0], target);
      assert.ok(!idx.search(query, 32, 5_000).includes(expiredTwin));
      // Removed: gone, and the entry moved into its slot is still found.
      idx.remove(target);
      const after = idx.search(query, 32, 5_000);
      assert.ok(!after.includes(target));
      idx.add(target, entries[target - 1], Infinity);
      assert.equal(idx.search(query, 8, 5_000)[0], target);
    }
    // Removing the last slot and re-adding keeps the count right.
    idx.remove(50_000);
    idx.remove(50_000);
    assert.equal(idx.count, 50_000 - 1);
  });

  it("reserve sizes the index once and keeps what it holds", () => {
    const next = rng(5);
    const idx = new BitIndex(16);
    const entries = new Map<number, Entry>();
    for (let i = 1; i <= 100; i++) {
      const e = { id: i, bits: randomBits(16, next), expires: Infinity };
      entries.set(i, e);
      idx.add(i, e.bits, e.expires);
    }
    idx.reserve(20_000);
    for (let i = 101; i <= 20_000; i++) {
      const e = { id: i, bits: randomBits(16, next), expires: Infinity };
      entries.set(i, e);
      idx.add(i, e.bits, e.expires);
    }
    const q = randomBits(16, next);
    assert.deepEqual(idx.search(q, 20, 0), bruteForce(entries.values(), q, 20, 0));
  });

  it("k larger than the index, and k = 0", () => {
    const next = rng(3);
    const idx = new BitIndex(2);
    const entries = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, bits: randomBits(2, next), expires: Infinity }));
    for (const e of entries) idx.add(e.id, e.bits, Infinity);
    const query = entries[12].bits;
    assert.deepEqual(idx.search(query, 100, 0), bruteForce(entries, query, 100, 0));
    assert.deepEqual(idx.search(query, 0, 0), []);
  });

  it("the id → slot table agrees with a Map through inserts, updates and deletes", () => {
    const next = rng(21);
    const table = new IdSlots();
    const map = new Map<number, number>();
    for (let i = 0; i < 200_000; i++) {
      const id = Math.floor(next() * 5_000) * (next() < 0.5 ? 1 : 2 ** 33); // small ids and ids past 2^32
      const r = next();
      if (r < 0.6) {
        table.set(id, i);
        map.set(id, i);
      } else if (r < 0.9) {
        table.delete(id);
        map.delete(id);
      }
      if (i % 1000 === 0) assert.equal(table.size, map.size);
    }
    for (let id = 0; id < 5_000; id++) {
      assert.equal(table.get(id), map.get(id) ?? -1);
      assert.equal(table.get(id * 2 ** 33), map.get(id * 2 ** 33) ?? -1);
    }
  });
});
