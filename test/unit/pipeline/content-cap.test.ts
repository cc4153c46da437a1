// A span's content attributes are capped without writing the JSON text past the cap (issue #15): the result must be
// exactly what capping the whole JSON.stringify text gave, for every value and cut point.
import assert from "node:assert/strict";
import {
  capText,
  cappedContent,
  cappedContentPieces,
  hasStringChars,
  jsonLengthBound,
} from "../../../daemon/pipeline/content-cap.js";

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
      // The length bound that picks the whole text's stringify must never be below it.
      assert.ok(jsonLengthBound(v, Infinity) >= full.length, `value ${i}: bound below ${full.length}`);
      for (const max of [0, 1, 7, 100, 4096, 5000, Math.floor(full.length / 2), full.length - 1, full.length, 1e6]) {
        // Both ways: stringified whole (the value's bound is within the default), and by the prefix writer (none is).
        assert.equal(cappedContent(v, max), before(v, max), `value ${i}, cap ${max}`);
        assert.equal(cappedContent(v, max, 0), before(v, max), `value ${i}, cap ${max}, prefix writer`);
        // In pieces: the same text, and where it has pieces, they are that text cut (an array's or object's members).
        for (const value of [v, v[0], v[1], { v0: v[0], v1: v[1], skipped: undefined }]) {
          const { text, pieces } = cappedContentPieces(value, max);
          assert.equal(text, before(value, max), `value ${i}, cap ${max}, in pieces`);
          if (pieces) assert.equal(pieces.join(""), text, `value ${i}, cap ${max}: the pieces`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 2000);
  });

  it("bounds JSON's length from above for every kind of value, and gives up on what is not plain JSON data", () => {
    const values: unknown[] = [
      -1.2345678901234567e308,
      5e-324,
      -0,
      NaN,
      Infinity,
      2 ** 53 + 2,
      "\u0000".repeat(3),
      '\u0001\ud800\udc00\udfff\u2028"\\',
      "plain",
      [undefined, () => 1, Symbol("s"), null, true],
      { a: undefined, b: () => 1, ["\u0001".repeat(5)]: "x", é: [[[]]] },
      Object.assign(Object.create(null), { k: 1 }),
      Object.assign(Object.create({ inherited: "x".repeat(100) }), { own: 1 }),
    ];
    for (const v of values) {
      const text = JSON.stringify([v]);
      assert.ok(jsonLengthBound([v], Infinity) >= text.length, `${text}: bound ${jsonLengthBound([v], Infinity)}`);
    }
    // Not bounded (the prefix writer takes them): toJSON, boxed values, class instances, bigint, deep nesting.
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    for (const v of [new Date(0), Object(123456), new (class {})(), 10n, deep, { x: [new Map()] }])
      assert.equal(jsonLengthBound(v, Infinity), Infinity, String(v));
    // Past the budget it stops counting: Infinity, not the length.
    assert.equal(jsonLengthBound(["x".repeat(1000)], 500), Infinity);
  });

  it("writes only the cap's prefix of a value too large to stringify whole, the same text as capping it whole", () => {
    // 700k characters of code (quotes, newlines): bounded at 6 per character, past the 4M a whole stringify may take.
    const code = 'if (a) {\n  return "b";\n}\n'.repeat(28_000);
    const messages = [
      { role: "user", content: code },
      { role: "assistant", content: "short" },
    ];
    assert.ok(jsonLengthBound(messages, Infinity) > 4 * 1024 * 1024);
    assert.equal(cappedContent(messages, 256 * 1024), before(messages, 256 * 1024));
  });

  it("hasStringChars: whether a value's strings (keys included) hold that many characters, on random values", () => {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.3) return "x".repeat(Math.floor(rand() * 2000));
      if (r < 0.4) return rand() < 0.5 ? 42 : null;
      if (r < 0.7) return Array.from({ length: Math.floor(rand() * 6) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    const chars = (v: unknown): number =>
      typeof v === "string"
        ? v.length
        : Array.isArray(v)
          ? v.reduce((n: number, x) => n + chars(x), 0)
          : v && typeof v === "object"
            ? Object.entries(v).reduce((n, [k, x]) => n + k.length + chars(x), 0)
            : 0;
    for (let i = 0; i < 300; i++) {
      const v = value(0);
      const n = chars(v);
      for (const atLeast of [1, n, n + 1, Math.floor(n / 2), 64 * 1024])
        assert.equal(hasStringChars(v, atLeast), n >= atLeast, `value ${i}: ${n} characters, at least ${atLeast}?`);
    }
    // Never below what JSON.stringify writes: a lower bound of the text's length.
    const messages = [{ role: "user", content: "é\n".repeat(40_000) }];
    assert.ok(hasStringChars(messages, 80_000) && JSON.stringify(messages).length >= 80_000);
  });
});
