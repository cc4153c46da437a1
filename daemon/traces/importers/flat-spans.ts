// Flat span exports: one record per span, as Arize Phoenix and OpenInference tooling write them — the Phoenix REST
// API (`GET /v1/projects/{id}/spans` → {data: [span]}: context.{trace_id,span_id}, span_kind, parent_id, ISO
// start_time/end_time, status_code, nested `attributes`), `get_spans_dataframe().to_json(orient="records")` (flattened
// columns "context.span_id", "attributes.llm.model_name", epoch-ms times) and JSON Lines of either. Attributes are
// flattened to OpenInference's dotted keys (llm.output_messages.0.message.tool_calls.0.tool_call.id …) and mapped onto
// the GenAI names by semconv.ts, so tool call ids on tool spans and requested ids on LLM spans both survive.
import { foreignId } from "../ids.js";
import { spanKindOf, toGenAi } from "../semconv.js";
import type { AttributeValue, Attributes, Span } from "../span.js";
import {
  clip,
  ImportError,
  isoToNs,
  parseJsonLines,
  wholeJson,
  type ImportContext,
  type ParsedTrace,
  type TraceImporter,
} from "./format.js";
import { groupByTrace } from "./otlp-json.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Nesting deeper than this is kept as JSON text (hostile input cannot make flattening recurse without end). */
const MAX_DEPTH = 12;
/** Attributes per span beyond this are dropped (a span with a million keys is no span). */
const MAX_ATTRIBUTES = 4096;

const OI_KINDS = new Set([
  "LLM",
  "TOOL",
  "AGENT",
  "CHAIN",
  "RETRIEVER",
  "RERANKER",
  "EMBEDDING",
  "GUARDRAIL",
  "EVALUATOR",
  "PROMPT",
  "UNKNOWN",
]);

/** A field of a record: nested (`context.span_id` inside `context`) or flattened ("context.span_id" as one key). */
function field(r: Obj, path: string): unknown {
  if (path in r) return r[path];
  let cur: unknown = r;
  for (const part of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function firstField(r: Obj, ...paths: string[]): unknown {
  for (const p of paths) {
    const v = field(r, p);
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}

/** True for a record that is one span of a flat export. */
export function isFlatSpan(v: unknown): boolean {
  if (!isObj(v)) return false;
  const spanId = firstField(v, "context.span_id", "span_id");
  const start = firstField(v, "start_time");
  return (
    typeof spanId === "string" &&
    (typeof start === "string" || typeof start === "number") &&
    firstField(v, "context.trace_id", "trace_id") !== undefined
  );
}

function recordsOf(doc: unknown): unknown[] | undefined {
  if (Array.isArray(doc)) return doc;
  if (isObj(doc) && Array.isArray(doc.data)) return doc.data;
  return undefined;
}

export const flatSpansImporter: TraceImporter = {
  format: "flat-spans",
  detect(_name, _head, first) {
    const records = recordsOf(first);
    if (records) return isFlatSpan(records[0]);
    return isFlatSpan(first); // JSON Lines: the first record
  },
  parse(text, ctx): ParsedTrace[] {
    const items: { where: string; line?: number; value: unknown }[] = [];
    const trimmed = text.trimStart();
    let doc: unknown;
    if (trimmed.startsWith("[") || ctx.json !== undefined) doc = wholeJson(text, ctx);
    const records = doc === undefined ? undefined : (recordsOf(doc) ?? [doc]);
    if (records)
      records.forEach((value, i) => items.push({ where: `${Array.isArray(doc) ? "" : "data"}[${i}]`, value }));
    else for (const { line, value } of parseJsonLines(text, ctx.file)) items.push({ where: "", line, value });
    if (!items.length) throw new ImportError(ctx.file, undefined, undefined, "no span records");
    const spans = items.map(({ where, line, value }) => toSpan(value, ctx, where, line));
    return groupByTrace(spans, "import:flat-spans", ctx.file);
  },
};

function toSpan(value: unknown, ctx: ImportContext, where: string, line: number | undefined): Span {
  const fail = (f: string, problem: string): never => {
    throw new ImportError(ctx.file, line, where ? `${where}.${f}` : f, problem);
  };
  if (!isObj(value)) return fail("(record)", "expected a span object");
  const spanId = firstField(value, "context.span_id", "span_id");
  const traceId = firstField(value, "context.trace_id", "trace_id");
  if (typeof spanId !== "string" || !spanId) return fail("context.span_id", "expected a span id string");
  if (typeof traceId !== "string" || !traceId) return fail("context.trace_id", "expected a trace id string");
  const parent = firstField(value, "parent_id", "parent_span_id", "context.parent_id");
  if (parent !== undefined && typeof parent !== "string") fail("parent_id", "expected a span id string or null");
  const startNs = timeNs(firstField(value, "start_time"), () =>
    fail("start_time", "expected an ISO-8601 time or epoch number"),
  );
  const endRaw = firstField(value, "end_time");
  const endNs =
    endRaw === undefined
      ? startNs
      : timeNs(endRaw, () => fail("end_time", "expected an ISO-8601 time or epoch number"));

  const attrs: Attributes = {};
  let count = 0;
  const put = (k: string, v: AttributeValue) => {
    if (count++ < MAX_ATTRIBUTES) attrs[k] = v;
  };
  const nested = firstField(value, "attributes");
  if (typeof nested === "string") {
    // Some exports carry the attributes as one JSON text.
    try {
      flatten(JSON.parse(nested), "", put, 0);
    } catch {
      fail("attributes", "a string that is not JSON");
    }
  } else if (isObj(nested)) flatten(nested, "", put, 0);
  for (const [k, v] of Object.entries(value))
    if (k.startsWith("attributes.")) flatten(v, k.slice("attributes.".length), put, 0);

  const kindText = firstField(value, "span_kind", "kind", "attributes.openinference.span.kind");
  if (
    typeof kindText === "string" &&
    OI_KINDS.has(kindText.toUpperCase()) &&
    attrs["openinference.span.kind"] === undefined
  ) {
    attrs["openinference.span.kind"] = kindText.toUpperCase();
  }
  const kind = spanKindOf(attrs);
  const status = String(firstField(value, "status_code", "status.status_code", "status.code") ?? "").toUpperCase();
  const message = firstField(value, "status_message", "status.description", "status.message");
  const events = firstField(value, "events");
  if (Array.isArray(events) && events.length) attrs["otel.events"] = clip(JSON.stringify(events), 64 * 1024);
  let id: string;
  let trace: string;
  let parentSpanId: string | undefined;
  try {
    id = foreignId(spanId.replace(/^0x/, ""), 8, "flat-spans");
    trace = foreignId(traceId.replace(/^0x/, ""), 16, "flat-spans");
    parentSpanId =
      typeof parent === "string" && parent ? foreignId(parent.replace(/^0x/, ""), 8, "flat-spans") : undefined;
  } catch (e) {
    return fail("context", (e as Error).message);
  }
  const name = firstField(value, "name");
  return {
    traceId: trace,
    spanId: id,
    parentSpanId,
    name: typeof name === "string" ? name.slice(0, 500) : kind,
    kind,
    startNs,
    endNs: Math.max(startNs, endNs),
    status: status.includes("ERROR") ? "error" : status.includes("OK") ? "ok" : "unset",
    statusMessage: typeof message === "string" && message ? clip(message, 2000) : undefined,
    attributes: toGenAi(attrs, kind),
  };
}

/** ISO-8601 text, or an epoch number in s, ms, µs or ns (told apart by magnitude: any date after 1973). */
function timeNs(v: unknown, fail: () => never): number {
  if (typeof v === "string") {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return timeNs(Number(v), fail);
    try {
      return isoToNs(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`); // naive times (pandas) are UTC
    } catch {
      return fail();
    }
  }
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return fail();
  if (v >= 1e17) return v;
  if (v >= 1e14) return v * 1e3;
  if (v >= 1e11) return v * 1e6;
  return v * 1e9;
}

/** OpenInference's flattening: objects by key, arrays of objects by index, scalar arrays kept as arrays. */
function flatten(v: unknown, prefix: string, put: (k: string, v: AttributeValue) => void, depth: number): void {
  if (v === undefined || v === null) return;
  if (typeof v === "string") return put(prefix, clip(v));
  if (typeof v === "number" || typeof v === "boolean") return put(prefix, v);
  if (depth >= MAX_DEPTH) {
    let rest: string;
    try {
      rest = JSON.stringify(v);
    } catch {
      rest = "[nested too deep]"; // stringify recurses: a hostile depth must not throw out of the import
    }
    return put(prefix, clip(rest));
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string"))
      return put(
        prefix,
        v.map((x) => clip(x as string, 64 * 1024)),
      );
    if (v.every((x) => typeof x === "number")) return put(prefix, v as number[]);
    v.forEach((x, i) => flatten(x, prefix ? `${prefix}.${i}` : String(i), put, depth + 1));
    return;
  }
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, put, depth + 1);
    return;
  }
}
