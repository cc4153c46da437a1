// Rows packed by an import's parsing thread (bytes + layout) store exactly what the same rows as strings store.
import assert from "node:assert/strict";
import { openDb, type Db } from "../../../daemon/db.js";
import { forEachPackedRow, packRows, packSpans, type PackedRows } from "../../../daemon/traces/import/rows.js";
import { ROW_WIDTH, toRow, TraceStore } from "../../../daemon/traces/store.js";
import type { Span } from "../../../daemon/traces/span.js";

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
    const stores = [openDb(":memory:"), openDb(":memory:")].map((db) => ({ db, store: new TraceStore(db) }));
    const rows = spans.map((s) => toRow(s, 5000));
    for (const [k, { db, store }] of stores.entries()) {
      const w = store.importWriter(rows.length);
      db.transaction(() => {
        if (k === 0) for (const r of rows) w.row(r);
        else for (let i = 0; i < rows.length; i += 128) forEachPackedRow(packRows(rows.slice(i, i + 128)), w.packedRow);
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

  it("spans packed as their rows are made: the same bytes and layout as their toRow rows packed, in any buffers", () => {
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
    const same = (a: PackedRows, b: PackedRows, what: string) => {
      assert.deepEqual([...a.layout], [...b.layout], what);
      assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), what);
    };
    for (let i = 0; i < spans.length; i += 256) {
      const to = Math.min(spans.length, i + 256);
      const expected = packRows(spans.slice(i, to).map((s) => toRow(s, 20_000)));
      same(packSpans(spans, i, to, 20_000), expected, `fresh ${i}`);
      // A spare whose bytes are too few (grown), and one whose layout has another length (not taken).
      const small = { bytes: new Uint8Array(10), layout: new Float64Array((to - i) * ROW_WIDTH) };
      same(packSpans(spans, i, to, 20_000, [small]), expected, `small spare ${i}`);
      const other = { bytes: new Uint8Array(1 << 22), layout: new Float64Array(3) };
      same(packSpans(spans, i, to, 20_000, [other]), expected, `other layout ${i}`);
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
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
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
    for (const spare of [[], [{ bytes: new Uint8Array(8), layout: new Float64Array(0) }]]) {
      const packed = packSpans(spans, 0, spans.length, 300, spare);
      const expectedBytes: Buffer[] = [];
      const expectedLayout: number[] = [];
      for (const s of spans)
        for (const v of toRow(s, 300)) {
          if (typeof v === "number") expectedLayout.push(v);
          else if (v === null) expectedLayout.push(-1);
          else {
            const b = Buffer.from(v, "utf8");
            expectedBytes.push(b);
            expectedLayout.push(b.length);
          }
        }
      assert.deepEqual([...packed.layout], expectedLayout);
      assert.ok(Buffer.from(packed.bytes).equals(Buffer.concat(expectedBytes)));
    }
  });
});
