// A seeded, deterministic corpus of hostile requests over every endpoint: valid bodies first, then each mutated by one
// family (truncation, wrong types, huge numbers, invalid UTF-8, NUL bytes, prototype keys, wrong content types,
// compression bombs, deep nesting, long strings, schema bombs, structural junk), plus hostile paths and queries.
// The same seed always gives the same corpus, so a failure names a case that reproduces.
import { deflateSync, gzipSync } from "node:zlib";
import { prng } from "../../../daemon/audit/stats.js";

export interface FuzzCase {
  id: number;
  family: string;
  endpoint: string;
  method: "GET" | "POST" | "DELETE";
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Which error shape this endpoint answers with. */
  shape: "openai" | "anthropic";
}

interface Endpoint {
  name: string;
  path: string;
  shape: "openai" | "anthropic";
  bases: unknown[];
}

const OTLP = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "fuzz" } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: "0af7651916cd43dd8448eb211c80319c",
              spanId: "b7ad6b7169203331",
              name: "llm",
              kind: 3,
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: "1700000001000000000",
              attributes: [{ key: "gen_ai.request.model", value: { stringValue: "m" } }],
            },
          ],
        },
      ],
    },
  ],
};

function endpoints(): Endpoint[] {
  const messages = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "hi" },
  ];
  const tool = {
    type: "function",
    function: {
      name: "lookup",
      description: "Looks up",
      parameters: { type: "object", properties: { q: { type: "string" }, n: { type: "integer" } }, required: ["q"] },
    },
  };
  return [
    {
      name: "chat",
      path: "/v1/chat/completions",
      shape: "openai",
      bases: [
        { model: "chat", messages, max_tokens: 2, temperature: 0 },
        { model: "chat", messages, max_tokens: 8, tools: [tool], tool_choice: "required" },
        {
          model: "chat",
          messages,
          max_tokens: 4,
          response_format: {
            type: "json_schema",
            json_schema: {
              name: "r",
              schema: { type: "object", properties: { a: { enum: ["x", "y"] } }, required: ["a"] },
            },
          },
        },
        { model: "chat", messages, max_tokens: 2, stream: true, stream_options: { include_usage: true } },
      ],
    },
    {
      name: "completions",
      path: "/v1/completions",
      shape: "openai",
      bases: [{ model: "chat", prompt: "Once upon", max_tokens: 2 }],
    },
    {
      name: "embeddings",
      path: "/v1/embeddings",
      shape: "openai",
      bases: [
        { model: "chat", input: ["a cat", "a dog"] },
        { model: "chat", input: "one", encoding_format: "base64" },
      ],
    },
    {
      name: "messages",
      path: "/v1/messages",
      shape: "anthropic",
      bases: [
        {
          model: "chat",
          max_tokens: 2,
          system: "Be brief.",
          messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
        },
        {
          model: "chat",
          max_tokens: 8,
          messages: [{ role: "user", content: "hi" }],
          tools: [{ name: "f", input_schema: { type: "object", properties: { x: { type: "number" } } } }],
          tool_choice: { type: "any" },
        },
      ],
    },
    {
      name: "count_tokens",
      path: "/v1/messages/count_tokens",
      shape: "anthropic",
      bases: [{ model: "chat", messages: [{ role: "user", content: "hi" }] }],
    },
    {
      name: "responses",
      path: "/v1/responses",
      shape: "openai",
      bases: [{ model: "chat", input: "hi", max_output_tokens: 2 }],
    },
    {
      name: "audit-sections",
      path: "/hotpath/audit/sections",
      shape: "openai",
      bases: [
        { text: "# A\nBe brief.\n\n# B\nSay hi.", fileName: "p.md" },
        { text: JSON.stringify({ messages }), fileName: "p.json" },
      ],
    },
    {
      name: "audit-run",
      path: "/hotpath/audit/run",
      shape: "openai",
      bases: [
        {
          spec: {
            promptText: "Be brief.",
            inputs: ["hi"],
            samples: 1,
            checks: [{ type: "js", code: "output.length >= 0" }],
          },
          model: "chat",
        },
      ],
    },
    { name: "traces-import", path: "/hotpath/traces/import?name=fuzz.json", shape: "openai", bases: [OTLP] },
    { name: "otlp", path: "/v1/traces", shape: "openai", bases: [OTLP] },
  ];
}

const WRONG_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  "",
  "x",
  [],
  {},
  [null],
  { "": null },
  "\u0000",
  -0,
  1e308,
];
const HUGE_NUMBERS = [
  "1e400",
  "-1e400",
  "9007199254740993",
  "1e-400",
  "123456789012345678901234567890",
  "-0.0e-0",
  "1E+308",
  "0.0000000000000000000000000001",
];
const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xfe, 0xff],
];
const CONTENT_TYPES = [
  "text/plain",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/xml",
  "application/json; charset=latin1",
  "",
  "application/x-protobuf",
  "*/*",
];

/** Every path into a JSON value, as key lists (objects and arrays). */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const copy = structuredClone(root) as any;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return copy;
}

const PLACEHOLDER = "\u2063__FUZZ__\u2063";

/** JSON text of `root` with the value at `path` replaced by raw text. */
function withRaw(root: unknown, path: (string | number)[], raw: string): string {
  return JSON.stringify(setAt(root, path, PLACEHOLDER)).replace(JSON.stringify(PLACEHOLDER), raw);
}

export function generateCorpus(seed: number, perEndpoint: number): FuzzCase[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const cases: FuzzCase[] = [];
  // Past every body limit once inflated (OTLP's included), ~1,000:1 on the wire.
  const bombSource = Buffer.alloc(96 * 1024 * 1024, 0x5b);
  const bombGzip = gzipSync(bombSource, { level: 1 });
  const bombDeflate = deflateSync(bombSource, { level: 1 });
  // The same gzip bomb with a trailer that lies about its inflated size (ISIZE 1,000): refused while inflating.
  const bombGzipLying = Buffer.from(bombGzip);
  bombGzipLying.writeUInt32LE(1000, bombGzipLying.length - 4);
  const add = (
    c: Omit<FuzzCase, "id" | "headers" | "method"> & { headers?: Record<string, string>; method?: FuzzCase["method"] },
  ) =>
    cases.push({
      id: cases.length,
      method: "POST",
      ...c,
      // After `c`: a family without headers of its own passes `headers: undefined`, which spread last replaced these
      // (every mutated body went without a Content-Type, and every OTLP one ended in 415 before its decoder).
      headers: { "content-type": "application/json", ...c.headers },
    } as FuzzCase);

  const families: Record<string, (base: unknown) => { body: Buffer | string; headers?: Record<string, string> }> = {
    truncation: (base) => {
      const text = JSON.stringify(base);
      return { body: text.slice(0, int(0, text.length - 1)) };
    },
    "wrong-type": (base) => ({ body: JSON.stringify(setAt(base, pick(paths(base)), pick(WRONG_VALUES))) }),
    "huge-number": (base) => ({ body: withRaw(base, pick(paths(base).filter((p) => p.length)), pick(HUGE_NUMBERS)) }),
    "invalid-utf8": (base) => {
      const text = Buffer.from(JSON.stringify(base));
      const quotes = [...text.keys()].filter((i) => text[i] === 0x22);
      const at = quotes.length ? pick(quotes) + 1 : int(0, text.length);
      return { body: Buffer.concat([text.subarray(0, at), Buffer.from(pick(INVALID_UTF8)), text.subarray(at)]) };
    },
    "nul-bytes": (base) => {
      const strings = paths(base).filter((p) => p.length);
      const escaped = random() < 0.5;
      const raw = escaped ? JSON.stringify(`a\u0000b${"\u0000".repeat(int(1, 100))}`) : `"a\u0000b"`;
      return { body: withRaw(base, pick(strings), raw) };
    },
    "prototype-keys": (base) => {
      const objects = paths(base).filter((p) => {
        let node: any = base;
        for (const k of p) node = node[k];
        return node && typeof node === "object" && !Array.isArray(node);
      });
      const key = pick(["__proto__", "constructor", "prototype", "__defineGetter__", "hasOwnProperty", "toString"]);
      const value = pick([
        '{"polluted":true,"model":"x","isAdmin":true}',
        '{"prototype":{"polluted":1}}',
        "null",
        '"x"',
        "[]",
      ]);
      const target = pick(objects);
      const text = JSON.stringify(setAt(base, [...target, PLACEHOLDER], 1));
      return { body: text.replace(`${JSON.stringify(PLACEHOLDER)}:1`, `${JSON.stringify(key)}:${value}`) };
    },
    "content-type": (base) => {
      const type = pick(CONTENT_TYPES);
      const form = type.startsWith("multipart")
        ? `--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n${JSON.stringify(base)}\r\n--x--`
        : JSON.stringify(base);
      return {
        body: type.includes("urlencoded") ? `json=${encodeURIComponent(form)}` : form,
        headers: { "content-type": type },
      };
    },
    compression: () => {
      const which = pick(["gzip", "gzip (lying size)", "deflate", "br", "gzip, gzip", "identity, gzip", "x-unknown"]);
      const body = which === "deflate" ? bombDeflate : which === "gzip (lying size)" ? bombGzipLying : bombGzip;
      return { body, headers: { "content-encoding": which.split(" ")[0] } };
    },
    "deep-nesting": (base) => {
      const depth = pick([65, 200, 1000, 10_000, 50_000]);
      const inner =
        random() < 0.5 ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
      return { body: withRaw(base, pick(paths(base)), inner) };
    },
    "long-string": (base) => {
      const strings = paths(base).filter((p) => {
        let node: any = base;
        for (const k of p) node = node[k];
        return typeof node === "string";
      });
      return {
        body: JSON.stringify(
          setAt(base, pick(strings), pick(["x", "word ", "\u{1F600}", "\\", '"'])!.repeat(int(10_000, 300_000))),
        ),
      };
    },
    structure: (base) => {
      const text = JSON.stringify(base);
      return {
        body: pick([
          "",
          " ",
          "null",
          "[]",
          "{}",
          "0",
          '"str"',
          "[" + text + "]",
          "\uFEFF" + text,
          text + text,
          text + "garbage",
          text.replace("{", '{"model":"a","model":"b",'),
          `{"a":${text}}`,
          text.replace(/:/g, "="),
          text.replace(/"/g, "'"),
        ]),
      };
    },
    "unknown-fields": (base) => {
      const extra = Object.fromEntries(
        Array.from({ length: int(1, 2000) }, (_, i) => [`x${i}`, i % 2 ? "v" : { n: i }]),
      );
      return { body: JSON.stringify({ ...(base as object), ...extra }) };
    },
  };

  for (const ep of endpoints()) {
    const names = Object.keys(families);
    for (let i = 0; i < perEndpoint; i++) {
      const base = pick(ep.bases);
      if (i < ep.bases.length) {
        add({
          family: "valid",
          endpoint: ep.name,
          path: ep.path,
          shape: ep.shape,
          body: Buffer.from(JSON.stringify(ep.bases[i])),
        });
        continue;
      }
      const family = names[i % names.length];
      const { body, headers } = families[family](base);
      add({
        family,
        endpoint: ep.name,
        path: ep.path,
        shape: ep.shape,
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        headers,
      });
    }
  }

  // Heavy schemas and counts, where they are accepted.
  const messages = [{ role: "user", content: "hi" }];
  for (let i = 0; i < 20; i++) {
    const n = pick([1001, 5000, 30_000, 100_000]);
    const schema = pick([
      () => ({ type: "object", properties: { v: { enum: Array.from({ length: n }, (_, j) => `v${j}`) } } }),
      () => ({
        type: "object",
        properties: Object.fromEntries(
          Array.from({ length: Math.min(n, 20_000) }, (_, j) => [`p${j}`, { type: "string" }]),
        ),
      }),
      () => ({ anyOf: Array.from({ length: 40 }, () => ({ type: "array", items: { anyOf: [{ type: "string" }] } })) }),
    ])();
    add({
      family: "schema-bomb",
      endpoint: "chat",
      path: "/v1/chat/completions",
      shape: "openai",
      body: Buffer.from(
        JSON.stringify({
          model: "chat",
          messages,
          max_tokens: 4,
          response_format: { type: "json_schema", json_schema: { name: "b", schema } },
        }),
      ),
    });
  }
  for (const count of [129, 10_001]) {
    const tools = Array.from({ length: Math.min(count, 129) }, (_, j) => ({
      type: "function",
      function: { name: `t${j}` },
    }));
    const many = Array.from({ length: count }, () => ({ role: "user", content: "x" }));
    add({
      family: "counts",
      endpoint: "chat",
      path: "/v1/chat/completions",
      shape: "openai",
      body: Buffer.from(
        JSON.stringify({
          model: "chat",
          messages: count > 200 ? many : messages,
          tools: count > 200 ? undefined : tools,
        }),
      ),
    });
    add({
      family: "counts",
      endpoint: "messages",
      path: "/v1/messages",
      shape: "anthropic",
      body: Buffer.from(
        JSON.stringify({
          model: "chat",
          max_tokens: 2,
          messages: count > 200 ? many : messages,
          tools: count > 200 ? undefined : tools.map((t) => ({ name: t.function.name, input_schema: {} })),
        }),
      ),
    });
  }

  // Hostile paths and queries.
  const segments = [
    "%E0%A4%A",
    "%",
    "%ZZ",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "a".repeat(5000),
    "%F0%9F%98%80",
    "%C0%AE%C0%AE",
    "__proto__",
    "constructor",
    "null",
    "-1",
    "%2e%2e",
  ];
  const getters = [
    "/hotpath/traces/:s",
    "/hotpath/traces/:s/analysis",
    "/v1/models/:s",
    "/hotpath/audit/:s",
    "/v1/responses/:s",
    "/v1/responses/:s/input_items",
  ];
  for (const g of getters)
    for (const s of segments)
      add({ family: "path", endpoint: g, method: "GET", path: g.replace(":s", s), shape: "openai", headers: {} });
  for (const s of segments)
    add({
      family: "path",
      endpoint: "/hotpath/audit/:s",
      method: "DELETE",
      path: `/hotpath/audit/${s}`,
      shape: "openai",
      headers: {},
    });
  const queries = [
    "limit=-1",
    "limit=abc",
    "limit=1e999",
    "limit=99999999999",
    "before=NaN",
    "before=-1",
    "window=0",
    "window=1e999",
    "window=%E0%A4%A",
    "namespace=%00",
    "limit=1&limit=2",
    "=&&=",
    "%",
    "a=%ZZ",
  ];
  for (const q of queries)
    for (const p of [
      "/hotpath/traces",
      "/hotpath/stats",
      "/hotpath/cache/entries",
      "/v1/models",
      "/hotpath/cache/stats",
    ]) {
      add({ family: "query", endpoint: p, method: "GET", path: `${p}?${q}`, shape: "openai", headers: {} });
    }
  // Dot segments resolve as in any URL: /v1/messages/../chat/completions is the chat endpoint (OpenAI's shape).
  for (const p of [
    "//",
    "/%2F%2F",
    "/v1//chat/completions",
    "/v1/chat/completions/",
    "/V1/CHAT/COMPLETIONS",
    "/v1/chat/completions%00",
    "/v1/messages/../chat/completions",
  ]) {
    add({ family: "path", endpoint: "misc", method: "POST", path: p, shape: "openai", body: Buffer.from("{}") });
  }
  return cases;
}
