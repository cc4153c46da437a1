// A red-team pass on POST /v1/traces (issue #15): OTLP/JSON and OTLP/protobuf written by hand where the encoders will
// not (truncated and corrupt protobuf, wrong wire types, fields of the wrong type, huge repeated fields, AnyValues
// nested deep, invalid UTF-8, ids of the wrong length, timestamps as strings, numbers and out of range, gzip bombs,
// Content-Type that does not match the body), against the built daemon. Every answer is a 200 with OTLP's partial
// success or a 4xx in OpenAI's error shape, the daemon keeps answering, and what was stored can be read and analysed.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { otlpProtobuf } from "../../fixtures/otlp-bodies.js";
import { pb } from "../../fixtures/protobuf-wire.js";
import { rawRequest, type RawResponse } from "../../fixtures/raw-http.js";

const TRACE = Buffer.from("5b8efff798038103d269b633813fc60c", "hex");

/** An AnyValue nested `depth` times in arrays or kvlists around a string, its length prefixes worked out first. */
function deepAnyValue(depth: number, kind: "array" | "kvlist"): Buffer {
  const head = (field: number, length: number) => Buffer.concat([pb.tag(field, 2), pb.varint(length)]);
  const leaf = pb.len(1, "leaf");
  const key = pb.len(1, "k");
  const levels: Buffer[][] = [];
  let inner = leaf.length;
  for (let i = 0; i < depth; i++) {
    let heads: Buffer[];
    if (kind === "array") {
      const values = head(1, inner);
      heads = [head(5, values.length + inner), values];
    } else {
      const value = head(2, inner);
      const entry = head(1, key.length + value.length + inner);
      heads = [head(6, entry.length + key.length + value.length + inner), entry, key, value];
    }
    levels.push(heads);
    inner += heads.reduce((n, b) => n + b.length, 0);
  }
  return Buffer.concat([...levels.reverse().flat(), leaf]);
}

/** A Span message: ids, name and times as given, `extra` fields appended. */
function spanPb(o: { traceId?: Buffer; spanId?: Buffer; start?: bigint; end?: bigint; extra?: Buffer[] } = {}) {
  return Buffer.concat([
    pb.len(1, o.traceId ?? TRACE),
    pb.len(2, o.spanId ?? Buffer.from("eee19b7ec3c1b174", "hex")),
    pb.len(5, "span"),
    pb.fixed64(7, o.start ?? 1_700_000_000_000_000_000n),
    pb.fixed64(8, o.end ?? 1_700_000_001_000_000_000n),
    ...(o.extra ?? []),
  ]);
}
/** ExportTraceServiceRequest { resource_spans { scope_spans { spans… } } }. */
const requestPb = (...spans: Buffer[]) => pb.len(1, pb.len(2, Buffer.concat(spans.map((s) => pb.len(2, s)))));

/** OTLP/JSON export request with one span; `span` overrides its fields. */
function requestJson(span: Record<string, unknown> = {}, resource?: unknown): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: resource ?? { attributes: [{ key: "service.name", value: { stringValue: "hostile" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: "5b8efff798038103d269b633813fc60c",
                spanId: "eee19b7ec3c1b174",
                name: "span",
                startTimeUnixNano: "1700000000000000000",
                endTimeUnixNano: "1700000001000000000",
                ...span,
              },
            ],
          },
        ],
      },
    ],
  };
}

describe("hostile: POST /v1/traces red-team pass (issue #15)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;

  before(async () => {
    daemon = await startDaemon();
    auth = { authorization: `Bearer ${daemon.token}` };
  });
  after(() => daemon?.dispose());

  async function post(body: Buffer | string, type: string, extra: Record<string, string> = {}): Promise<RawResponse> {
    const res = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/traces",
      headers: { ...auth, "content-type": type, ...extra },
      body,
      timeoutMs: 120_000,
    });
    assert.ok(res.status < 500, `${res.status}: ${res.text.slice(0, 300)}`);
    if (res.status >= 400) {
      assert.equal(typeof res.body?.error?.message, "string", `not OpenAI's error shape: ${res.text.slice(0, 200)}`);
      assert.ok("code" in res.body.error && "param" in res.body.error);
    }
    const h = await rawRequest(daemon.url, { path: "/healthz", timeoutMs: 10_000 });
    assert.equal(h.status, 200, "the daemon stopped answering");
    return res;
  }
  const postPb = (body: Buffer, extra?: Record<string, string>) => post(body, "application/x-protobuf", extra);
  const postJson = (body: unknown, extra?: Record<string, string>) =>
    post(typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body), "application/json", extra);

  /** The stored trace and its analysis both answer 200 (what was accepted can be read back). */
  async function readable(traceId: string): Promise<void> {
    for (const path of [`/hotpath/traces/${traceId}`, `/hotpath/traces/${traceId}/analysis`]) {
      const res = await rawRequest(daemon.url, { path, headers: auth, timeoutMs: 30_000 });
      assert.equal(res.status, 200, `${path}: ${res.status} ${res.text.slice(0, 300)}`);
    }
  }

  it("a well-formed protobuf request is stored (the hand-written encoder is right)", async () => {
    const res = await postPb(requestPb(spanPb()));
    assert.equal(res.status, 200);
    await readable(TRACE.toString("hex"));
  });

  it("truncated and corrupt protobuf: a 400 naming the protobuf, never a 5xx", async () => {
    const good = requestPb(spanPb({ extra: [pb.len(9, pb.len(1, "k"))] }));
    for (let cut = 1; cut < good.length; cut += 3) {
      const res = await postPb(good.subarray(0, cut));
      assert.ok(res.status === 200 || res.status === 400, `cut at ${cut}: ${res.status}`);
    }
    // A length prefix past the end, a varint that never ends, wire types 3/4 (groups), field number 0.
    for (const body of [
      Buffer.concat([pb.tag(1, 2), pb.varint(1_000_000), Buffer.from("x")]),
      Buffer.concat([pb.tag(1, 0), Buffer.alloc(20, 0xff)]),
      Buffer.concat([pb.tag(1, 3), pb.tag(1, 4)]),
      Buffer.from([0x00]),
    ]) {
      const res = await postPb(body);
      assert.equal(res.status, 400, res.text.slice(0, 200));
      assert.match(res.body.error.message, /protobuf/);
    }
    // Wire types 6 and 7 (undefined in protobuf) on a known field: protobufjs's generated decoder reads the field's
    // own type whatever the tag says, and stored such bodies; refused now, at the top and deep in a span.
    const spanId6 = Buffer.concat([pb.tag(2, 6), pb.varint(8), Buffer.from("eee19b7ec3c1b174", "hex")]);
    const traceId = "6f".repeat(16);
    for (const body of [
      Buffer.from([0x0e, 0x00]),
      Buffer.from([0x0f, 0x00]),
      requestPb(Buffer.concat([pb.len(1, Buffer.from(traceId, "hex")), spanId6, pb.len(5, "span")])),
      requestPb(
        spanPb({
          traceId: Buffer.from(traceId, "hex"),
          extra: [pb.len(9, Buffer.concat([pb.tag(1, 7), pb.varint(0)]))],
        }),
      ),
    ]) {
      const res = await postPb(body);
      assert.equal(res.status, 400, `${res.status} ${res.text}`);
      assert.match(
        res.body.error.message,
        /protobuf: wire type [67] \(undefined in protobuf\) at byte \d+, field \d+ of \w+/,
      );
    }
    const stored = await rawRequest(daemon.url, { path: `/hotpath/traces/${traceId}`, headers: auth });
    assert.equal(stored.status, 404, "a body with an undefined wire type was stored");
  });

  it("fields with the wrong wire type are refused, never stored as something else", async () => {
    // trace_id as a varint, start time as a string, name as fixed64.
    for (const span of [
      Buffer.concat([pb.uint(1, 5), pb.len(2, Buffer.alloc(8, 1)), pb.fixed64(7, 1n), pb.fixed64(8, 2n)]),
      Buffer.concat([pb.len(1, TRACE), pb.len(2, Buffer.alloc(8, 1)), pb.len(7, "1700000000"), pb.fixed64(8, 2n)]),
      Buffer.concat([pb.len(1, TRACE), pb.len(2, Buffer.alloc(8, 1)), pb.fixed64(5, 7n)]),
    ]) {
      const res = await postPb(requestPb(span));
      assert.ok(res.status === 400 || res.status === 200, res.text.slice(0, 200));
      if (res.status === 200)
        assert.notEqual(res.text, "", "a span of the wrong shape stored without a partial success");
    }
  });

  it("ids of the wrong length are rejected span by span (partial success), in both encodings", async () => {
    for (const [traceId, spanId] of [
      [Buffer.alloc(15, 1), Buffer.alloc(8, 1)],
      [Buffer.alloc(17, 1), Buffer.alloc(8, 1)],
      [Buffer.alloc(16, 1), Buffer.alloc(7, 1)],
      [Buffer.alloc(16, 1), Buffer.alloc(1 << 16, 1)],
    ]) {
      const res = await postPb(requestPb(spanPb({ traceId, spanId })));
      assert.equal(res.status, 200);
      assert.notEqual(res.text, "", "no partial_success for a span with a bad id");
    }
    for (const [traceId, spanId] of [
      ["5b8efff798038103d269b633813fc6", "eee19b7ec3c1b174"],
      ["5b8efff798038103d269b633813fc60c00", "eee19b7ec3c1b174"],
      ["5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b1"],
      ["5b8efff798038103d269b633813fc60g", "eee19b7ec3c1b174"],
      [12345, "eee19b7ec3c1b174"],
      [{ low: 1, high: 2 }, "eee19b7ec3c1b174"],
      ["5b8efff798038103d269b633813fc60c", ["ee"]],
    ]) {
      const res = await postJson(requestJson({ traceId, spanId }));
      assert.equal(res.status, 200);
      assert.equal(res.body.partialSuccess?.rejectedSpans, 1, `${JSON.stringify([traceId, spanId])}: ${res.text}`);
    }
  });

  it("timestamps as strings, numbers and out of a fixed64's range: stored when they are times, else rejected", async () => {
    const cases: [unknown, unknown, boolean][] = [
      ["1700000000000000000", "1700000001000000000", true],
      [1700000000000000000, 1700000001000000000, true],
      ["18446744073709551615", "18446744073709551615", true], // the largest fixed64
      ["18446744073709551616", "18446744073709551616", false], // past it
      ["99999999999999999999", "99999999999999999999", false],
      [1e300, 1e300, false],
      [-1, 5, false],
      ["-1", "5", false],
      [1.5, 2.5, false],
      ["1e18", "2e18", false],
      [" 17", "18", false],
      [null, "5", false],
      [true, "5", false],
      [{}, "5", false],
      ["17", "16", false], // ends before it starts
    ];
    for (const [i, [start, end, stored]] of cases.entries()) {
      const traceId = (i + 1).toString(16).padStart(32, "a");
      const res = await postJson(requestJson({ traceId, startTimeUnixNano: start, endTimeUnixNano: end }));
      assert.equal(res.status, 200);
      assert.equal(
        res.body.partialSuccess?.rejectedSpans ?? 0,
        stored ? 0 : 1,
        `${JSON.stringify([start, end])}: ${res.text.slice(0, 200)}`,
      );
      if (stored) await readable(traceId);
    }
  });

  it("a trace spanning all of fixed64's range (one span at 1 ns, one at its end) reads and analyses", async () => {
    const traceId = "f".repeat(32);
    const res = await postJson({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: "1".repeat(16), name: "early", startTimeUnixNano: "1", endTimeUnixNano: "2" },
                {
                  traceId,
                  spanId: "2".repeat(16),
                  name: "late",
                  startTimeUnixNano: "18446744073709551614",
                  endTimeUnixNano: "18446744073709551615",
                },
                {
                  traceId,
                  spanId: "3".repeat(16),
                  parentSpanId: "1".repeat(16),
                  name: "all",
                  startTimeUnixNano: "1",
                  endTimeUnixNano: "18446744073709551615",
                  attributes: [{ key: "gen_ai.operation.name", value: { stringValue: "chat" } }],
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { partialSuccess: {} });
    await readable(traceId);
  });

  it("fields of the wrong JSON type: a 400 for the request's structure, partial success for a span's", async () => {
    for (const body of [
      { resourceSpans: {} },
      { resourceSpans: [1] },
      { resourceSpans: [{ scopeSpans: "x" }] },
      { resourceSpans: [{ scopeSpans: [{ spans: {} }] }] },
      { resourceSpans: [{ resource: { attributes: "x" }, scopeSpans: [] }] },
      [],
      "x",
      7,
    ]) {
      const res = await postJson(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text.slice(0, 200)}`);
    }
    for (const span of [
      { attributes: "x" },
      { attributes: [{ key: "a", value: "plain" }, { key: 7 }, null, 1] },
      { events: "x" },
      { events: [null, 1, { name: {}, timeUnixNano: {}, attributes: 7 }] },
      { links: 7 },
      { status: "error" },
      { status: { code: "x", message: 7 } },
      { kind: "SERVER" },
      { name: { a: 1 } },
      { name: "x".repeat(100_000) },
    ]) {
      const res = await postJson(requestJson(span));
      assert.equal(res.status, 200, `${JSON.stringify(span).slice(0, 100)}: ${res.text.slice(0, 200)}`);
    }
    await readable("5b8efff798038103d269b633813fc60c");
  });

  it("AnyValues nested deep (arrays and kvlists) in JSON and protobuf: refused or capped, never a stack overflow", async () => {
    // As text: a value nested thousands deep is more than JSON.stringify (recursive) writes.
    const nestJson = (depth: number, kind: "arrayValue" | "kvlistValue") => {
      const [open, close] =
        kind === "arrayValue"
          ? ['{"arrayValue":{"values":[', "]}}"]
          : ['{"kvlistValue":{"values":[{"key":"k","value":', "}]}}"];
      return open.repeat(depth) + '{"stringValue":"leaf"}' + close.repeat(depth);
    };
    for (const kind of ["arrayValue", "kvlistValue"] as const)
      for (const depth of [9, 12, 2000, 100_000]) {
        const text = JSON.stringify(requestJson({ attributes: [{ key: "deep", value: "PLACEHOLDER" }] }));
        const res = await postJson(text.replace('"PLACEHOLDER"', nestJson(depth, kind)));
        // Within jsonDepth (64 levels: the request's own 10, then 3–4 per AnyValue), stored with the levels past 8
        // dropped; deeper, a 400 naming the limit.
        assert.equal(res.status, depth <= 12 ? 200 : 400, `${kind} ${depth}: ${res.text.slice(0, 200)}`);
      }
    // Protobuf: AnyValue { array_value (5) { values (1) AnyValue … } } and kvlist_value (6) { values (1) KeyValue
    // { key (1), value (2) AnyValue … } }, written outside in from the sizes (nesting by concatenation is quadratic).
    for (const depth of [100, 5000, 200_000])
      for (const kind of ["array", "kvlist"] as const) {
        const value = deepAnyValue(depth, kind);
        const attribute = pb.len(9, Buffer.concat([pb.len(1, "deep"), pb.len(2, value)]));
        const res = await postPb(requestPb(spanPb({ extra: [attribute] })));
        if (depth <= 5000) assert.equal(res.status, 200, `${kind} ${depth}: ${res.text.slice(0, 200)}`);
        else {
          assert.equal(res.status, 400, `${kind} ${depth}: ${res.text.slice(0, 200)}`);
          assert.match(res.body.error.message, /nests messages .* deeper than can be decoded/);
        }
      }
    await readable(TRACE.toString("hex"));
  });

  it("huge repeated fields: 200,000 attributes, 100,000 events, 100,000 empty spans", async () => {
    const attrs = Buffer.concat(
      Array.from({ length: 200_000 }, (_, i) =>
        pb.len(9, Buffer.concat([pb.len(1, `k${i}`), pb.len(2, pb.len(1, "v"))])),
      ),
    );
    let res = await postPb(requestPb(spanPb({ extra: [attrs] })));
    assert.ok(res.status === 200 || res.status === 413, `${res.status} ${res.text.slice(0, 200)}`);
    const events = Buffer.concat(Array.from({ length: 100_000 }, () => pb.len(11, pb.len(2, "e"))));
    res = await postPb(requestPb(spanPb({ spanId: Buffer.alloc(8, 7), extra: [events] })));
    assert.ok(res.status === 200 || res.status === 413, `${res.status} ${res.text.slice(0, 200)}`);
    // Spans with nothing in them: each rejected (no ids), none stored.
    res = await postPb(
      pb.len(1, pb.len(2, Buffer.concat(Array.from({ length: 100_000 }, () => pb.len(2, Buffer.alloc(0)))))),
    );
    assert.equal(res.status, 200);
    await readable(TRACE.toString("hex"));
  });

  it("invalid UTF-8 in protobuf strings and in OTLP/JSON", async () => {
    const bad = Buffer.from([0x61, 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x62]);
    let res = await postPb(
      requestPb(
        spanPb({
          extra: [pb.len(5, bad), pb.len(9, Buffer.concat([pb.len(1, bad), pb.len(2, pb.len(1, bad))]))],
        }),
      ),
    );
    assert.equal(res.status, 200, res.text);
    await readable(TRACE.toString("hex"));
    const json = Buffer.from(JSON.stringify(requestJson({ name: "PLACEHOLDER" })));
    const at = json.indexOf("PLACEHOLDER");
    res = await post(Buffer.concat([json.subarray(0, at), bad, json.subarray(at + 11)]), "application/json");
    assert.ok(res.status === 400 || res.status === 200, res.text);
  });

  it("gzip bombs, lying trailers, corrupt and doubled encodings: 413/400/415, nothing inflated whole", async () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x20), { level: 1 });
    let res = await postJson(bomb, { "content-encoding": "gzip" });
    assert.equal(res.status, 413);
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(100, lying.length - 4);
    res = await postJson(lying, { "content-encoding": "gzip" });
    assert.equal(res.status, 413);
    res = await postJson(gzipSync(Buffer.from("{")).subarray(0, 12), { "content-encoding": "gzip" });
    assert.equal(res.status, 400);
    res = await postJson(Buffer.from("not gzip at all"), { "content-encoding": "gzip" });
    assert.equal(res.status, 400);
    res = await postJson(gzipSync(gzipSync(JSON.stringify(requestJson()))), { "content-encoding": "gzip, gzip" });
    assert.equal(res.status, 415);
    // Two gzip members: the first a bomb, the trailer of the second small.
    const members = Buffer.concat([bomb, gzipSync(Buffer.from(" "))]);
    res = await postJson(members, { "content-encoding": "gzip" });
    assert.equal(res.status, 413);
  });

  it("Content-Type that does not match the body: a 400 (or 415) in the request's terms", async () => {
    const json = JSON.stringify(requestJson());
    const proto = otlpProtobuf(requestJson());
    for (const [body, type, status] of [
      [json, "application/x-protobuf", 400],
      [proto, "application/json", 400],
      [json, "application/protobuf", 400],
      [json, "text/plain", 415],
      [json, "application/json; charset=utf-16", 200],
      [json, "APPLICATION/JSON", 200],
      [proto, "application/x-protobuf; proto=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest", 200],
      [json, "", 415],
    ] as [string | Buffer, string, number][]) {
      const res = await post(body, type);
      assert.equal(res.status, status, `${type}: ${res.text.slice(0, 200)}`);
    }
  });

  it("partial success has OTLP's shape in both encodings", async () => {
    const bad = { traceId: "00", spanId: "eee19b7ec3c1b174" };
    const res = await postJson(requestJson(bad));
    assert.equal(res.status, 200);
    assert.equal(res.body.partialSuccess.rejectedSpans, 1);
    assert.match(res.body.partialSuccess.errorMessage, /traceId/);
    const pbRes = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/traces",
      headers: { ...auth, "content-type": "application/x-protobuf" },
      body: requestPb(spanPb({ traceId: Buffer.alloc(3, 1) })),
    });
    assert.equal(pbRes.status, 200);
    assert.equal(pbRes.headers["content-type"], "application/x-protobuf");
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1) = 1, error_message (2) } }.
    const raw = Buffer.from(pbRes.text, "latin1");
    assert.equal(raw[0], 0x0a);
  });
});
