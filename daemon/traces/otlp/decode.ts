// OTLP ExportTraceServiceRequest (OTLP/JSON or OTLP/protobuf) → Hotpath spans. Protobuf is decoded by the generated
// protobufjs root that @opentelemetry/otlp-transformer ships (the same code the OTel JS exporters encode with).
import { createRequire } from "node:module";
import { normalizeOtlpId } from "../ids.js";
import { addGenAi, spanKindOf } from "../semconv.js";
import type { AttributeValue, Attributes, Span, SpanStatus } from "../span.js";
import { undefinedWireType } from "./wire-types.js";

const requireCjs = createRequire(import.meta.url);

interface ProtoType {
  decode(buf: Uint8Array): unknown;
  encode(msg: unknown): { finish(): Uint8Array };
  toObject(msg: unknown, opts: Record<string, unknown>): unknown;
  fromObject(obj: unknown): unknown;
}
let protoTypes: { request: ProtoType; response: ProtoType } | undefined;

function proto() {
  if (!protoTypes) {
    const root = requireCjs("@opentelemetry/otlp-transformer/build/src/generated/root.js");
    const v1 = root.opentelemetry.proto.collector.trace.v1;
    protoTypes = { request: v1.ExportTraceServiceRequest, response: v1.ExportTraceServiceResponse };
  }
  return protoTypes;
}

export class OtlpDecodeError extends Error {}

/**
 * Decodes an OTLP/protobuf body into the same plain shape OTLP/JSON has (ids as bytes, 64-bit ints as strings). A tag
 * with wire type 6 or 7, which protobufjs reads as the field's own type without a word, is refused (wire-types.ts).
 */
export function decodeOtlpProtobuf(body: Uint8Array): unknown {
  const { request } = proto();
  let decoded: unknown;
  try {
    decoded = request.toObject(request.decode(body), { longs: String, enums: Number, defaults: false, arrays: true });
  } catch (e) {
    // protobufjs decodes nested messages recursively: AnyValues nested ~10,000 deep overflow its stack.
    if (e instanceof RangeError && /call stack/i.test(e.message))
      throw new OtlpDecodeError(
        "the OTLP protobuf nests messages (AnyValue arrays or kvlists) deeper than can be decoded; an OTLP request needs a few dozen levels",
      );
    throw new OtlpDecodeError(`not an OTLP ExportTraceServiceRequest protobuf: ${(e as Error).message}`);
  }
  const problem = undefinedWireType(body);
  if (problem) throw new OtlpDecodeError(`not an OTLP ExportTraceServiceRequest protobuf: ${problem}`);
  return decoded;
}

/** The empty ExportTraceServiceResponse (or one with partial_success) in protobuf form. */
export function encodeOtlpResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const { response } = proto();
  const obj = rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
  return response.encode(response.fromObject(obj)).finish();
}

export interface OtlpDecoded {
  spans: Span[];
  /** Spans refused (bad ids or times), with the reason of each, path-qualified. */
  rejected: string[];
  /** service.name of the resources seen, for the trace's origin. */
  services: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Converts one ExportTraceServiceRequest (parsed JSON, or decodeOtlpProtobuf's output). Structural problems
 * (not an object, resourceSpans not a list) throw with the path; individual bad spans are listed in `rejected`.
 */
export function otlpToSpans(request: unknown, path = ""): OtlpDecoded {
  const out: OtlpDecoded = { spans: [], rejected: [], services: [] };
  if (!isObj(request)) throw new OtlpDecodeError(`${path || "(root)"}: expected an ExportTraceServiceRequest object`);
  const resourceSpans = request.resourceSpans ?? request.resource_spans ?? [];
  if (!Array.isArray(resourceSpans)) throw new OtlpDecodeError(`${path}resourceSpans: expected a list`);
  resourceSpans.forEach((rs, i) => {
    const rsPath = `${path}resourceSpans[${i}]`;
    if (!isObj(rs)) throw new OtlpDecodeError(`${rsPath}: expected an object`);
    const resourceAttrs = isObj(rs.resource)
      ? attributesOf(rs.resource.attributes, `${rsPath}.resource.attributes`)
      : {};
    const service = resourceAttrs["service.name"];
    if (typeof service === "string" && !out.services.includes(service)) out.services.push(service);
    const scopeSpans = rs.scopeSpans ?? rs.scope_spans ?? rs.instrumentationLibrarySpans ?? [];
    if (!Array.isArray(scopeSpans)) throw new OtlpDecodeError(`${rsPath}.scopeSpans: expected a list`);
    scopeSpans.forEach((ss, j) => {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      if (!isObj(ss)) throw new OtlpDecodeError(`${ssPath}: expected an object`);
      const scopeName = isObj(ss.scope) && typeof ss.scope.name === "string" ? ss.scope.name : undefined;
      const spans = ss.spans ?? [];
      if (!Array.isArray(spans)) throw new OtlpDecodeError(`${ssPath}.spans: expected a list`);
      spans.forEach((raw, k) => {
        const spanPath = `${ssPath}.spans[${k}]`;
        try {
          out.spans.push(convertSpan(raw, resourceAttrs, scopeName, spanPath));
        } catch (e) {
          out.rejected.push(`${spanPath}.${(e as Error).message}`);
        }
      });
    });
  });
  return out;
}

/** One OTLP span (parsed JSON or decoded protobuf) → a Hotpath span; throws `field: problem` when it cannot. */
export function convertSpan(
  raw: unknown,
  resourceAttrs: Attributes,
  scopeName: string | undefined,
  path: string,
): Span {
  if (!isObj(raw)) throw new Error(`(span): expected an object`);
  const traceId = field("traceId", () => traceIds.of(raw.traceId ?? raw.trace_id));
  const spanId = field("spanId", () => spanIdOf(raw.spanId ?? raw.span_id));
  if (!traceId) throw new Error("traceId: missing or all zero");
  if (!spanId) throw new Error("spanId: missing or all zero");
  const parentSpanId = field("parentSpanId", () => parentIds.of(raw.parentSpanId ?? raw.parent_span_id));
  const startNs = field("startTimeUnixNano", () => nanos(raw.startTimeUnixNano ?? raw.start_time_unix_nano));
  const endNs = field("endTimeUnixNano", () => nanos(raw.endTimeUnixNano ?? raw.end_time_unix_nano));
  if (endNs < startNs) throw new Error(`endTimeUnixNano: before startTimeUnixNano`);
  const name = typeof raw.name === "string" && raw.name ? shared(raw.name.slice(0, 1000)) : "(unnamed)";
  // Resource attributes describe the process (service.name, …); span attributes win where both exist.
  const attrs = withOwnAttributes(resourceAttrs, raw.attributes, `${path}.attributes`);
  if (scopeName) attrs["otel.scope.name"] = scopeName;
  if (Array.isArray(raw.events) && raw.events.length) {
    attrs["otel.events"] = JSON.stringify(
      raw.events.filter(isObj).map((e) => ({
        name: e.name,
        timeUnixNano: String(e.timeUnixNano ?? e.time_unix_nano ?? ""),
        attributes: attributesOf(e.attributes, `${path}.events`),
      })),
    );
  }
  const kind = spanKindOf(attrs);
  const status = isObj(raw.status) ? raw.status : {};
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startNs,
    endNs,
    status: statusOf(status.code),
    statusMessage: typeof status.message === "string" && status.message ? status.message : undefined,
    attributes: addGenAi(attrs, kind),
  };
}

/**
 * The resource's attributes, then the span's own over them (in their order; a key both have keeps the resource's
 * place): what copying the resource's and then Object.assign of attributesOf(list) gives, without the second object.
 */
function withOwnAttributes(resourceAttrs: Attributes, list: unknown, path: string): Attributes {
  if (list !== undefined && list !== null && !Array.isArray(list)) attributesOf(list, path); // throws what it says
  const attrs = resourceCopy(resourceAttrs);
  if (!Array.isArray(list)) return attrs;
  for (const kv of list) {
    if (!isObj(kv) || typeof kv.key !== "string") continue;
    // attributesOf's object took "__proto__" as its prototype, and Object.assign then skipped it (or, after a null
    // prototype, copied it as one): that object's exact behaviour, not a second rule for the key.
    if (kv.key === "__proto__") return Object.assign(resourceCopy(resourceAttrs), attributesOf(list, path));
    const value = anyValue(kv.value, 0);
    attrs[kv.key] = typeof value === "string" ? shared(value) : value;
  }
  return attrs;
}

/**
 * One string for each short value seen again: JSON.parse makes a new copy of every value, and the spans of an import
 * are all kept until it is written and analysed — a span name, operation, model or tool name repeats in most spans
 * (copies were ~70 of the 430 bytes a 100k-span OTLP import kept per span). Bounded: emptied when full.
 */
function shared(s: string): string {
  if (s.length > SHARED_MAX_CHARS) return s;
  const known = sharedStrings.get(s);
  if (known !== undefined) return known;
  if (sharedStrings.size >= SHARED_MAX_STRINGS) sharedStrings.clear();
  sharedStrings.set(s, s);
  return s;
}
const SHARED_MAX_CHARS = 48;
const SHARED_MAX_STRINGS = 4096;
const sharedStrings = new Map<string, string>();

/** A copy of the resource's attributes, assigned one by one to a new object (a spread copy made slow objects). */
function resourceCopy(resourceAttrs: Attributes): Attributes {
  const attrs: Attributes = {};
  for (const k of Object.keys(resourceAttrs)) attrs[k] = resourceAttrs[k];
  return attrs;
}

/**
 * normalizeOtlpId with the last id remembered: the spans of a file share a few trace ids and parents, each a new
 * string from the parser, and the same id then needs neither the checks nor its own copy.
 */
class RecentId {
  private raw: unknown;
  private id: string | undefined;

  constructor(private readonly bytes: 8 | 16) {}

  of(raw: unknown): string | undefined {
    if (raw === this.raw && typeof raw === "string") return this.id;
    const id = hexIdOf(raw, this.bytes);
    this.raw = raw;
    this.id = id;
    return id;
  }
}

const traceIds = new RecentId(16);
const parentIds = new RecentId(8);
const spanIdOf = (raw: unknown) => hexIdOf(raw, 8);

/** normalizeOtlpId, answering lower-case hex of the right length (what OTLP/JSON writers send) without its regexes. */
function hexIdOf(raw: unknown, bytes: 8 | 16): string | undefined {
  if (typeof raw === "string" && raw.length === bytes * 2) {
    let zero = true;
    let i = 0;
    for (; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === 48) continue;
      zero = false;
      if (!((c > 48 && c <= 57) || (c >= 97 && c <= 102))) break;
    }
    if (i === raw.length && !zero) return raw;
  }
  return normalizeOtlpId(raw, bytes);
}

function field<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** The largest fixed64, OTLP's type for times: as a decimal string, and (rounded up to 2^64) as a number. */
const MAX_FIXED64 = "18446744073709551615";

/**
 * A time in nanoseconds since the epoch: OTLP's fixed64, as a decimal string (proto3's JSON mapping), a number (many
 * writers) or protobufjs's {low, high}. Anything else — fractions, negatives, 1e300, 2^64 and past — is no fixed64:
 * such a span is rejected instead of stored with a time the analyses then spread buckets across.
 */
function nanos(v: unknown): number {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return v;
  if (typeof v === "string" && v.length >= 1 && allDigits(v) && fitsFixed64(v)) return Number(v);
  if (isObj(v) && typeof v.low === "number" && typeof v.high === "number")
    return (v.high >>> 0) * 2 ** 32 + (v.low >>> 0);
  throw new Error(
    `expected unsigned 64-bit nanoseconds (decimal string or number), got ${JSON.stringify(v)?.slice(0, 60)}`,
  );
}

/** A string of digits within fixed64's range (leading zeros allowed, as decimal parsers take them). */
function fitsFixed64(digits: string): boolean {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  const n = digits.length - i;
  return n < MAX_FIXED64.length || (n === MAX_FIXED64.length && digits.slice(i) <= MAX_FIXED64);
}

/** /^\d+$/ without a regex (one call per time, two per span). */
function allDigits(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function statusOf(code: unknown): SpanStatus {
  if (code === 1 || code === "STATUS_CODE_OK") return "ok";
  if (code === 2 || code === "STATUS_CODE_ERROR") return "error";
  return "unset";
}

export function attributesOf(list: unknown, path: string): Attributes {
  const out: Attributes = {};
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new OtlpDecodeError(`${path}: expected a list of {key, value}`);
  for (const kv of list) {
    if (!isObj(kv) || typeof kv.key !== "string") continue;
    out[kv.key] = anyValue(kv.value, 0);
  }
  return out;
}

/** Levels of arrayValue/kvlistValue read into one attribute; deeper values become null. */
const MAX_VALUE_DEPTH = 8;

/**
 * An AnyValue as an attribute: primitives and arrays of one primitive type as they are, anything nested as one JSON
 * text. The nested parts go into that text as JSON values, not as JSON texts of their own: stringifying at every level
 * escaped the level below again, so the text doubled per level — a 3 KB body nesting arrays 100 deep held the event
 * loop 18 s building strings until V8 refused the length.
 */
function anyValue(v: unknown, depth: number): AttributeValue {
  const value = plainValue(v, depth);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const types = new Set(value.map((x) => typeof x));
    if (types.size <= 1 && !value.some((x) => x === null || typeof x === "object"))
      return value as string[] | number[] | boolean[];
  }
  return JSON.stringify(value);
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

function plainValue(v: unknown, depth: number): Plain {
  if (!isObj(v)) return null;
  if (typeof v.stringValue === "string") return v.stringValue;
  if (typeof v.boolValue === "boolean") return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) {
    return v.bytesValue instanceof Uint8Array ? Buffer.from(v.bytesValue).toString("base64") : String(v.bytesValue);
  }
  if (depth >= MAX_VALUE_DEPTH) return null;
  if (isObj(v.arrayValue)) {
    return Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map((x) => plainValue(x, depth + 1)) : [];
  }
  if (isObj(v.kvlistValue)) {
    // No prototype: a key "__proto__" is a key like any other.
    const o: { [key: string]: Plain } = Object.create(null);
    for (const kv of Array.isArray(v.kvlistValue.values) ? v.kvlistValue.values : []) {
      if (isObj(kv) && typeof kv.key === "string") o[kv.key] = plainValue(kv.value, depth + 1);
    }
    return o;
  }
  return null;
}
