import assert from "node:assert/strict";
import { alignedPromptStart, KV_PAD_CELLS } from "../../../daemon/engine/prefix/alignment.js";

describe("prompt alignment: where a prompt's batches start after a reused prefix", () => {
  const batch = 512;

  it("a prompt evaluated from the start, or from a prefix already on a multiple of the padding, is left as it is", () => {
    for (const reused of [0, KV_PAD_CELLS, 2 * KV_PAD_CELLS, 7 * KV_PAD_CELLS])
      assert.equal(alignedPromptStart(reused, reused + 3000, batch), reused);
  });

  it("after a prefix off the padding, the rest starts at the next multiple when it spans more than one batch", () => {
    assert.equal(alignedPromptStart(3, 2048, batch), 256);
    assert.equal(alignedPromptStart(100, 2048, batch), 256);
    assert.equal(alignedPromptStart(300, 2048, batch), 512);
    assert.equal(alignedPromptStart(1500, 1500 + batch + 1, batch), 1536);
  });

  it("a rest that fits one batch ends at the prompt's end anyway: no split", () => {
    assert.equal(alignedPromptStart(3, 3 + batch, batch), 3);
    assert.equal(alignedPromptStart(2, 512, batch), 2);
  });

  it("batches that would not stay on multiples (a batch size off the padding) are not split", () => {
    assert.equal(alignedPromptStart(3, 4000, 300), 3);
  });

  it("every batch of the rest ends on a multiple of the padding, and tokens always remain after the split", () => {
    // Generated cases: every prefix length up to four paddings, prompts up to 4 batches past it.
    for (const size of [256, 512, 1024])
      for (let reused = 0; reused < 4 * KV_PAD_CELLS; reused += 7)
        for (const rest of [1, size - 1, size, size + 1, 3 * size + 17]) {
          const length = reused + rest;
          const start = alignedPromptStart(reused, length, size);
          assert.ok(start >= reused && start < length, `reused ${reused}, length ${length}: start ${start}`);
          if (start === reused && rest > size) assert.equal(reused % KV_PAD_CELLS, 0);
          // The batches node-llama-cpp cuts from `start`: all but the last end on a multiple.
          for (let end = start + size; end < length; end += size)
            assert.equal(end % KV_PAD_CELLS, 0, `${reused}/${length}`);
        }
  });
});
