// Langfuse trace exports: a trace with its observations, as the public API returns it (`GET /api/public/traces/{id}`:
// {id, timestamp, name, sessionId, input, output, observations: [{id, type, name, startTime, endTime, model, input,
// output, usage, usageDetails, level, statusMessage, parentObservationId, …}]}), the UI's trace download, a list of
// such traces, a {data: [...]} page of them, or {trace, observations}. Observation types map onto span kinds
// (GENERATION → llm, TOOL → tool, AGENT → agent, RETRIEVER, EMBEDDING, CHAIN/SPAN → chain, EVENT → a point in time).
import { foreignId } from "../ids.js";
import { toGenAi } from "../semconv.js";
import type { Attributes, Span, SpanKind } from "../span.js";
import { clip, ImportError, isoToNs, wholeJson, type ParsedTrace, type TraceImporter } from "./format.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const KIND: Record<string, SpanKind> = {
  GENERATION: "llm",
  TOOL: "tool",
  AGENT: "agent",
  RETRIEVER: "retriever",
  EMBEDDING: "embedding",
  CHAIN: "chain",
  SPAN: "chain",
  EVENT: "other",
  EVALUATOR: "other",
  GUARDRAIL: "other",
};

interface LangfuseTrace {
  trace: Obj;
  observations: unknown[];
  where: string;
}

function tracesOf(doc: unknown): LangfuseTrace[] | undefined {
  const one = (v: unknown, where: string): LangfuseTrace | undefined => {
    if (!isObj(v)) return undefined;
    if (isObj(v.trace) && Array.isArray(v.observations)) return { trace: v.trace, observations: v.observations, where };
    if (
      typeof v.id === "string" &&
      Array.isArray(v.observations) &&
      (v.observations.length === 0 || isObj(v.observations[0]))
    ) {
      return { trace: v, observations: v.observations, where };
    }
    return undefined;
  };
  const list = Array.isArray(doc) ? doc : isObj(doc) && Array.isArray(doc.data) ? doc.data : undefined;
  if (list) {
    const prefix = Array.isArray(doc) ? "" : "data";
    const out = list.map((v, i) => one(v, `${prefix}[${i}]`));
    return out.length && out.every((x): x is LangfuseTrace => x !== undefined) ? out : undefined;
  }
  const single = one(doc, "");
  return single ? [single] : undefined;
}

export const langfuseImporter: TraceImporter = {
  format: "langfuse",
  detect(_name, _head, first) {
    const traces = tracesOf(first);
    if (!traces?.length) return false;
    const o = traces[0].observations[0];
    return isObj(o) ? typeof o.type === "string" && "startTime" in o : "timestamp" in traces[0].trace;
  },
  parse(text, ctx): ParsedTrace[] {
    const traces = tracesOf(wholeJson(text, ctx));
    if (!traces)
      throw new ImportError(ctx.file, undefined, "observations", "expected a Langfuse trace with an observations list");
    return traces.map((t) => toTrace(t, ctx.file));
  },
};

const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === "string" ? v : JSON.stringify(v);

function toTrace({ trace, observations, where }: LangfuseTrace, file: string): ParsedTrace {
  const at = (f: string) => (where ? `${where}.${f}` : f);
  if (typeof trace.id !== "string" || !trace.id)
    throw new ImportError(file, undefined, at("id"), "expected the trace id string");
  const traceId = foreignId(trace.id, 16, "langfuse");
  const rootId = foreignId(`trace:${trace.id}`, 8, "langfuse");
  const time = (v: unknown, f: string): number => {
    if (typeof v !== "string") throw new ImportError(file, undefined, at(f), "expected an ISO-8601 time");
    try {
      return isoToNs(v);
    } catch (e) {
      throw new ImportError(file, undefined, at(f), (e as Error).message);
    }
  };
  const spans: Span[] = [];
  observations.forEach((raw, i) => {
    const f = (x: string) => `observations[${i}].${x}`;
    if (!isObj(raw)) throw new ImportError(file, undefined, at(f("(record)")), "expected an observation object");
    if (typeof raw.id !== "string" || !raw.id)
      throw new ImportError(file, undefined, at(f("id")), "expected an observation id string");
    const type = String(raw.type ?? "SPAN").toUpperCase();
    const kind = KIND[type] ?? "other";
    const startNs = time(raw.startTime, f("startTime"));
    const endNs = raw.endTime === null || raw.endTime === undefined ? startNs : time(raw.endTime, f("endTime"));
    const attrs: Attributes = { "langfuse.observation.type": type };
    const name = typeof raw.name === "string" && raw.name ? raw.name.slice(0, 500) : type.toLowerCase();
    const input = text(raw.input);
    const output = text(raw.output);
    if (input !== undefined) attrs["input.value"] = clip(input);
    if (output !== undefined) attrs["output.value"] = clip(output);
    if (kind === "llm") {
      if (typeof raw.model === "string") attrs["gen_ai.request.model"] = raw.model;
      const usage = isObj(raw.usageDetails) ? raw.usageDetails : isObj(raw.usage) ? raw.usage : {};
      const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
      const inTok = n(usage.input) ?? n(usage.promptTokens) ?? n(usage.prompt_tokens);
      const outTok = n(usage.output) ?? n(usage.completionTokens) ?? n(usage.completion_tokens);
      if (inTok !== undefined) attrs["gen_ai.usage.input_tokens"] = inTok;
      if (outTok !== undefined) attrs["gen_ai.usage.output_tokens"] = outTok;
      if (typeof raw.completionStartTime === "string") {
        try {
          attrs["hotpath.timings.ttft_ms"] = Math.max(0, (isoToNs(raw.completionStartTime) - startNs) / 1e6);
        } catch {
          /* a bad optional field loses only itself */
        }
      }
      const calls = requestedToolCalls(raw.output);
      if (calls.length) {
        attrs["hotpath.tool_call_ids"] = calls.map((c) => c.id);
        attrs["hotpath.tool_call_names"] = calls.map((c) => c.name);
      }
    } else if (kind === "tool") {
      attrs["gen_ai.tool.name"] = name;
      const meta = isObj(raw.metadata) ? raw.metadata : {};
      const callId = meta.tool_call_id ?? meta.toolCallId ?? (isObj(raw.input) ? raw.input.tool_call_id : undefined);
      if (typeof callId === "string") attrs["gen_ai.tool.call.id"] = callId;
    }
    if (typeof trace.sessionId === "string") attrs["session.id"] = trace.sessionId;
    const level = String(raw.level ?? "");
    const parent =
      typeof raw.parentObservationId === "string" && raw.parentObservationId ? raw.parentObservationId : undefined;
    spans.push({
      traceId,
      spanId: foreignId(raw.id, 8, "langfuse"),
      parentSpanId: parent ? foreignId(parent, 8, "langfuse") : rootId,
      name,
      kind,
      startNs,
      endNs: Math.max(startNs, endNs),
      status: level === "ERROR" ? "error" : "unset",
      statusMessage:
        typeof raw.statusMessage === "string" && raw.statusMessage ? clip(raw.statusMessage, 2000) : undefined,
      attributes: toGenAi(attrs, kind),
    });
  });
  // Loops, not Math.min(...spread): an export with 500k observations would overflow the argument list.
  let first = trace.timestamp !== undefined && trace.timestamp !== null ? time(trace.timestamp, "timestamp") : Infinity;
  let last = -Infinity;
  for (const s of spans) {
    if (s.startNs < first) first = s.startNs;
    if (s.endNs > last) last = s.endNs;
  }
  if (first === Infinity) first = 0;
  last = Math.max(first, last);
  const rootAttrs: Attributes = { "gen_ai.operation.name": "invoke_agent" };
  if (typeof trace.sessionId === "string") rootAttrs["session.id"] = trace.sessionId;
  const input = text(trace.input);
  if (input !== undefined) rootAttrs["input.value"] = clip(input);
  spans.unshift({
    traceId,
    spanId: rootId,
    name: typeof trace.name === "string" && trace.name ? trace.name.slice(0, 500) : "langfuse trace",
    kind: "agent",
    startNs: first,
    endNs: last,
    status: "unset",
    attributes: toGenAi(rootAttrs, "agent"),
  });
  return { spans, source: "import:langfuse", origin: file, name: spans[0].name };
}

/** Tool calls a generation asked for, in the OpenAI message shapes Langfuse integrations record. */
function requestedToolCalls(output: unknown): { id: string; name: string }[] {
  const out: { id: string; name: string }[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || out.length >= 64) return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    if (!isObj(v)) return;
    const calls = v.tool_calls;
    if (Array.isArray(calls)) {
      for (const c of calls) {
        if (!isObj(c) || typeof c.id !== "string") continue;
        const fn = isObj(c.function) ? c.function : {};
        out.push({ id: c.id, name: typeof fn.name === "string" ? fn.name : typeof c.name === "string" ? c.name : "" });
      }
    }
    if (v.type === "tool_use" && typeof v.id === "string")
      out.push({ id: v.id, name: typeof v.name === "string" ? v.name : "" });
    for (const k of ["message", "content", "choices"]) if (k in v) visit(v[k], depth + 1);
  };
  visit(output, 0);
  return out;
}
