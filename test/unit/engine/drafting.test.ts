// Drafting strategies that need no model: prompt lookup and the draft-length schedule.
import assert from "node:assert/strict";
import type { Token } from "node-llama-cpp";
import { DraftLength } from "../../../daemon/engine/speculative/draft-length.js";
import { PromptLookupDrafter } from "../../../daemon/engine/speculative/prompt-lookup.js";

const t = (...xs: number[]) => xs as Token[];

describe("prompt lookup drafting", () => {
  const lookup = new PromptLookupDrafter();

  it("proposes what followed the last occurrence of the longest matching suffix", () => {
    // "... 5 6 7 8 9 | 1 2 5 6 7" → the suffix 5 6 7 occurred before, followed by 8 9 1 2
    assert.deepEqual(lookup.draft(t(5, 6, 7, 8, 9, 1, 2, 5, 6, 7), 3), t(8, 9, 1));
  });

  it("prefers the most recent occurrence", () => {
    assert.deepEqual(lookup.draft(t(1, 2, 3, 9, 1, 2, 4, 1, 2), 1), t(4));
  });

  it("prefers a longer match over a more recent shorter one", () => {
    // 3 1 2 → 7 (longer, older) beats 1 2 → 8 (shorter, more recent)
    assert.deepEqual(lookup.draft(t(3, 1, 2, 7, 0, 1, 2, 8, 3, 1, 2), 1), t(7));
  });

  it("proposes nothing without a repeated n-gram of at least two tokens, and never more than asked or known", () => {
    assert.deepEqual(lookup.draft(t(1, 2, 3, 4, 5), 4), []);
    assert.deepEqual(lookup.draft(t(4, 1, 4), 4), [], "a single-token match is not used");
    assert.deepEqual(lookup.draft(t(), 4), []);
    assert.deepEqual(lookup.draft(t(1, 2, 3, 1, 2), 8), t(3, 1, 2), "the continuation stops at the end of the state");
  });
});

describe("draft length", () => {
  it("grows by 2 after a fully accepted draft up to its maximum, shrinks by 1 after a rejection down to 1", () => {
    const d = new DraftLength(4, 8);
    d.update(4, 4);
    assert.equal(d.current, 6);
    d.update(6, 6);
    d.update(8, 8);
    assert.equal(d.current, 8);
    for (let i = 0; i < 10; i++) d.update(d.current, 0);
    assert.equal(d.current, 1);
  });

  it("ignores steps where nothing was drafted", () => {
    const d = new DraftLength(4, 16);
    d.update(0, 0);
    assert.equal(d.current, 4);
  });
});
