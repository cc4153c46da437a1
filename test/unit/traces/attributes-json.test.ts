// A served span's large attributes are written as UTF-8 bytes in pieces (daemon/traces/attributes-json.ts): the bytes
// must be exactly JSON.stringify's, for every string (escapes, pairs and lone halves at any slice edge) and value.
import assert from "node:assert/strict";
import { attributesJsonBytes, escapeAhead } from "../../../daemon/traces/attributes-json.js";
import type { Attributes } from "../../../daemon/traces/span.js";

const expected = (a: unknown) => Buffer.from(JSON.stringify(a));

describe("traces: a span's attributes as JSON bytes", () => {
  it("is JSON.stringify's UTF-8 for long strings cut anywhere: escapes, surrogate pairs and halves, U+2028", () => {
    let seed = 17;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ["a", "é", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u0000", "\u001f", "\u2028", " ", "ÿ", "中"];
    const text = (n: number) => {
      // Runs of one character, so pairs and escapes land on both sides of every 16K-character slice edge.
      let s = "";
      while (s.length < n) s += chars[Math.floor(rand() * chars.length)].repeat(1 + Math.floor(rand() * 3000));
      return s;
    };
    for (let i = 0; i < 12; i++) {
      const attributes = {
        "gen_ai.request.model": "m",
        "gen_ai.input.messages": text(40_000 + Math.floor(rand() * 300_000)),
        "gen_ai.output.messages": text(Math.floor(rand() * 40_000)),
        "hotpath.http.status": 200,
        "hotpath.stream": false,
        "gen_ai.response.finish_reasons": ["stop", "é"],
        nothing: undefined,
        [text(20)]: text(70_000),
        "gen_ai.usage.input_tokens": 1.5e-7,
      } as unknown as Attributes;
      const bytes = attributesJsonBytes(attributes);
      assert.ok(bytes, `value ${i}: written as bytes`);
      assert.ok(Buffer.from(bytes).equals(expected(attributes)), `value ${i}: ${bytes.length} bytes`);
    }
  });

  it("a long string whose slice edges fall on every side of a pair, and a string that is only escapes", () => {
    for (const offset of [0, 1, 2, 3]) {
      const s = "a".repeat(16 * 1024 - 2 + offset) + "😀".repeat(40_000);
      const attributes: Attributes = { x: s, y: '"\\\n'.repeat(30_000) };
      assert.ok(Buffer.from(attributesJsonBytes(attributes)!).equals(expected(attributes)), `offset ${offset}`);
    }
  });

  it("leaves small attributes and object values to JSON.stringify of the whole", () => {
    assert.equal(attributesJsonBytes({ a: "x".repeat(1000), b: 2 }), undefined);
    const withObject = { a: "x".repeat(100_000), o: { toJSON: (key: string) => key } } as unknown as Attributes;
    assert.equal(attributesJsonBytes(withObject), undefined);
  });

  it("each call's bytes are its own row's, however the sizes before it went", () => {
    const rows = [300_000, 70_000, 2_000_000, 80_000].map((n, i) => ({ i, content: `${i}`.repeat(n) }) as Attributes);
    for (const r of rows) assert.ok(Buffer.from(attributesJsonBytes(r)!).equals(expected(r)));
  });

  it("strings escaped ahead give the same bytes: taken once, by the same text, the oldest giving way past eight", () => {
    let seed = 5;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ["a", "😀", "\ud800", '"', "\\", "\n", "\u2028", "中"];
    const text = (n: number) => {
      let s = "";
      while (s.length < n) s += chars[Math.floor(rand() * chars.length)].repeat(1 + Math.floor(rand() * 2000));
      return s;
    };
    // Rows of two requests' content, some escaped ahead (more than eight at a time, in turns), some not, some twice.
    const rows = Array.from({ length: 30 }, (_, i) => ({
      "gen_ai.system_instructions": text(17_000 + Math.floor(rand() * 40_000)),
      "gen_ai.input.messages": text(50_000 + Math.floor(rand() * 200_000)),
      "gen_ai.output.messages": text(Math.floor(rand() * 30_000)),
      "hotpath.http.status": 200 + i,
    }));
    for (let i = 0; i < rows.length; i += 6) {
      for (const r of rows.slice(i, i + 6))
        if (rand() < 0.8) escapeAhead([r["gen_ai.system_instructions"], r["gen_ai.input.messages"]]);
      for (const r of rows.slice(i, i + 6).reverse()) {
        assert.ok(Buffer.from(attributesJsonBytes(r)!).equals(expected(r)), `row ${rows.indexOf(r)}`);
        // Again: what was escaped ahead is taken once; the second row escapes its own.
        assert.ok(Buffer.from(attributesJsonBytes(r)!).equals(expected(r)), `row ${rows.indexOf(r)} again`);
      }
    }
    // An equal text made anew (not the same string object) is the same bytes.
    const content = text(100_000);
    escapeAhead([content]);
    const copy = { x: content.split("").join("") };
    assert.ok(Buffer.from(attributesJsonBytes(copy)!).equals(expected(copy)));
    // Texts too short for the row to be written as bytes are left alone, and the row is JSON.stringify's whole.
    escapeAhead(["b".repeat(20_000)]);
    assert.equal(attributesJsonBytes({ x: "b".repeat(20_000) }), undefined);
  });

  it("a text escaped ahead from its pieces: the same bytes, wherever the pieces are cut — pairs split between them too", () => {
    let seed = 23;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ["a", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u2028", "中", "\u0001"];
    for (let i = 0; i < 40; i++) {
      let text = "";
      while (text.length < 70_000 + rand() * 150_000)
        text += chars[Math.floor(rand() * chars.length)].repeat(1 + Math.floor(rand() * 500));
      // Cut anywhere (inside a pair as often as not), empty pieces included, then concatenated as the pipeline does.
      const pieces: string[] = [];
      for (let at = 0; at < text.length;) {
        const n = rand() < 0.1 ? 0 : Math.floor(rand() * (rand() < 0.5 ? 40 : 40_000));
        pieces.push(text.slice(at, at + n));
        at += n;
      }
      let joined = "";
      for (const p of pieces) joined += p;
      assert.equal(joined, text);
      const attributes = { "gen_ai.input.messages": joined, n: i };
      escapeAhead([{ text: joined, pieces }]);
      assert.ok(Buffer.from(attributesJsonBytes(attributes)!).equals(expected(attributes)), `text ${i}`);
    }
  });
});
