// Canonical JSON of bodies a client wrote: "__proto__" is an ordinary key there (JSON.parse makes it an own
// property), so it must be kept, sorted and hashed like any other, and must never change a prototype.
import assert from "node:assert/strict";
import { canonicalJson, hashCanonical, sha256, sortKeys } from "../../daemon/canonical.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth, drops undefined in objects and writes null for it in arrays", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }, undefined], c: 2 } }),
      '{"a":{"c":2,"d":[1,{"z":1},null]},"b":1}',
    );
  });

  it("renders exactly what JSON.stringify renders for the same keys in sorted order", () => {
    const value = JSON.parse(
      '{"z":"\\u0000\\"\\\\\\n\\u2028😀","a":[1.5,-0,1e21,true,false,null,{}],"m":{"y":[],"x":{"q":"é"}}}',
    );
    const sorted =
      '{"a":[1.5,0,1e+21,true,false,null,{}],"m":{"x":{"q":"é"},"y":[]},"z":' + JSON.stringify(value.z) + "}";
    assert.equal(canonicalJson(value), sorted);
    assert.equal(canonicalJson([Number.NaN, Infinity, new Date(0)]), '[null,null,"1970-01-01T00:00:00.000Z"]');
  });

  it('keeps a "__proto__" key from a JSON body, in its sorted place, without touching any prototype', () => {
    const body = JSON.parse('{"b":1,"__proto__":{"polluted":true,"model":"x"},"a":{"__proto__":null}}');
    assert.equal(canonicalJson(body), '{"__proto__":{"model":"x","polluted":true},"a":{"__proto__":null},"b":1}');
    const sorted = sortKeys(body) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(sorted), Object.prototype);
    assert.ok(Object.hasOwn(sorted, "__proto__"), "the key is an own property of the sorted copy");
    assert.equal((sorted as { polluted?: unknown }).polluted, undefined, "no property came in by prototype");
    assert.equal(({} as { polluted?: unknown }).polluted, undefined, "Object.prototype is untouched");
  });

  it('hashes a body with a "__proto__" key differently from the same body without it', () => {
    const withKey = JSON.parse('{"model":"m","__proto__":{"temperature":2}}');
    const without = JSON.parse('{"model":"m"}');
    const inlined = JSON.parse('{"model":"m","temperature":2}');
    assert.notEqual(hashCanonical(withKey), hashCanonical(without));
    assert.notEqual(hashCanonical(withKey), hashCanonical(inlined));
  });

  it("hashes long strings of multi-byte characters the same whichever piece boundaries they cross", () => {
    for (const unit of ["é", "€", "a€é", "日本語"])
      for (const length of [4095, 4096, 16_383, 16_384, 16_385, 32_769, 100_001]) {
        const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
        const v = { prompt: text, n: 1, after: `${text.slice(0, 10)}!` };
        assert.equal(hashCanonical(v), sha256(canonicalJson(v)), `${unit} × ${length}`);
      }
  });

  it("hashes exactly the bytes of canonicalJson, written piece by piece (generated values)", () => {
    // A seeded generator of JSON-ish values: array-index and other keys, "__proto__", escapes, surrogates (paired and
    // lone), long strings with and without characters to escape, undefined, NaN, dates, nesting.
    let seed = 15;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const chars = ["a", "é", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u0001", "\u2028", " ", "z"];
    const text = (): string => {
      const n = rand() < 0.1 ? 5000 + Math.floor(rand() * 20_000) : Math.floor(rand() * 12);
      const plain = rand() < 0.5;
      let s = "";
      for (let i = 0; i < n; i++) s += plain ? "w" : pick(chars);
      return s;
    };
    const keys = ["a", "b", "10", "2", "0", "01", "4294967294", "4294967295", "-1", "__proto__", "", "é", "Z"];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 5 || r < 0.35)
        return pick<unknown>([text(), 0, -0, 1.5, 1e21, NaN, Infinity, true, null, undefined, new Date(0)]);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--)
        Object.defineProperty(o, pick(keys), {
          value: value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return o;
    };
    for (let i = 0; i < 500; i++) {
      const v = value(0);
      if (v === undefined) continue;
      assert.equal(hashCanonical(v), sha256(canonicalJson(v)), `value ${i}: ${canonicalJson(v).slice(0, 200)}`);
    }
  });
});
