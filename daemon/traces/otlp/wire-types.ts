// Wire types 6 and 7 are not protobuf (https://protobuf.dev/programming-guides/encoding/: 0 VARINT, 1 I64, 2 LEN,
// 3 SGROUP, 4 EGROUP, 5 I32; a parser fails on the others). protobufjs's generated decoders read a known field by its
// declared type whatever the tag's wire type says, so a tag with wire type 6 or 7 on a known field was read as that
// field and the body stored as if well-formed (on an unknown field protobufjs already refuses it). This walk reads the
// message tree as those decoders do (field by field, by declared type) and finds such a tag, with where it is.

/** How a decoder reads a field: a scalar of this encoding, or a nested message of this name. */
type FieldRead = "varint" | "i64" | "i32" | "len" | MessageName;

type MessageName =
  | "ExportTraceServiceRequest"
  | "ResourceSpans"
  | "Resource"
  | "EntityRef"
  | "ScopeSpans"
  | "InstrumentationScope"
  | "Span"
  | "Event"
  | "Link"
  | "Status"
  | "KeyValue"
  | "AnyValue"
  | "ArrayValue"
  | "KeyValueList";

/**
 * The fields of opentelemetry-proto's trace export messages that the generated decoders know (field number → read),
 * as @opentelemetry/otlp-transformer's generated root declares them; a unit test checks this table against it.
 */
export const OTLP_TRACE_FIELDS: Record<MessageName, Record<number, FieldRead>> = {
  ExportTraceServiceRequest: { 1: "ResourceSpans" },
  ResourceSpans: { 1: "Resource", 2: "ScopeSpans", 3: "len" },
  Resource: { 1: "KeyValue", 2: "varint", 3: "EntityRef" },
  EntityRef: { 1: "len", 2: "len", 3: "len", 4: "len" },
  ScopeSpans: { 1: "InstrumentationScope", 2: "Span", 3: "len" },
  InstrumentationScope: { 1: "len", 2: "len", 3: "KeyValue", 4: "varint" },
  Span: {
    1: "len",
    2: "len",
    3: "len",
    4: "len",
    5: "len",
    6: "varint",
    7: "i64",
    8: "i64",
    9: "KeyValue",
    10: "varint",
    11: "Event",
    12: "varint",
    13: "Link",
    14: "varint",
    15: "Status",
    16: "i32",
  },
  Event: { 1: "i64", 2: "len", 3: "KeyValue", 4: "varint" },
  Link: { 1: "len", 2: "len", 3: "len", 4: "KeyValue", 5: "varint", 6: "i32" },
  Status: { 2: "len", 3: "varint" },
  KeyValue: { 1: "len", 2: "AnyValue" },
  AnyValue: { 1: "len", 2: "varint", 3: "varint", 4: "i64", 5: "ArrayValue", 6: "KeyValueList", 7: "len" },
  ArrayValue: { 1: "AnyValue" },
  KeyValueList: { 1: "KeyValue" },
};

const WIRE_NAMES = ["VARINT", "I64", "LEN", "SGROUP", "EGROUP", "I32"];

/** What is wrong with an ExportTraceServiceRequest's wire format. */
class WireError extends Error {}

/**
 * The first tag with wire type 6 or 7 in an ExportTraceServiceRequest that protobufjs decoded, said with where it is
 * (undefined: none). Every read stays in bounds (checked anyway: a body protobufjs refused says so too). Iterative:
 * bodies nest as deep as protobufjs allowed.
 */
export function undefinedWireType(body: Uint8Array): string | undefined {
  try {
    walk(body);
    return undefined;
  } catch (e) {
    if (e instanceof WireError) return e.message;
    throw e;
  }
}

function walk(body: Uint8Array): void {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= body.length) throw malformed("a varint runs past the end");
      const b = body[pos++];
      if (shift < 28) value |= (b & 0x7f) << shift;
      else if (shift === 28) value |= (b & 0x0f) << 28;
      if (!(b & 0x80)) return value >>> 0;
    }
    throw malformed("a varint is longer than 10 bytes");
  };
  const skip = (n: number) => {
    if (pos + n > body.length) throw malformed("a field runs past the end");
    pos += n;
  };
  // Messages being read: the declared message and where it ends.
  const open: { message: MessageName; end: number }[] = [{ message: "ExportTraceServiceRequest", end: body.length }];
  while (open.length) {
    const top = open[open.length - 1];
    if (pos >= top.end) {
      open.pop();
      continue;
    }
    const at = pos;
    const tag = varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire > 5)
      throw new WireError(`wire type ${wire} (undefined in protobuf) at byte ${at}, field ${field} of ${top.message}`);
    const read = OTLP_TRACE_FIELDS[top.message][field];
    if (read === undefined) {
      skipUnknown(wire);
      continue;
    }
    if (read === "varint") varint();
    else if (read === "i64") skip(8);
    else if (read === "i32") skip(4);
    else {
      const length = varint();
      if (pos + length > Math.min(body.length, top.end)) throw malformed("a length runs past its message");
      if (read === "len") pos += length;
      else open.push({ message: read, end: pos + length });
    }
  }

  /** An unknown field, skipped by its wire type as protobufjs's Reader.skipType does (groups to their end). */
  function skipUnknown(wire: number): void {
    let groups = 0;
    for (;;) {
      if (wire === 0) varint();
      else if (wire === 1) skip(8);
      else if (wire === 2) skip(varint());
      else if (wire === 5) skip(4);
      else if (wire === 3) groups++;
      else if (wire === 4 && groups > 0) groups--;
      else
        throw new WireError(
          `wire type ${wire} (${WIRE_NAMES[wire] ?? "undefined in protobuf"}) where it cannot be, at byte ${pos}`,
        );
      if (!groups) return;
      const tag = varint();
      wire = tag & 7;
    }
  }
}

function malformed(problem: string): WireError {
  return new WireError(problem);
}
