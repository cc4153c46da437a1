import assert from "node:assert/strict";
import { SpanIndex } from "../../../daemon/traces/analysis/span-index.js";

describe("traces/analysis span index", () => {
  // Ids of every shape importers pass through: hex, uuids, short, long, non-ASCII, repeated.
  const ids: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    ids.push(
      i % 5 === 0 ? i.toString(16).padStart(16, "0") : i % 5 === 1 ? `toolu_${i}` : i % 5 === 2 ? `é${i}✓` : `${i}`,
    );
    if (i % 1000 === 7) ids.push(ids[i >> 1]); // a repeat: the first position wins
  }
  const expected = new Map<string, number>();
  ids.forEach((id, i) => expected.has(id) || expected.set(id, i));

  for (const [what, probes] of [
    ["hash table", 16],
    ["the Map it falls back to when ids collide", 0],
  ] as const) {
    it(`answers like a first-position Map: ${what}`, () => {
      const index = new SpanIndex(ids, probes);
      assert.equal(Reflect.get(index, "map") !== undefined, probes === 0, "the path under test is taken");
      for (const [id, at] of expected) assert.equal(index.get(id), at, id);
      assert.equal(index.repeated, true);
      const unique = [...expected.keys()];
      assert.equal(new SpanIndex(unique, probes).repeated, false);
      assert.equal(new SpanIndex([...unique, unique[unique.length >> 1]], probes).repeated, true);
      for (const missing of ["", "nope", "f".repeat(16), "toolu_", undefined]) assert.equal(index.get(missing), -1);
    });
  }

  it("handles no ids", () => {
    assert.equal(new SpanIndex([]).get("a"), -1);
    assert.equal(new SpanIndex([]).repeated, false);
  });
});
