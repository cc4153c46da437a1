// Wire types 6 and 7 in OTLP/protobuf (daemon/traces/otlp/wire-types.ts): protobufjs's generated decoders read a known
// field by its declared type whatever the tag says, so such a tag was decoded and stored silently. The walk's table of
// fields is checked against those very decoders; tags with 6/7 at every level of the tree are refused with where they
// are; well-formed bodies (generated, with every field kind, unknown fields and groups) pass, as deep as protobufjs
// decodes them.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { decodeOtlpProtobuf, OtlpDecodeError } from "../../../daemon/traces/otlp/decode.js";
import { OTLP_TRACE_FIELDS, undefinedWireType } from "../../../daemon/traces/otlp/wire-types.js";
import { generateOtlpRequests } from "../../bench/_trace-generators.js";
import { otlpProtobuf } from "../../fixtures/otlp-bodies.js";
import { pb } from "../../fixtures/protobuf-wire.js";

const requireCjs = createRequire(import.meta.url);

const TRACE = Buffer.from("5b8efff798038103d269b633813fc60c", "hex");
const SPAN = Buffer.from("eee19b7ec3c1b174", "hex");
const request = (...spans: Buffer[]) => pb.len(1, pb.len(2, Buffer.concat(spans.map((s) => pb.len(2, s)))));
const span = (...extra: Buffer[]) =>
  Buffer.concat([
    pb.len(1, TRACE),
    pb.len(2, SPAN),
    pb.len(5, "s"),
    pb.fixed64(7, 1_700_000_000_000_000_000n),
    pb.fixed64(8, 1_700_000_001_000_000_000n),
    ...extra,
  ]);
/** A KeyValue whose AnyValue is `value` (AnyValue's fields). */
const attribute = (key: string, value: Buffer) => pb.len(9, Buffer.concat([pb.len(1, key), pb.len(2, value)]));

/** Which field of which message each generated decoder reads as a nested message, and which as a scalar. */
function generatedFields(): Record<string, Record<number, string>> {
  const root = requireCjs("@opentelemetry/otlp-transformer/build/src/generated/root.js").opentelemetry.proto;
  const types: Record<string, { decode: (...a: unknown[]) => unknown }> = {
    ExportTraceServiceRequest: root.collector.trace.v1.ExportTraceServiceRequest,
    ResourceSpans: root.trace.v1.ResourceSpans,
    Resource: root.resource.v1.Resource,
    EntityRef: root.common.v1.EntityRef,
    ScopeSpans: root.trace.v1.ScopeSpans,
    InstrumentationScope: root.common.v1.InstrumentationScope,
    Span: root.trace.v1.Span,
    Event: root.trace.v1.Span.Event,
    Link: root.trace.v1.Span.Link,
    Status: root.trace.v1.Status,
    KeyValue: root.common.v1.KeyValue,
    AnyValue: root.common.v1.AnyValue,
    ArrayValue: root.common.v1.ArrayValue,
    KeyValueList: root.common.v1.KeyValueList,
  };
  const reads: Record<string, string> = {
    string: "len",
    bytes: "len",
    int32: "varint",
    uint32: "varint",
    int64: "varint",
    bool: "varint",
    fixed64: "i64",
    double: "i64",
    fixed32: "i32",
  };
  const out: Record<string, Record<number, string>> = {};
  for (const [name, type] of Object.entries(types)) {
    out[name] = {};
    for (const m of type.decode.toString().matchAll(/case (\d+): \{([\s\S]*?)break;/g)) {
      const nested = /\$root\.[\w.]+\.(\w+)\.decode\(reader, reader\.uint32\(\)\)/.exec(m[2]);
      const scalar = /reader\.(\w+)\(\)/.exec(m[2]);
      out[name][Number(m[1])] = nested ? nested[1] : (reads[scalar![1]] ?? `unknown ${scalar![1]}`);
    }
  }
  return out;
}

describe("traces/otlp: protobuf wire types 6 and 7 refused (issue #15)", () => {
  it("the walk's table is the generated decoders' fields, read the way they read them", () => {
    assert.deepEqual(OTLP_TRACE_FIELDS, generatedFields());
  });

  it("well-formed bodies pass: every field kind, unknown fields with groups, generated 2,000 spans, 5,000 deep", () => {
    const everyKind = request(
      span(
        pb.len(3, "state"),
        pb.len(4, Buffer.alloc(8, 2)),
        pb.uint(6, 3),
        attribute("s", pb.len(1, "v")),
        attribute("b", pb.uint(2, 1)),
        attribute("i", pb.uint(3, 2 ** 40)),
        attribute("d", pb.fixed64(4, 0x400921fb54442d18n)),
        attribute("a", pb.len(5, pb.len(1, pb.len(1, "x")))),
        attribute("k", pb.len(6, pb.len(1, Buffer.concat([pb.len(1, "k"), pb.len(2, pb.len(1, "v"))])))),
        attribute("y", pb.len(7, Buffer.alloc(3, 9))),
        pb.uint(10, 1),
        pb.len(11, Buffer.concat([pb.fixed64(1, 5n), pb.len(2, "event"), attribute("e", pb.len(1, "v"))])),
        pb.uint(12, 0),
        pb.len(13, Buffer.concat([pb.len(1, TRACE), pb.len(2, SPAN), pb.fixed32(6, 1)])),
        pb.uint(14, 0),
        pb.len(15, Buffer.concat([pb.len(2, "ok"), pb.uint(3, 1)])),
        pb.fixed32(16, 0x100),
        // Unknown fields of every wire type, a group with fields and a nested group in it.
        pb.uint(99, 7),
        pb.fixed64(98, 1n),
        pb.len(97, "x"),
        pb.fixed32(96, 1),
        Buffer.concat([pb.tag(95, 3), pb.uint(1, 1), pb.tag(94, 3), pb.len(2, "g"), pb.tag(94, 4), pb.tag(95, 4)]),
      ),
    );
    assert.equal(undefinedWireType(everyKind), undefined);
    assert.ok(decodeOtlpProtobuf(everyKind));
    const generated = otlpProtobuf(generateOtlpRequests(2000, 2000)[0]);
    assert.equal(undefinedWireType(generated), undefined);
    let value = pb.len(1, "leaf");
    for (let i = 0; i < 5000; i++) value = pb.len(5, pb.len(1, value));
    assert.equal(undefinedWireType(request(span(attribute("deep", value)))), undefined);
  });

  it("a tag with wire type 6 or 7 is refused at every level, with the byte and the field", () => {
    for (const wire of [6, 7]) {
      // The payload the field's decoder reads (empty, length-prefixed, unless given), so that protobufjs decodes the body.
      const bad = (field: number, payload = pb.varint(0)) => Buffer.concat([pb.tag(field, wire), payload]);
      const cases: [Buffer, RegExp][] = [
        [Buffer.concat([bad(1)]), /field 1 of ExportTraceServiceRequest/],
        [pb.len(1, bad(2)), /field 2 of ResourceSpans/],
        [pb.len(1, pb.len(1, bad(1))), /field 1 of Resource/],
        [request(Buffer.concat([pb.len(1, TRACE), bad(2)])), /field 2 of Span/],
        [request(span(bad(7, Buffer.alloc(8, 1)))), /field 7 of Span/],
        [request(span(attribute("k", bad(1)))), /field 1 of AnyValue/],
        [request(span(attribute("k", pb.len(6, pb.len(1, Buffer.concat([pb.len(1, "k"), bad(2)])))))), /of KeyValue/],
        [request(span(pb.len(11, bad(2)))), /field 2 of Event/],
        [request(span(pb.len(15, bad(3, pb.varint(1))))), /field 3 of Status/],
      ];
      for (const [body, where] of cases) {
        const problem = undefinedWireType(body);
        assert.match(problem ?? "(none)", new RegExp(`^wire type ${wire} \\(undefined in protobuf\\) at byte \\d+`));
        assert.match(problem!, where);
        assert.throws(
          () => decodeOtlpProtobuf(body),
          (e: unknown) =>
            e instanceof OtlpDecodeError && /not an OTLP .* protobuf: wire type/.test((e as Error).message),
        );
      }
      // On an unknown field, or inside a group: refused as protobufjs's skipType refuses it.
      assert.match(undefinedWireType(request(span(bad(99))))!, /wire type/);
      assert.match(
        undefinedWireType(request(span(Buffer.concat([pb.tag(95, 3), bad(1), pb.tag(95, 4)]))))!,
        /wire type/,
      );
    }
  });

  it("before this walk, protobufjs decoded those bodies as if well-formed (what the walk is for)", () => {
    const { ExportTraceServiceRequest: Req } = requireCjs("@opentelemetry/otlp-transformer/build/src/generated/root.js")
      .opentelemetry.proto.collector.trace.v1;
    const body = request(Buffer.concat([pb.len(1, TRACE), pb.tag(2, 6), pb.varint(8), SPAN]));
    const decoded = Req.toObject(Req.decode(body), { longs: String, bytes: String });
    assert.equal(decoded.resourceSpans[0].scopeSpans[0].spans[0].spanId, SPAN.toString("base64"));
  });
});
