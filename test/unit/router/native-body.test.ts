// A pass-through's large body is the client's bytes with the model spliced in (router/providers/native-body.ts): it
// must be the same JSON value as {...JSON.parse(raw), model}, whatever the client's spacing, escapes and nesting — or
// undefined where the top level alone cannot say so.
import assert from "node:assert/strict";
import { splicedBody, withModel } from "../../../daemon/router/providers/native-body.js";

let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
const space = () => pick(["", "", " ", "\n", "\t", "\r\n  ", "  "]);

/** A JSON string spelled as a client might: some characters as \uXXXX, quotes, backslashes (an odd run before a quote). */
function spelled(s: string): string {
  const plain = JSON.stringify(s);
  return plain.replace(/[a-z]/g, (c) => (rand() < 0.1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c));
}

function text(): string {
  const parts = ["model", '"', "\\", '\\"', "é", "😀", "\n", "{", "}", "[", "]", ",", ":", "x".repeat(50), " "];
  let s = "";
  const n = Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) s += pick(parts);
  return s;
}

function value(depth: number): unknown {
  const r = rand();
  if (depth > 4 || r < 0.35) return pick([text(), 0, -1.5e-7, 12345678901, true, false, null, ""]);
  if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
  // Nested objects may hold "model" keys of their own: only the top level's is replaced.
  const keys = ["model", "role", "content", "a b", "é", "x"];
  return Object.fromEntries(
    Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`${pick(keys)}${i}`, value(depth + 1)]).concat(
      rand() < 0.3 ? [["model", value(depth + 1)]] : [],
    ),
  );
}

/** JSON text of `v` with random spacing between tokens and random escape spellings (not in the top level's keys). */
function write(v: unknown, top = false): string {
  if (typeof v === "string") return spelled(v);
  if (Array.isArray(v)) return `[${space()}${v.map((x) => write(x)).join(`${space()},${space()}`)}${space()}]`;
  if (v && typeof v === "object") {
    const members = Object.entries(v).map(
      ([k, x]) => `${top ? JSON.stringify(k) : spelled(k)}${space()}:${space()}${write(x)}`,
    );
    return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
  }
  return JSON.stringify(v);
}

describe("router: a pass-through's body as the client's bytes with the model spliced in", () => {
  it("is the same JSON value as the object with the model replaced (or added last), on random bodies", () => {
    let spliced = 0;
    for (let i = 0; i < 2000; i++) {
      const body: Record<string, unknown> = {};
      const n = Math.floor(rand() * 6);
      for (let k = 0; k < n; k++)
        body[pick(["messages", "system", "tools", "stream", "max_tokens", "metadata"]) + k] = value(0);
      if (rand() < 0.7) {
        const at = Math.floor(rand() * (n + 1));
        const entries = Object.entries(body);
        entries.splice(at, 0, ["model", text()]);
        for (const k of Object.keys(body)) delete body[k];
        Object.assign(body, Object.fromEntries(entries));
      }
      const raw = Buffer.from(`${space()}${write(body, true)}${space()}`);
      const expected = { ...(JSON.parse(raw.toString()) as Record<string, unknown>), model: "up:stream-model" };
      const out = withModel(raw, "up:stream-model");
      assert.ok(out, `body ${i}: ${raw.toString()}`);
      const got = JSON.parse(out.toString()) as Record<string, unknown>;
      assert.deepEqual(got, expected, `body ${i}: ${raw.toString()}`);
      assert.deepEqual(Object.keys(got), Object.keys(expected), `body ${i}: member order`);
      spliced++;
    }
    assert.equal(spliced, 2000);
  });

  it("a model's value with escapes, and a new model that needs them", () => {
    const raw = Buffer.from('{"model":"a\\"b\\\\","messages":[{"role":"user","content":"\\\\\\"model\\":1"}]}');
    const out = withModel(raw, 'c"d\\é😀');
    assert.deepEqual(JSON.parse(out!.toString()), { ...JSON.parse(raw.toString()), model: 'c"d\\é😀' });
    assert.equal(withModel(Buffer.from("{}"), "m")!.toString(), '{"model":"m"}');
    assert.equal(withModel(Buffer.from(" { } "), "m")!.toString(), ' { "model":"m"} ');
  });

  it("gives undefined where the top level alone cannot say: escaped or repeated keys, a model not a string", () => {
    for (const raw of [
      '{"mod\\u0065l":"a","x":1}', // the same key as "model", spelled otherwise
      '{"model":"a","model":"b"}', // JSON.parse keeps the last value at the first one's place
      '{"x":1,"x":2,"model":"a"}',
      '{"model":42}',
      '{"model":{"name":"a"}}',
      '{"model":null}',
      "[1,2]",
      '\ufeff{"model":"a"}', // a byte order mark first
    ])
      assert.equal(withModel(Buffer.from(raw), "m"), undefined, raw);
  });

  it("splices bodies of 64 KB and more: a small one costs no more written out", () => {
    const body = (bytes: number) =>
      Buffer.from(JSON.stringify({ model: "a", messages: [{ content: "x".repeat(bytes) }] }));
    assert.equal(splicedBody(undefined, "m"), undefined);
    assert.equal(splicedBody(body(60 * 1024), "m"), undefined);
    for (const raw of [body(200 * 1024), body(3 * 1024 * 1024)])
      assert.deepEqual(JSON.parse(splicedBody(raw, "m")!.toString()), { ...JSON.parse(raw.toString()), model: "m" });
  });
});
