import assert from "node:assert/strict";
import { chooseSlot, lossOf, type SlotView } from "../../../daemon/engine/prefix/eviction.js";
import { commonPrefix, prefixFacts } from "../../../daemon/engine/prefix/divergence.js";

const empty = (): SlotView => ({ length: 0, shared: 0, hits: 0, lastUsed: 0 });

describe("prefix eviction: which sequence a request takes", () => {
  it("continues a conversation on the sequence that holds it", () => {
    const slots = [
      { length: 1600, shared: 1600, hits: 2, lastUsed: 10 },
      empty(),
      { length: 900, shared: 3, hits: 1, lastUsed: 20 },
    ];
    for (const canCopy of [true, false])
      assert.deepEqual(chooseSlot(slots, canCopy), { target: 0, donor: 0, reused: 1600 });
  });

  it("a new conversation goes to an empty sequence, never over another conversation's history", () => {
    // Both resident conversations share the 3-token template start with the new prompt: not worth destroying them.
    const slots = [
      { length: 1600, shared: 3, hits: 2, lastUsed: 10 },
      { length: 900, shared: 3, hits: 0, lastUsed: 20 },
      empty(),
    ];
    for (const canCopy of [true, false]) assert.equal(chooseSlot(slots, canCopy)!.target, 2);
  });

  it("a new conversation sharing a system prompt copies it into a free sequence instead of cutting the owner's history", () => {
    const slots = [{ length: 1700, shared: 1500, hits: 1, lastUsed: 10 }, empty()];
    assert.deepEqual(chooseSlot(slots, true), { target: 1, donor: 0, reused: 1500 });
    // Without copying, 1500 tokens saved now outweigh 200 tokens of history lost.
    assert.deepEqual(chooseSlot(slots, false), { target: 0, donor: 0, reused: 1500 });
  });

  it("when all sequences are full, evicts the least valuable: stale, short, never reused", () => {
    const slots = [
      { length: 800, shared: 0, hits: 3, lastUsed: 50 }, // reused often, recent
      { length: 800, shared: 0, hits: 0, lastUsed: 10 }, // never reused, oldest
      { length: 800, shared: 0, hits: 0, lastUsed: 40 },
    ];
    assert.equal(chooseSlot(slots, true)!.target, 1);
    assert.equal(chooseSlot(slots, false)!.target, 1);
    // A much shorter one is cheaper to lose even when more recent.
    const withShort = [...slots, { length: 50, shared: 0, hits: 0, lastUsed: 45 }];
    assert.equal(chooseSlot(withShort, true)!.target, 3);
  });

  it("8 interleaved sessions over 8 sequences each keep their own sequence", () => {
    const slots: { tokens: string; lastUsed: number; hits: number }[] = Array.from({ length: 8 }, () => ({
      tokens: "",
      lastUsed: 0,
      hits: 0,
    }));
    const owner = new Map<number, number>();
    let t = 1;
    for (let step = 0; step < 5; step++) {
      for (let s = 0; s < 8; s++) {
        // Every session: the same 1000-token system prompt, then its own text growing each step.
        const prompt = "S".repeat(1000) + String.fromCharCode(65 + s).repeat(20 + step * 30);
        const views = slots.map((sl) => ({
          length: sl.tokens.length,
          shared: commonPrefix([...sl.tokens] as any, [...prompt] as any),
          hits: sl.hits,
          lastUsed: sl.lastUsed,
        }));
        const c = chooseSlot(views, true)!;
        if (step > 0) assert.equal(c.target, owner.get(s), `session ${s} step ${step} stays on its sequence`);
        if (step > 0) assert.equal(c.reused, prompt.length - 30, "reuses all of its previous prompt");
        owner.set(s, c.target);
        slots[c.target] = { tokens: prompt, lastUsed: t++, hits: slots[c.target].hits + (c.reused > 0 ? 1 : 0) };
      }
    }
    assert.equal(new Set(owner.values()).size, 8);
  });

  it("loss is zero for what is kept, grows with reuse and shrinks with age rank", () => {
    assert.equal(lossOf({ length: 100, shared: 100, hits: 0, lastUsed: 1 }, 100, 0), 0);
    assert.ok(
      lossOf({ length: 100, shared: 0, hits: 2, lastUsed: 1 }, 0, 0) >
        lossOf({ length: 100, shared: 0, hits: 0, lastUsed: 1 }, 0, 0),
    );
    assert.ok(
      lossOf({ length: 100, shared: 0, hits: 0, lastUsed: 1 }, 0, 3) <
        lossOf({ length: 100, shared: 0, hits: 0, lastUsed: 1 }, 0, 0),
    );
  });
});

describe("prefix divergence facts", () => {
  const detok = (t: readonly unknown[]) => t.map((x) => String.fromCharCode(x as number)).join("");
  const toks = (s: string) => [...s].map((c) => c.charCodeAt(0)) as any[];

  it("records where the prompt stopped matching and the text on both sides", () => {
    const f = prefixFacts(toks("system: time 10:31 tools"), toks("system: time 10:32 tools"), 17, detok);
    assert.equal(f.divergedAt, 17);
    assert.equal(f.before, "1 tools");
    assert.equal(f.after, "2 tools");
    assert.equal(f.reusedTokens, 17);
  });

  it("a pure extension of the previous prompt is no divergence", () => {
    const f = prefixFacts(toks("abc"), toks("abcdef"), 3, detok);
    assert.equal(f.divergedAt, undefined);
    assert.equal(f.promptTokens, 6);
  });
});
