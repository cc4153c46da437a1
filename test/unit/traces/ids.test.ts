// Derived ids key the rows of every imported trace: importing a file again must write the same ids, so they must never
// change. Pinned to what they have been since the first import (SHA-256 of the parts, each followed by a NUL, in hex).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deriveSpanId, deriveTraceId } from "../../../daemon/traces/ids.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("traces/ids: derived ids", () => {
  it("are the SHA-256 of the parts, each followed by a NUL: 32 hex chars for a trace, 16 for a span", () => {
    assert.equal(deriveTraceId("claude-code", "bench-session", ""), "02785b874e9ba84a28719043f47944ce");
    assert.equal(deriveSpanId("0123456789abcdef0123456789abcdef", "main", "tool", "toolu_1_0"), "6cbfbab9d37e5e69");
    for (const parts of [
      ["claude-code", "bench-session", ""],
      ["0123456789abcdef0123456789abcdef", "main", "tool", "toolu_1_0"],
      ["ü ✓ 😀", ""],
      [""],
    ]) {
      const hex = sha(parts.map((p) => `${p}\u0000`).join(""));
      assert.equal(deriveTraceId(...parts), hex.slice(0, 32), parts.join("|"));
      assert.equal(deriveSpanId(...parts), hex.slice(0, 16), parts.join("|"));
    }
  });
});
