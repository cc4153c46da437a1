// The coarse bit index against a brute-force Hamming scan: exact below its two-stage size, the planted nearest
// found above it, expired and removed entries never returned, and slots kept straight across removal and growth.
import assert from "node:assert/strict";
import { BitIndex, signBits } from "../../../daemon/cache/bit-index.js";

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
  for (let j = 0; j < a.length; j++) for (let x = (a[j] ^ b[j]) >>> 0; x; x >>>= 1) d += x & 1;
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

  it("returns the exact Hamming top-k (nearest first) in a small index", () => {
    const next = rng(7);
    const idx = new BitIndex(16);
    const entries = Array.from({ length: 900 }, (_, i) => ({ id: i + 1, bits: randomBits(16, next) }));
    for (const e of entries) idx.add(e.id, e.bits, Infinity);
    for (let q = 0; q < 20; q++) {
      const query = randomBits(16, next);
      const got = idx.search(query, 10, 0);
      const want = entries
        .map((e) => hamming(e.bits, query))
        .sort((a, b) => a - b)
        .slice(0, 10);
      assert.deepEqual(
        got.map((id) => hamming(entries[id - 1].bits, query)),
        want,
      );
    }
  });

  it("finds a planted near neighbour first among 50,000 entries (two-stage search), skipping expired and removed ones", () => {
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

  it("works for vectors shorter than the first stage (fewer than 128 dimensions)", () => {
    const next = rng(3);
    const idx = new BitIndex(2);
    const entries = Array.from({ length: 3000 }, (_, i) => ({ id: i + 1, bits: randomBits(2, next) }));
    for (const e of entries) idx.add(e.id, e.bits, Infinity);
    const query = entries[1234].bits;
    assert.equal(hamming(entries[idx.search(query, 1, 0)[0] - 1].bits, query), 0);
    assert.deepEqual(idx.search(query, 0, 0), []);
  });
});
