// Token counts with OpenAI's BPE: exact on ordinary text, and linear on runs the pre-tokenizer keeps whole (byte-pair
// merging a piece costs the square of its length: 83,000 x's held the event loop 2.2 s).
import assert from "node:assert/strict";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { countBpe, estimateCounter } from "../../../daemon/audit/tokens.js";

describe("audit token counts (BPE)", () => {
  it("equals the encoder's count on ordinary text, code and long mixed lines", () => {
    const texts = [
      "",
      "Be brief.",
      '# Role\nYou are a careful assistant. Answer in JSON: {"a": [1, 2, 3]}\n\n## Rules\n- one\n- two\n'.repeat(40),
      "https://example.com/" + "a1-b2_c3/".repeat(200),
      "naïve café 😀 日本語のテキスト ".repeat(100),
    ];
    for (const t of texts) assert.equal(countBpe(encode, t), encode(t).length, JSON.stringify(t.slice(0, 40)));
  });

  it("counts one-class runs in slices, within a token per 256 characters of the run", () => {
    for (const unit of ["x", " ", "-", "\u{1F600}", "é"]) {
      const text = `before ${unit.repeat(600)} after`;
      const exact = encode(text).length;
      assert.ok(
        Math.abs(countBpe(encode, text) - exact) <= Math.ceil(600 / 256) + 1,
        `${JSON.stringify(unit)}: ${countBpe(encode, text)} vs ${exact}`,
      );
    }
    // 200,000 letters: seconds of merging in one piece; in slices, the count of one slice times the slices.
    const slices = Math.ceil(200_000 / 256);
    assert.equal(
      estimateCounter().count("y".repeat(200_000)),
      countBpe(encode, "y".repeat(256)) * (slices - 1) + countBpe(encode, "y".repeat(200_000 - 256 * (slices - 1))),
    );
  });
});
