// writeJsonFile writes JSON.stringify's bytes, piece by piece: on real analyses and on values made to reach its edges.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { parseTraceFile } from "../../../daemon/traces/importers/index.js";
import { writeJsonFile } from "../../../daemon/traces/import/json-file.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/_trace-generators.js";
import { TRACE_FIXTURES } from "../../support/trace-fixtures.js";

describe("traces/import/json-file: JSON written in pieces", () => {
  let dir: string;
  let n = 0;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-json-file-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `value` to a new file and returns its bytes. */
  const written = (value: unknown): Buffer => {
    const file = join(dir, `${n++}.json`);
    writeJsonFile(file, value, 0o600);
    return readFileSync(file);
  };
  const same = (value: unknown, what: string) =>
    assert.ok(written(value).equals(Buffer.from(JSON.stringify(value))), `${what}: differs from JSON.stringify`);

  it("writes the analyses of generated 20k-span traces as JSON.stringify does", () => {
    const files: [string, string][] = [
      ["session.jsonl", generateClaudeSession(20_000)],
      ["trace.json", JSON.stringify(generateOtlpRequests(20_000, 512))],
    ];
    let longest = 0;
    for (const [name, text] of files)
      for (const t of parseTraceFile(name, text).traces) {
        const analysis = analyzeTrace(t.spans);
        longest = Math.max(longest, analysis.criticalPath.spanIds.length, analysis.dependencies?.length ?? 0);
        same(analysis, name);
      }
    assert.ok(longest > 10 * 256, "arrays of many pieces were written");
  });

  it("writes the analyses of every shared trace fixture as JSON.stringify does", function () {
    if (!existsSync(TRACE_FIXTURES)) {
      console.log(`    skipped: no shared fixtures at ${TRACE_FIXTURES}`);
      return this.skip();
    }
    const files = (readdirSync(TRACE_FIXTURES, { recursive: true }) as string[])
      .map((f) => join(TRACE_FIXTURES, f))
      .filter((f) => statSync(f).isFile() && /\.(jsonl?|ndjson)$/.test(f));
    let analysed = 0;
    for (const f of files) {
      let traces;
      try {
        traces = parseTraceFile(f, readFileSync(f, "utf8")).traces;
      } catch {
        continue; // not a trace file (a fixture's expectations, say)
      }
      for (const t of traces) {
        same(analyzeTrace(t.spans), f);
        analysed++;
      }
    }
    assert.ok(analysed > 0, "some fixture was analysed");
  });

  it("writes what JSON.stringify writes for values at its edges", () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const big = Array.from({ length: 1000 }, (_, i) => ({ i, s: "é✓😀".repeat(i % 7), u: undefined, f: () => i }));
    same(
      {
        a: undefined,
        f: () => 1,
        sym: Symbol("x"),
        n: [-0, NaN, Infinity, 1e21, 5e-324],
        lone: "\ud800 and \udfff alone, \u2028\u2029 and \u0000",
        date: new Date(0),
        map: new Map([[1, 2]]),
        point: new Point(1, 2),
        toJSON: { toJSON: () => ({ replaced: true }) },
        boxed: [new Number(3), new String("s"), new Boolean(false)],
        holes: Array.from({ length: 300 }, (_, i) => (i % 3 ? undefined : i)),
        sparse: Object.assign(new Array(600), { 5: "five", 599: "last" }),
        nested: { deeper: { deeper: { deeper: { deeper: { deepest: big } } } } },
        2: "integer keys first",
        "": "an empty key",
        'quo"te': "keys are escaped",
        big,
        nullProto: Object.assign(Object.create(null), { k: [1, 2, 3] }),
      },
      "edge values",
    );
    same([], "an empty array");
    same(
      Array.from({ length: 257 }, () => []),
      "a long array of empty arrays",
    );
    same(
      Array.from({ length: 5000 }, (_, i) => i),
      "numbers",
    );
    // Pieces sized by their text: elements that grow from bytes to 200 kB each, and shrink again.
    same(
      Array.from({ length: 300 }, (_, i) => ({ i, s: "y".repeat(Math.abs(150 - i) ** 2 * 9) })),
      "elements of very different sizes",
    );
    same("a top-level string", "a string");
    same(null, "null");
  });

  it("carries characters across its buffer's edge whole", () => {
    // Multi-byte characters end at every offset around the 1 MiB buffer's end, inside one string and across pieces.
    for (const lead of [0, 1, 2, 3]) {
      const s = "a".repeat(lead) + "😀é✓".repeat(300_000);
      same({ s }, `one long string (${lead})`);
      same(
        Array.from({ length: 3000 }, (_, i) => "x".repeat(lead + (i % 5)) + "😀".repeat(100)),
        `pieces (${lead})`,
      );
    }
  });

  it("fails as JSON.stringify does and leaves no file", () => {
    const cyclic: Record<string, unknown> = { a: { b: {} } };
    (cyclic.a as Record<string, Record<string, unknown>>).b.back = cyclic;
    for (const [value, error] of [
      [cyclic, TypeError],
      [{ deep: { deeper: { deeper: { deeper: { deeper: cyclic } } } } }, TypeError],
      [{ n: 1n }, TypeError],
      [undefined, TypeError],
      [() => 1, TypeError],
    ] as const) {
      const file = join(dir, `${n++}.json`);
      assert.throws(() => writeJsonFile(file, value, 0o600), error);
      assert.equal(existsSync(file), false, "no file is left");
    }
  });

  it("makes a new file, owner-only, and never writes over one", () => {
    const file = join(dir, `${n++}.json`);
    writeJsonFile(file, { a: 1 }, 0o600);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.throws(() => writeJsonFile(file, { b: 2 }, 0o600), /EEXIST/);
    assert.equal(readFileSync(file, "utf8"), '{"a":1}', "the file is as first written");
  });
});
