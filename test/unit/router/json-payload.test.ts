// An upstream's request body is written a slice at a time when it holds long strings (issue #15): the bytes must be
// exactly JSON.stringify's, for every string (escapes, surrogate pairs and lone halves at any cut) and body shape.
import assert from "node:assert/strict";
import { jsonPayload } from "../../../daemon/router/providers/json-payload.js";

const bytes = async (v: unknown) => {
  const p = await jsonPayload(v);
  return typeof p === "string" ? Buffer.from(p) : p;
};

describe("upstream JSON payload", () => {
  it("is the string JSON.stringify gives for a body without long strings (no copy)", async () => {
    const body = { model: "m", messages: [{ role: "user", content: "hi \u2028 😀 \ud800" }], n: 1, x: undefined };
    assert.equal(await jsonPayload(body), JSON.stringify(body));
  });

  it("comes back at once, not as a promise, when the body holds no long string", () => {
    const small = { model: "m", messages: [{ role: "user", content: "x".repeat(60_000) }] };
    assert.equal(jsonPayload(small), JSON.stringify(small));
    // Over 64K characters in all: its bytes, written in pieces (no string of the whole).
    const body = { model: "m", messages: [{ role: "user", content: "x".repeat(65_535) }] };
    const bytes = jsonPayload(body);
    assert.ok(Buffer.isBuffer(bytes));
    assert.ok(bytes.equals(Buffer.from(JSON.stringify(body))));
    assert.ok(jsonPayload({ ...body, long: "x".repeat(65_536) }) instanceof Promise);
    // What it cannot see into from outside goes the sliced way too: a toJSON that gives a long string, a class
    // instance, a long string nested deeper than it looks.
    const long = "x".repeat(70_000);
    assert.ok(jsonPayload({ a: { toJSON: () => long } }) instanceof Promise);
    let deep: unknown = long;
    for (let i = 0; i < 80; i++) deep = [deep];
    assert.ok(jsonPayload({ deep }) instanceof Promise);
    // Short strings under a null prototype, in arrays and sparse arrays: at once, JSON.stringify's text.
    const sparse: unknown[] = [1];
    sparse[3] = "s";
    const plain = { o: Object.assign(Object.create(null), { k: "v" }), a: [sparse, null, [{}]] };
    assert.equal(jsonPayload(plain), JSON.stringify(plain));
  });

  it("a large body of plain data is JSON.stringify's bytes: nesting, holes, undefined, null prototypes, any character", () => {
    let seed = 21;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ["a", "é", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u0000", "\u2028", " ", "中"];
    const text = () => {
      // Runs of one character: escapes and pairs at every offset, without building strings a character at a time.
      let s = "";
      for (let n = Math.floor(rand() * 3000); s.length < n;)
        s += chars[Math.floor(rand() * chars.length)].repeat(1 + Math.floor(rand() * 200));
      return s;
    };
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 6 || r < 0.3)
        return [text(), 1.5, -0, NaN, true, null, undefined, () => 1, Symbol("s")][Math.floor(rand() * 9)];
      if (r < 0.6) {
        const a: unknown[] = Array.from({ length: Math.floor(rand() * 8) }, () => value(depth + 1));
        if (rand() < 0.2) a[a.length + 2] = text(); // holes
        return a;
      }
      const o: Record<string, unknown> = rand() < 0.2 ? Object.create(null) : {};
      for (let i = Math.floor(rand() * 6); i > 0; i--)
        o[[text().slice(0, 9), "10", "2", "k"][Math.floor(rand() * 4)]] = value(depth + 1);
      return o;
    };
    let large = 0;
    for (let i = 0; i < 40; i++) {
      const body = {
        model: "m",
        messages: Array.from({ length: 40 }, () => value(1)),
        tools: [value(2)],
        stream: false,
      };
      const got = jsonPayload(body);
      assert.ok(!(got instanceof Promise), `body ${i}: at once`);
      if (Buffer.isBuffer(got)) large++;
      assert.ok(Buffer.from(got as string | Buffer).equals(Buffer.from(JSON.stringify(body))), `body ${i}`);
    }
    assert.ok(large >= 5, `${large} of 20 bodies were written as bytes`);
  });

  it("is JSON.stringify's bytes for long strings cut anywhere: escapes, surrogate pairs and lone halves", async () => {
    let seed = 15;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ["a", "é", "😀", "\ud800", "\udc00", '"', "\\", "\n", "\u0000", "\u001f", "\u2028", " ", "\u00ff"];
    const long = (n: number) => {
      // Runs of one character, so pairs and escapes land on every side of the 256K-character slice edges.
      const parts: string[] = [];
      let len = 0;
      while (len < n) {
        const c = chars[Math.floor(rand() * chars.length)];
        const run = c.repeat(1 + Math.floor(rand() * 5000));
        parts.push(run);
        len += run.length;
      }
      return parts.join("");
    };
    for (let i = 0; i < 6; i++) {
      const body = {
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: long(300_000 + Math.floor(rand() * 800_000)) },
          {
            role: "user",
            content: [
              { type: "text", text: long(70_000) },
              { type: "text", text: "short" },
            ],
          },
        ],
        [long(70_000)]: "a long key stays in place",
        metadata: { note: long(65_536), undef: undefined, date: new Date(0) },
        at: long(65_535),
      };
      const expected = Buffer.from(JSON.stringify(body));
      const got = await bytes(body);
      assert.ok(Buffer.isBuffer(await jsonPayload(body)), "written in slices");
      assert.ok(got.equals(expected), `body ${i}: ${got.length} bytes, expected ${expected.length}`);
    }
  });

  it("a string equal to another request's marker is written as itself", async () => {
    const body = { a: "x".repeat(70_000), b: "\u0000deadbeefdeadbeef:0" };
    assert.ok((await bytes(body)).equals(Buffer.from(JSON.stringify(body))));
  });

  it("lets the event loop run between slices of a 9 MB string", async () => {
    // A chain of immediates advances once per turn of the loop: it advances only if the writing yields.
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const body = { messages: [{ role: "system", content: "the daemon answers ".repeat(500_000) }] };
    const got = await bytes(body);
    running = false;
    assert.ok(got.equals(Buffer.from(JSON.stringify(body))));
    assert.ok(turns >= 8, `${turns} turns of the loop ran meanwhile (9.5 MB in 1 MB turns)`);
  });
});
