// A span's content attributes are capped without writing the JSON text past the cap (issue #15): the result must be
// exactly what capping the whole JSON.stringify text gave, for every value and cut point.
import assert from "node:assert/strict";
import { capText, cappedContent } from "../../../daemon/pipeline/content-cap.js";

/** What the span stored before: the whole text, then its first `max` characters. */
const before = (value: unknown, max: number) =>
  capText(typeof value === "string" ? value : (JSON.stringify(value) ?? ""), max);

describe("span content cap", () => {
  it("keeps short values whole and caps long ones with the count of characters cut", () => {
    const messages = [{ role: "user", content: "hi" }];
    assert.equal(cappedContent(messages, 1000), JSON.stringify(messages));
    const long = [{ role: "system", content: "word ".repeat(100_000) }];
    const capped = cappedContent(long, 256 * 1024);
    assert.equal(capped, before(long, 256 * 1024));
    assert.match(capped, /…\[truncated 2\d{5} chars\]$/);
  });

  it("is what capping JSON.stringify gives, cut anywhere: escapes, surrogate pairs and halves, toJSON, undefined", () => {
    let seed = 15;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const chars = ["a", "é", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u0001", "\u001f", "\b", "\u2028", " "];
    const text = (): string => {
      const n = rand() < 0.15 ? 4000 + Math.floor(rand() * 9000) : Math.floor(rand() * 12);
      const plain = rand() < 0.4;
      let s = "";
      for (let i = 0; i < n; i++) s += plain ? "w" : pick(chars);
      return s;
    };
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 4 || r < 0.35)
        return pick<unknown>([
          text(),
          0,
          -0,
          1.5,
          NaN,
          true,
          null,
          undefined,
          new Date(0),
          () => 1,
          { toJSON: () => undefined },
        ]);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--) o[pick(["a", "b", "10", "2", "__x", "é"])] = value(depth + 1);
      return o;
    };
    let checked = 0;
    for (let i = 0; i < 200; i++) {
      const v = [value(0), value(1)];
      const full = JSON.stringify(v);
      for (const max of [0, 1, 7, 100, 4096, 5000, Math.floor(full.length / 2), full.length - 1, full.length, 1e6]) {
        assert.equal(cappedContent(v, max), before(v, max), `value ${i}, cap ${max}`);
        checked++;
      }
    }
    assert.ok(checked >= 2000);
  });
});
