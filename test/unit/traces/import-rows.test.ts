// Rows packed by an import's parsing thread (bytes + layout) store exactly what the same rows as strings store.
import assert from "node:assert/strict";
import { openDb, type Db } from "../../../daemon/db.js";
import { forEachPackedRow, packRows, packSpans, type PackedRows } from "../../../daemon/traces/import/rows.js";
import { ROW_WIDTH, toRow, TraceStore } from "../../../daemon/traces/store.js";
import type { Span } from "../../../daemon/traces/span.js";

/** A row's text values as their UTF-8 bytes (a lone surrogate as U+FFFD, as SQLite stores it), numbers and nulls as they are. */
const rowBytes = (row: readonly (string | number | null)[]) =>
  row.map((v) => (typeof v === "string" ? Buffer.from(v, "utf8") : v));

/** The rows forEachPackedRow gives, each text value as a Buffer of its own (not a view of the batch's bytes). */
function unpacked(p: PackedRows): (Buffer | number | null)[][] {
  const rows: (Buffer | number | null)[][] = [];
  forEachPackedRow(p, (row) =>
    rows.push(
      row.map((v) => (typeof v === "string" ? Buffer.from(v, "utf8") : v instanceof Uint8Array ? Buffer.from(v) : v)),
    ),
  );
  return rows;
}

/**
 * Pseudo-random whole numbers below 2^32 from a seed (xorshift32): a linear congruential step in floating point loses
 * its low bits past 2^53, and `% n` of what is left repeats a few values.
 */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

describe("traces/import/rows: packed span rows", () => {
  it("store the same values, types included, as the rows given as strings", () => {
    const traceId = "ef".repeat(16);
    const span = (spanId: string, extra: Partial<Span>, attributes: Record<string, unknown>): Span => ({
      traceId,
      spanId,
      name: `s${spanId}`,
      kind: "tool",
      startNs: 1.7e18 + 0.4,
      endNs: 1.7e18 + 2e6,
      status: "ok",
      ...extra,
      attributes: attributes as Span["attributes"],
    });
    const spans: Span[] = [
      span("a1", { name: "", statusMessage: "" }, { empty: "", s: "ascii" }),
      span("a2", { parentSpanId: "a1", requestId: "r-1" }, { u: "é✓😀 \u2028 \ud800 lone", n: -0, big: 2 ** 60 }),
      span("a3", { status: "error", statusMessage: "boom ✗" }, { "gen_ai.request.model": "m", xs: [1, "x", true] }),
      span("a1", { startNs: -0.4, endNs: 0 }, { again: "the same id: replaces" }),
      ...Array.from({ length: 300 }, (_, i) => span(`b${i}`, {}, { long: "y".repeat(i * 37), i })),
    ];
    const stores = [openDb(":memory:"), openDb(":memory:"), openDb(":memory:")].map((db) => ({
      db,
      store: new TraceStore(db),
    }));
    const rows = spans.map((s) => toRow(s, 5000));
    for (const [k, { db, store }] of stores.entries()) {
      const w = store.importWriter(rows.length);
      db.transaction(() => {
        if (k === 0) for (const r of rows) w.row(r);
        else if (k === 1)
          for (let i = 0; i < rows.length; i += 128) forEachPackedRow(packRows(rows.slice(i, i + 128)), w.packedRow);
        else
          for (let i = 0; i < spans.length; i += 128)
            forEachPackedRow(packSpans(spans, i, Math.min(spans.length, i + 128), 5000), w.packedRow);
        w.endTrace({ source: "import:test", origin: "t", name: "n" });
      })();
      w.close();
    }
    const dump = (d: Db) =>
      JSON.stringify(
        d
          .prepare(
            `SELECT *, typeof(name), typeof(status_message), typeof(parent_span_id), typeof(attributes), typeof(start_ns)
             FROM spans ORDER BY trace_id, span_id`,
          )
          .raw()
          .all(),
      ) + JSON.stringify(d.prepare("SELECT trace_id, start_ns, end_ns, span_count FROM traces").raw().all());
    assert.equal(dump(stores[1].db), dump(stores[0].db));
    assert.equal(dump(stores[2].db), dump(stores[0].db));
    const empty = stores[1].db.prepare("SELECT name, status_message FROM spans WHERE span_id = 'a1'").get();
    assert.deepEqual(empty, { name: "sa1", status_message: null }); // replaced by the second a1
    const texts = stores[1].db.prepare("SELECT attributes FROM spans WHERE span_id = 'a2'").pluck().get() as string;
    assert.equal(JSON.parse(texts).u, "é✓😀 \u2028 \ud800 lone");
  });

  it("an empty text stays an empty text (not NULL)", () => {
    const db = openDb(":memory:");
    const store = new TraceStore(db);
    const w = store.importWriter(1);
    const row = toRow(
      {
        traceId: "aa".repeat(16),
        spanId: "x",
        name: "",
        kind: "tool",
        startNs: 1,
        endNs: 2,
        status: "ok",
        statusMessage: "",
        attributes: {},
      },
      100,
    );
    db.transaction(() => {
      forEachPackedRow(packRows([row]), w.packedRow);
      w.endTrace({ source: "s" });
    })();
    assert.deepEqual(db.prepare("SELECT name, status_message, typeof(name) AS t FROM spans").get(), {
      name: "",
      status_message: "",
      t: "text",
    });
  });

  it("spans packed as their rows are made: each row reads back as its toRow row's UTF-8, in any buffers", () => {
    const spans: Span[] = Array.from({ length: 700 }, (_, i) => ({
      traceId: "cd".repeat(16),
      spanId: `s${i}`,
      parentSpanId: i ? `s${i - 1}` : undefined,
      name: `op ${"é✓😀".repeat(i % 5)}`,
      kind: "tool",
      startNs: 1.7e18 + i * 1000.5,
      endNs: 1.7e18 + i * 2000,
      status: i % 7 ? "ok" : "error",
      statusMessage: i % 7 ? undefined : "failed ✗",
      attributes: { i, text: "z".repeat((i * 997) % 50_000), u: "\u2028 \ud800", n: i % 3 ? -0 : NaN },
    }));
    for (let i = 0; i < spans.length; i += 256) {
      const to = Math.min(spans.length, i + 256);
      const expected = spans.slice(i, to).map((s) => rowBytes(toRow(s, 20_000)));
      assert.deepEqual(unpacked(packSpans(spans, i, to, 20_000)), expected, `fresh ${i}`);
      // A spare whose bytes are too few (grown), and one whose layout has another length (not taken).
      const small = { bytes: new Uint8Array(10), layout: new Float64Array((to - i) * ROW_WIDTH) };
      assert.deepEqual(unpacked(packSpans(spans, i, to, 20_000, [small])), expected, `small spare ${i}`);
      const other = { bytes: new Uint8Array(1 << 22), layout: new Float64Array(3) };
      assert.deepEqual(unpacked(packSpans(spans, i, to, 20_000, [other])), expected, `other layout ${i}`);
    }
  });

  it("each text value's bytes are its UTF-8, one after another, in rows of ASCII and of any other characters", () => {
    // The packer encodes a row's short values together when they are all ASCII, one by one otherwise, and long ones
    // alone: generated rows mix all of these, with characters of every UTF-8 length, lone surrogates (written as
    // U+FFFD), empty values and long values between short ones.
    const pieces = [
      "a",
      "Z9",
      "-_/.",
      "é",
      "✓",
      "😀",
      "\ud800",
      "\udfff",
      " ",
      "\n",
      "\u2028",
      "ß",
      "\u007f",
      "\u0080",
    ];
    const next = generator(7);
    const text = (ascii: boolean) =>
      Array.from({ length: next() % 40 }, () => pieces[next() % (ascii ? 4 : pieces.length)]).join("");
    const spans: Span[] = Array.from({ length: 600 }, (_, i) => {
      const ascii = i % 3 !== 0;
      return {
        traceId: "ab".repeat(16),
        spanId: `s${i}`,
        parentSpanId: i % 5 ? `p${text(true)}` : undefined,
        name: i % 7 ? text(ascii) : text(ascii).repeat(30),
        kind: "tool",
        startNs: i,
        endNs: i + 1,
        status: "ok",
        statusMessage: i % 4 ? undefined : text(ascii),
        requestId: i % 9 ? undefined : text(ascii),
        attributes: { t: text(ascii), "gen_ai.request.model": text(ascii || i % 2 === 0) },
      };
    });
    // Halves of one surrogate pair at the end of one value and the start of the next: two lone surrogates, not 😀.
    spans.push({ ...spans[1], spanId: "pair", parentSpanId: "x\ud83d", name: "\ude00y", attributes: {} });
    for (const spare of [[], [{ bytes: new Uint8Array(8), layout: new Float64Array(0) }]])
      assert.deepEqual(
        unpacked(packSpans(spans, 0, spans.length, 300, spare)),
        spans.map((s) => rowBytes(toRow(s, 300))),
      );
  });

  it("attributes of every kind JSON has, and of what it has no text for, read back as toRow's JSON (generated)", () => {
    // Generated, not picked: keys and values drawn from pieces that JSON.stringify escapes in each of its ways (short
    // escapes, \u00xx, lone surrogates), that it writes as they are (U+2028, DEL, /), numbers it writes specially
    // (-0, non-finite, exponents), values it leaves out (undefined, functions) and nested objects, at an attribute
    // limit that cuts long strings, sometimes between the halves of a pair; some spans served (a serving column too).
    const pieces = [
      ...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)),
      '"',
      "\\",
      "/",
      "\u007f",
      "\u2028",
      "\u2029",
      "\ud800",
      "\udfff",
      "😀",
      "é",
      "✓",
      "a",
      "Zz09",
      " ",
    ];
    const next = generator(11);
    const text = (max: number) => Array.from({ length: next() % max }, () => pieces[next() % pieces.length]).join("");
    const numbers = [0, -0, 1.5, -2, 1e21, 1e-7, 5e-324, 2 ** 53 + 2, NaN, Infinity, -Infinity, 123456789.125];
    const value = (depth: number): unknown => {
      switch (next() % 12) {
        case 0:
        case 1:
        case 2:
          return text(40);
        case 3:
          return text(3) + "x".repeat(next() % 90) + text(4); // around the limit below
        case 4:
          return numbers[next() % numbers.length];
        case 5:
          return next() % 2 === 0;
        case 6:
          return null;
        case 7:
          return undefined;
        case 8:
          return depth > 2 ? "deep" : Array.from({ length: next() % 4 }, () => value(depth + 1));
        case 9:
          return depth > 2 ? 1 : { [text(5)]: value(depth + 1), n: value(depth + 1) };
        case 10:
          return next() % 4 === 0 ? () => 1 : "😀".repeat(next() % 50);
        default:
          return String(next());
      }
    };
    const keys = ["a", "10", "2", '"q"', "nl\nk", "\ud800k", "é", "", "toJSON", "gen_ai.tool.call.result"];
    const spans: Span[] = Array.from({ length: 800 }, (_, i) => {
      // Own properties whatever their name (a literal's "__proto__" would set the prototype instead).
      const attributes = JSON.parse(i % 50 === 0 ? '{"__proto__": "own"}' : "{}") as Record<string, unknown>;
      for (let k = next() % 9; k > 0; k--) attributes[next() % 3 ? keys[next() % keys.length] : text(6)] = value(0);
      return {
        traceId: "ab".repeat(16),
        spanId: `g${i}`,
        name: "tool",
        kind: "tool",
        startNs: i,
        endNs: i + 1,
        status: "ok",
        // A served span's row ends in its serving values (text after the attributes).
        requestId: next() % 3 === 0 ? `r${i}` : undefined,
        attributes: attributes as Span["attributes"],
      };
    });
    for (let i = 0; i < spans.length; i += 97) {
      const to = Math.min(spans.length, i + 97);
      // Fresh buffers, and a spare one too small for anything: it grows while a row is being packed.
      for (const spare of [[], [{ bytes: new Uint8Array(16), layout: new Float64Array(0) }]])
        assert.deepEqual(
          unpacked(packSpans(spans, i, to, 60, spare)),
          spans.slice(i, to).map((s) => rowBytes(toRow(s, 60))),
          `spans ${i}…${to}`,
        );
    }
  });

  it("each row comes with its own trace id, however the rows' trace ids alternate", () => {
    // Ids of one length differing in one byte, one a prefix of another, non-ASCII, repeated and alternating.
    const ids = ["ab".repeat(16), "ab".repeat(15) + "ac", "ab".repeat(16) + "x", "ab", "é✓", "ab".repeat(16)];
    const spans: Span[] = Array.from({ length: 300 }, (_, i) => ({
      traceId: ids[Math.floor(i / 3 + ((i * 7) % 5)) % ids.length],
      spanId: `t${i}`,
      name: "n",
      kind: "tool",
      startNs: i,
      endNs: i + 1,
      status: "ok",
      attributes: { i },
    }));
    const seen: string[] = [];
    forEachPackedRow(packSpans(spans, 0, spans.length, 100), (_, traceId) => seen.push(traceId));
    assert.deepEqual(
      seen,
      spans.map((s) => s.traceId),
    );
  });

  it("a row's text after its attributes is whole whatever room its buffer had left (every buffer size near the edge)", () => {
    // A served span (its serving values are text after its attributes' JSON) packed into spare buffers of every size
    // around what its row needs ("✓" is 3 bytes a character): the buffer grows, at every size, before text is cut.
    const span: Span = {
      traceId: "cd".repeat(16),
      spanId: "served",
      name: "chat",
      kind: "llm",
      startNs: 1,
      endNs: 2,
      status: "ok",
      requestId: "req-1",
      attributes: { "gen_ai.usage.output_tokens": 7, "hotpath.cache.verdict": "miss", text: "✓".repeat(1000) },
    };
    const expected = [rowBytes(toRow(span, 5000))];
    for (let size = 2900; size < 3400; size++)
      assert.deepEqual(
        unpacked(packSpans([span], 0, 1, 5000, [{ bytes: new Uint8Array(size), layout: new Float64Array(0) }])),
        expected,
        `a buffer of ${size} bytes`,
      );
  });
});
