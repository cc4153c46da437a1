// The span-by-span OTLP/JSON reader (daemon/traces/otlp/json-document.ts) against the whole-document path it stands
// in for: on every input it converts, the traces must be exactly those of JSON.parse + otlpToSpans (attribute order
// included); on every input that path refuses, it must give up (so the refusal and its message stay that path's).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTraceFile } from "../../../daemon/traces/importers/index.js";
import {
  groupByTrace,
  otlpJsonFileStream,
  otlpJsonImporter,
  readOtlpJsonFile,
} from "../../../daemon/traces/importers/otlp-json.js";
import { OtlpJsonStream, readOtlpJsonDocument } from "../../../daemon/traces/otlp/json-document.js";
import type { Span } from "../../../daemon/traces/span.js";
import { generateOtlpRequests } from "../../bench/_trace-generators.js";
import { traceFixture } from "../../support/trace-fixtures.js";

/** What the whole-document path makes of the text: its traces, or the message it refuses the text with. */
function wholeDocument(text: string, file = "t.json"): { traces?: unknown; error?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const isOtlp = (v: unknown) => typeof v === "object" && v !== null && ("resourceSpans" in v || "resource_spans" in v);
  if (json !== undefined && !isOtlp(json) && !(Array.isArray(json) && json.length > 0 && isOtlp(json[0])))
    return { error: "not detected as OTLP" };
  try {
    return { traces: otlpJsonImporter.parse(text, { file, json }) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The reader converts exactly what the whole-document path does, or gives up where that path refuses. */
function agrees(text: string, mustConvert: boolean): void {
  const fast = readOtlpJsonFile("t.json", text);
  const whole = wholeDocument(text);
  if (fast === undefined) {
    assert.ok(!mustConvert, `gave up on a file the whole-document path converts: ${text.slice(0, 200)}`);
    return;
  }
  assert.equal(whole.error, undefined, `converted a file the whole-document path refuses: ${text.slice(0, 200)}`);
  assert.equal(JSON.stringify(fast), JSON.stringify(whole.traces));
}

const span = (i: number, over: Record<string, unknown> = {}) => ({
  traceId: i % 2 ? "0af7651916cd43dd8448eb211c80319c" : "CvdlGRbNQ92ESOshHIAxnA==",
  spanId: (i + 1).toString(16).padStart(16, "0"),
  parentSpanId: i ? "0000000000000001" : "",
  name: `s${i}`,
  startTimeUnixNano: String(1000 + i),
  endTimeUnixNano: 2000 + i,
  attributes: [
    { key: "gen_ai.operation.name", value: { stringValue: i % 3 ? "execute_tool" : "chat" } },
    { key: "input.value", value: { stringValue: `quote " backslash \\ newline \n ünïcödé 😀 ${i}` } },
    { key: "n", value: { intValue: String(i) } },
    { key: "list", value: { arrayValue: { values: [{ stringValue: "a" }, { intValue: 1 }] } } },
  ],
  events: [{ name: "e", timeUnixNano: "1500", attributes: [{ key: "k", value: { boolValue: true } }] }],
  status: { code: i % 4 === 0 ? 2 : 1, message: i % 4 === 0 ? "failed" : "" },
  ...over,
});

const resource = (service: string) => ({ attributes: [{ key: "service.name", value: { stringValue: service } }] });

/** A small deterministic generator (tests that cannot differ between runs). */
function random(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
}

/**
 * The streamed reader, given the text cut in pieces at random places (inside strings, escapes and surrogate pairs
 * too), gives what readOtlpJsonDocument gives the whole text when that is an array of requests, and gives up on
 * anything else.
 */
function streamAgrees(text: string, rand: (n: number) => number, maxPiece = 64, mustConvert = false): boolean {
  const stream = new OtlpJsonStream();
  for (let at = 0; at < text.length;) {
    const n = 1 + rand(maxPiece);
    stream.push(text.slice(at, at + n));
    at += n;
  }
  const got = stream.end();
  if (!/^[ \t\n\r]*\[/.test(text)) {
    assert.equal(got, undefined, `streamed a file that is not an array: ${text.slice(0, 120)}`);
    return false;
  }
  // Giving up is always allowed (the caller reads the whole text), except on the plain files it is for.
  if (got === undefined) {
    assert.ok(!mustConvert, `gave up on: ${text.slice(0, 200)}`);
    return false;
  }
  assert.equal(JSON.stringify(got), JSON.stringify(readOtlpJsonDocument(text)), text.slice(0, 200));
  return true;
}

describe("traces/otlp: the span-by-span OTLP/JSON reader", () => {
  it("converts the bench's 100k-span shape (smaller) and the shared OpenInference fixtures as JSON.parse does", () => {
    agrees(JSON.stringify(generateOtlpRequests(3000, 512)), true);
    agrees(JSON.stringify(generateOtlpRequests(700, 700)[0]), true); // one request, not an array
    for (const name of ["quo_tav_agent.json", "smol_deep_research_agent.json"]) {
      const file = traceFixture("otlp-openinference", name);
      if (file) agrees(readFileSync(file, "utf8"), true); // ../shared is optional; the generated inputs still ran
    }
  });

  it("reads any key order, duplicate keys (the last wins), nulls, snake_case and escaped keys as JSON.parse does", () => {
    const docs: unknown[] = [
      // scopes before their resource; scope after its spans; unknown keys skipped
      {
        resourceSpans: [
          {
            scopeSpans: [{ spans: [span(1), span(2)], scope: { name: "late-scope", version: "1" }, schemaUrl: "x" }],
            resource: resource("svc-a"),
            schemaUrl: "https://opentelemetry.io/schemas/1.21.0",
          },
        ],
      },
      // duplicate keys: JSON.parse keeps the last
      `{"resourceSpans":[{"scopeSpans":[{"spans":[${JSON.stringify(span(3))}]}],"resource":${JSON.stringify(resource("first"))},"resource":${JSON.stringify(resource("second"))}}],"resourceSpans":[{"scopeSpans":[{"spans":[${JSON.stringify(span(4))}]}]}]}`,
      // null lists fall through to the snake_case and old names (as `??` does)
      { resourceSpans: null, resource_spans: [{ scope_spans: [{ spans: [span(5)] }], scopeSpans: null }] },
      { resourceSpans: [{ instrumentationLibrarySpans: [{ spans: [span(6)], instrumentationLibrary: {} }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: null }, { spans: [] }, {}] }, {}] },
      // escaped key names and odd whitespace between tokens
      `\t\r\n {\n "resource\\u0053pans" :\r\n [ { "scope\\u0053pans" : [ { "spans" : [ ${JSON.stringify(span(7))} ] } ] } ] } \n`,
      // an array of flushes, parents across them, a service named in the second only
      [
        { resourceSpans: [{ scopeSpans: [{ spans: [span(8)] }] }] },
        { resourceSpans: [{ resource: resource("later"), scopeSpans: [{ spans: [span(9), span(10)] }] }] },
      ],
      // numbers of every JSON form where the format takes numbers
      `{"resourceSpans":[{"scopeSpans":[{"spans":[${JSON.stringify(span(11, { startTimeUnixNano: 1e3, endTimeUnixNano: 2.5e3 }))}]}]}]}`,
    ];
    for (const doc of docs)
      agrees(typeof doc === "string" ? doc : JSON.stringify(doc, null, doc === docs[0] ? 2 : 0), true);
  });

  it("gives up on every malformed, truncated or refused file, leaving the error to the whole-document path", () => {
    const good = JSON.stringify({
      resourceSpans: [{ resource: resource("svc"), scopeSpans: [{ spans: [span(1), span(2)] }] }],
    });
    const bad = [
      good.slice(0, -1), // truncated
      good.slice(0, good.length / 2),
      `${good},`, // trailing garbage
      `${good}\n${good}`, // two documents: JSON Lines, which the line path reads
      good.replace('"spans":[', '"spans":[,'),
      good.replace('"name":"s1"', '"name":"s1\u0001"'), // a raw control character in a string
      good.replace('{"resourceSpans"', '{"resourceSpans\u0001"'),
      good.replace('"resourceSpans":[', '"resourceSpans":{'), // wrong type
      good.replace('"scopeSpans":[', '"scopeSpans":5,"x":['),
      good.replace('"spans":[', '"spans":"no","y":['),
      good.replace('"startTimeUnixNano":"1001"', '"startTimeUnixNano":"abc"'), // a refused span
      good.replace('"traceId":"0af7651916cd43dd8448eb211c80319c"', '"traceId":"zz"'),
      good.replace("{", '{"format":"hotpath.traces",'), // a key no request has
      "[]",
      "[1]",
      `[${good}, 1]`,
      `\uFEFF${good}`, // JSON.parse refuses a BOM
      `{"resourceSpans":[${"[".repeat(100_000)}${"]".repeat(100_000)}]}`, // deep nesting
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"a":${"[".repeat(100_000)}`,
      '"resourceSpans"',
      "{",
      "",
    ];
    for (const text of bad) {
      assert.equal(readOtlpJsonFile("t.json", text), undefined, `converted: ${text.slice(0, 120)}`);
      agrees(text, false);
    }
  });

  it("agrees with the whole-document path on 2,000 random mutations of a small export", () => {
    const base = JSON.stringify({
      resourceSpans: [
        { resource: resource("svc"), scopeSpans: [{ scope: { name: "sc" }, spans: [span(1), span(2), span(3)] }] },
      ],
    });
    const alphabet = [
      '"',
      "\\",
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      " ",
      "0",
      "1",
      "e",
      "-",
      "n",
      "u",
      "l",
      "\n",
      "a",
      "\u0000",
    ];
    let seed = 17;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    let converted = 0;
    for (let k = 0; k < 2000; k++) {
      let text = base;
      for (let m = 0, edits = 1 + rand(3); m < edits; m++) {
        const at = rand(text.length);
        const op = rand(3);
        const ch = alphabet[rand(alphabet.length)];
        text =
          op === 0
            ? text.slice(0, at) + text.slice(at + 1)
            : op === 1
              ? text.slice(0, at) + ch + text.slice(at)
              : text.slice(0, at) + ch + text.slice(at + 1);
      }
      agrees(text, false);
      if (readOtlpJsonFile("t.json", text)) converted++;
    }
    // Most single edits land in a string or a number and keep the file valid: the reader must convert those.
    assert.ok(converted > 100, `converted only ${converted} of 2000 mutants`);
  });

  it("is what detection picks: parseTraceFile gives the same traces, and the same error for a refused span", () => {
    const text = JSON.stringify(generateOtlpRequests(1200, 512));
    const r = parseTraceFile("export.json", text);
    assert.equal(r.format, "otlp-json");
    assert.equal(JSON.stringify(r.traces), JSON.stringify(otlpJsonImporter.parse(text, { file: "export.json" })));
    const refused = text.replace('"endTimeUnixNano":"', '"endTimeUnixNano":"x');
    assert.throws(
      () => parseTraceFile("export.json", refused),
      (e: Error) => {
        assert.equal(e.message, wholeDocument(refused, "export.json").error);
        assert.match(e.message, /\[0\]\.resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.endTimeUnixNano/);
        return true;
      },
    );
  });

  it("streamed: the same spans as the whole text, however the text is cut, and gives up where the whole text does", () => {
    const rand = random(23);
    const bench = JSON.stringify(generateOtlpRequests(3000, 512));
    streamAgrees(bench, rand, 70_000, true);
    streamAgrees(JSON.stringify(generateOtlpRequests(600, 200), null, 1), rand, 5000, true);
    assert.equal(new OtlpJsonStream().end(), undefined);
    for (const name of ["quo_tav_agent.json", "smol_deep_research_agent.json"]) {
      const file = traceFixture("otlp-openinference", name);
      if (file) streamAgrees(readFileSync(file, "utf8"), rand, 4096, true);
    }
    const req = (i: number, service: string) => ({
      resourceSpans: [
        { resource: resource(service), scopeSpans: [{ scope: { name: "sc" }, spans: [span(i), span(i + 1)] }] },
      ],
    });
    const good = JSON.stringify([req(1, "a"), req(3, "b"), req(5, "a")]);
    const texts = [
      good,
      ` \n\t[ ${JSON.stringify(req(1, "x"))} ,\r\n${JSON.stringify(req(2, "y"))} ] \n`,
      JSON.stringify([req(1, "a")]),
      JSON.stringify(req(1, "a")), // one request: not streamed
      "[]",
      "[ ]",
      `[${JSON.stringify(req(1, "a"))},]`,
      `[${JSON.stringify(req(1, "a"))}`,
      `[${JSON.stringify(req(1, "a"))}]]`,
      `[${JSON.stringify(req(1, "a"))}] x`,
      `[${JSON.stringify(req(1, "a"))} ${JSON.stringify(req(1, "a"))}]`,
      `[${JSON.stringify(req(1, "a"))},1]`,
      `[1,${JSON.stringify(req(1, "a"))}]`,
      `\uFEFF${good}`,
      `[${JSON.stringify(req(1, "a")).replace('"spans":[', '"spans":[}')}]`,
      `[{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a]}\\"}"}]}]}]}]`,
      `[{"resourceSpans":[]},{"resourceSpans":null,"resource_spans":[]}]`,
      good.replace('"name":"s3"', '"name":"s3\\"'), // an escaped quote ends no string
      good.replace('"traceId":"0af7651916cd43dd8448eb211c80319c"', '"traceId":"zz"'),
    ];
    for (const text of texts) for (const max of [1, 3, 17, 400]) streamAgrees(text, rand, max);
    // Plain arrays it must read, also where a request key appears inside a request (an unknown field) or a string.
    const inner = JSON.stringify({
      resourceSpans: [{ x: [{}, { resourceSpans: 1 }], ...req(7, "c").resourceSpans[0] }],
    });
    const quoted = JSON.stringify(req(9, '},{"resourceSpans":[]}'));
    // A resource after its scopes, a scope after its spans, unknown keys and null lists between: read, not given up on
    // (the spans' text waits for them).
    const late = JSON.stringify({
      resourceSpans: [
        {
          schemaUrl: "s",
          scopeSpans: [
            { spans: [span(11), span(12)], scope: { name: "late" } },
            { scope: { name: "early" }, spans: [span(13)] },
            { spans: null },
          ],
          resource: resource("after"),
        },
        { x: [1, { y: null }], scope_spans: [{ spans: [span(14)] }] },
      ],
    });
    for (const text of [
      good,
      `[${inner},${quoted},${inner}]`,
      JSON.stringify([req(1, "a")], null, 3),
      `[${late},${late}]`,
    ])
      for (const max of [1, 2, 15, 16, 300]) streamAgrees(text, rand, max, true);
    // Random edits of an array of requests, each read with several random cuts.
    let converted = 0;
    for (let k = 0; k < 1500; k++) {
      let text = good;
      for (let m = 0, edits = 1 + rand(3); m < edits; m++) {
        const at = rand(text.length);
        const chars = '"\\{}[],: 01e-nul\na\u0000';
        const ch = chars[rand(chars.length)];
        const op = rand(3);
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + ch + text.slice(at + (op - 1));
      }
      if (streamAgrees(text, rand, 1 + rand(200))) converted++;
    }
    assert.ok(converted > 100, `streamed only ${converted} of 1500 mutants`);
  });

  it("streamed file: the traces parseTraceFile gives the whole text (the bench's shape, the shared fixtures)", () => {
    const texts = [JSON.stringify(generateOtlpRequests(2500, 512, "ab".repeat(16)))];
    for (const name of ["quo_tav_agent.json", "smol_deep_research_agent.json"]) {
      const file = traceFixture("otlp-openinference", name);
      if (file) texts.push(readFileSync(file, "utf8"));
    }
    for (const text of texts) {
      const stream = otlpJsonFileStream("export.json");
      for (let at = 0; at < text.length; at += 32 * 1024) stream.push(text.slice(at, at + 32 * 1024));
      const whole = parseTraceFile("export.json", text);
      assert.equal(whole.format, "otlp-json");
      assert.equal(JSON.stringify(stream.end()), JSON.stringify(whole.traces));
    }
    const notArray = otlpJsonFileStream("export.json");
    notArray.push(JSON.stringify(generateOtlpRequests(10, 10)[0]));
    assert.equal(notArray.end(), undefined);
  });

  it("names each trace after its earliest root as the plain rule (every root, sorted by start) does", () => {
    let seed = 5;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    const plain = (list: Span[]) => {
      const ids = new Set(list.map((s) => s.spanId));
      return list.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startNs - b.startNs)[0]
        ?.name;
    };
    for (let k = 0; k < 3000; k++) {
      const n = 1 + rand(12);
      const spans: Span[] = [];
      for (let i = 0; i < n; i++) {
        const parent = rand(4);
        spans.push({
          traceId: `t${rand(2)}`,
          spanId: `s${rand(n + 2)}`,
          // no parent, an empty one, one in the file (or a cycle), or one that is not
          parentSpanId: parent === 0 ? undefined : parent === 1 ? "" : `s${rand(n + 3)}`,
          name: `n${i}`,
          kind: "other",
          startNs: rand(5) * (k % 2 ? 1e18 : 1),
          endNs: 1e19,
          status: "unset",
          attributes: {},
        });
      }
      for (const t of groupByTrace(spans, "s", "o", "fallback"))
        assert.equal(t.name, plain(t.spans) ?? "fallback", JSON.stringify(t.spans));
    }
  });

  it("JSON Lines (the Collector's file exporter) convert line by line: the same spans, and a bad line still wins", () => {
    const requests = generateOtlpRequests(1500, 512).map((r) => JSON.stringify(r));
    const lines = parseTraceFile("export.jsonl", `${requests.join("\n")}\n`);
    assert.equal(lines.format, "otlp-json");
    assert.equal(
      JSON.stringify(lines.traces),
      JSON.stringify(parseTraceFile("export.jsonl", `[${requests.join(",")}]`).traces), // one JSON array, same name
    );
    const refused = requests[1].replace('"spanId":"', '"spanId":"zz');
    // A request that does not convert on line 2 is the error …
    assert.throws(
      () => parseTraceFile("e.jsonl", [requests[0], refused, requests[2]].join("\n")),
      /e\.jsonl:2: .*spanId/,
    );
    // … unless a later line is not JSON at all: that is what a reader fixes first (and what parsing every line first said).
    assert.throws(
      () => parseTraceFile("e.jsonl", [requests[0], refused, requests[2], '{"resourceSpans": ['].join("\n")),
      /e\.jsonl:4: not valid JSON/,
    );
  });
});
