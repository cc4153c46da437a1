// The blocks an upload is copied into on the daemon's thread (daemon/traces/import/upload-blocks.ts): kept between
// imports and filled again, never one block twice, never more than one upload fills at once.
import assert from "node:assert/strict";
import {
  BLOCK_BYTES,
  keepBlock,
  KEPT_BLOCKS,
  spareBlockCount,
  takeBlock,
  warmBlocks,
} from "../../daemon/traces/import/upload-blocks.js";

/** Empties the kept blocks (this process's other tests may have left some) and returns them. */
function drain(): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (spareBlockCount() > 0) out.push(takeBlock());
  return out;
}

describe("traces: upload blocks", function () {
  afterEach(() => drain());

  it("a block kept is the next one taken; with none kept a new one is made", function () {
    drain();
    const fresh = takeBlock();
    assert.equal(fresh.length, BLOCK_BYTES);
    keepBlock(fresh);
    assert.equal(spareBlockCount(), 1);
    assert.equal(takeBlock(), fresh, "filled again, not made anew");
    assert.equal(spareBlockCount(), 0);
    assert.notEqual(takeBlock(), fresh);
  });

  it("keeps only whole blocks, each once, up to as many as one upload fills at once", function () {
    drain();
    const block = takeBlock();
    keepBlock(block.subarray(0, 1000)); // a last, partial block as sent: the parse hands back the whole buffer
    keepBlock(block.subarray(1));
    keepBlock(new Uint8Array(BLOCK_BYTES - 1));
    assert.equal(spareBlockCount(), 0, "not a whole block");
    keepBlock(block);
    keepBlock(block); // an upload that ended and was then aborted gives its block back twice
    assert.equal(spareBlockCount(), 1, "one block kept twice would be filled by two uploads at once");
    for (let i = 0; i < KEPT_BLOCKS + 3; i++) keepBlock(new Uint8Array(BLOCK_BYTES));
    assert.equal(spareBlockCount(), KEPT_BLOCKS, "as many as one upload fills at once");
    const taken = drain();
    assert.equal(new Set(taken).size, taken.length);
  });

  it("makes the blocks ahead of an upload one per turn of the event loop, up to the bound", async function () {
    drain();
    keepBlock(new Uint8Array(BLOCK_BYTES));
    warmBlocks();
    const afterFirst = spareBlockCount();
    assert.equal(afterFirst, 2, "one block now, the next on a later turn (the loop is not held ~25 ms)");
    let turns = 0;
    while (spareBlockCount() < KEPT_BLOCKS && turns < 100) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    assert.equal(spareBlockCount(), KEPT_BLOCKS);
    assert.ok(turns >= KEPT_BLOCKS - 2, `made over ${turns} turns`);
    await new Promise((r) => setImmediate(r));
    assert.equal(spareBlockCount(), KEPT_BLOCKS, "not past the bound");
    for (const b of drain()) assert.equal(b.length, BLOCK_BYTES);
  });
});
