// OpenAI Agents SDK trace exports ({traces:[{object:"trace", id:"trace_…", spans:[{object:"trace.span", span_data…}]}]},
// a TracingProcessor's dump) and OpenTelemetry Python SDK span dumps (ReadableSpan.to_json(): {spans:[{context:{…}}]}
// or grouped {traces:[{trace_id, spans}]}), which the same runs often produce side by side.
import { z } from "zod";
import { foreignId } from "../ids.js";
import { spanKindOf, toGenAi } from "../semconv.js";
import type { AttributeValue, Attributes, Span, SpanKind } from "../span.js";
import { clip, ImportError, isoToNs, issuePath, wholeJson, type ParsedTrace, type TraceImporter } from "./format.js";
import { groupByTrace } from "./otlp-json.js";

const nullish = (v: unknown) => v === null || v === undefined || v === "None" || v === "";

const SdkSpan = z
  .object({
    object: z.literal("trace.span").optional(),
    id: z.string().min(1),
    trace_id: z.string().min(1),
    parent_id: z.string().nullable().optional(),
    started_at: z.string().refine((s) => Number.isFinite(Date.parse(s)), "not an ISO-8601 time"),
    ended_at: z
      .string()
      .refine((s) => Number.isFinite(Date.parse(s)), "not an ISO-8601 time")
      .nullable()
      .optional(),
    span_data: z.unknown().optional(),
    span_data_type: z.string().optional(),
    error: z.unknown().optional(),
  })
  .passthrough();

const SdkExport = z.object({
  traces: z.array(
    z
      .object({
        object: z.literal("trace"),
        id: z.string().min(1),
        workflow_name: z.string().nullable().optional(),
        spans: z.array(z.unknown()).default([]),
      })
      .passthrough(),
  ),
});

const SDK_KIND: Record<string, SpanKind> = {
  agent: "agent",
  response: "llm",
  generation: "llm",
  function: "tool",
  mcp_tools: "tool",
  handoff: "chain",
  guardrail: "other",
  custom: "other",
  transcription: "other",
  speech: "other",
};

export const openAiAgentsImporter: TraceImporter = {
  format: "openai-agents",
  detect(_name, _head, first) {
    const t = (first as { traces?: unknown })?.traces;
    return (
      Array.isArray(t) && typeof t[0] === "object" && t[0] !== null && (t[0] as { object?: unknown }).object === "trace"
    );
  },
  parse(text, ctx): ParsedTrace[] {
    const doc = wholeJson(text, ctx);
    const parsed = SdkExport.safeParse(doc);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ImportError(ctx.file, undefined, issuePath(issue.path), issue.message);
    }
    return parsed.data.traces.map((trace, ti) => {
      const traceId = foreignId(trace.id, 16, "openai-agents");
      const spans = trace.spans.map((raw, si) => {
        const r = SdkSpan.safeParse(raw);
        if (!r.success) {
          const issue = r.error.issues[0];
          throw new ImportError(
            ctx.file,
            undefined,
            `traces[${ti}].spans[${si}].${issuePath(issue.path)}`,
            issue.message,
          );
        }
        const s = r.data;
        const data =
          typeof s.span_data === "object" && s.span_data !== null ? (s.span_data as Record<string, unknown>) : {};
        const type =
          s.span_data_type ??
          (typeof data.type === "string" ? data.type : pyField(String(s.span_data ?? ""), "type")) ??
          "custom";
        const kind = SDK_KIND[type] ?? "other";
        const attrs: Attributes = { "openai.agents.span_type": type };
        const name = String(
          data.name ?? s.span_data_name ?? s.name ?? pyField(String(s.span_data ?? ""), "name") ?? type,
        );
        if (kind === "agent") {
          attrs["gen_ai.operation.name"] = "invoke_agent";
          attrs["gen_ai.agent.name"] = name;
          const tools = s.span_data_tools ?? data.tools;
          if (tools !== undefined)
            attrs["openai.agents.tools"] = typeof tools === "string" ? tools : JSON.stringify(tools);
        } else if (kind === "llm") {
          attrs["gen_ai.operation.name"] = "chat";
          attrs["gen_ai.provider.name"] = "openai";
          const responseId = data.response_id ?? pyField(String(s.span_data ?? ""), "response_id");
          if (typeof responseId === "string") attrs["gen_ai.response.id"] = responseId;
          const model = /model='([^']+)'/.exec(String(s.response ?? s.span_data_response ?? ""))?.[1];
          if (model) attrs["gen_ai.request.model"] = model;
          if (typeof s.span_data_input === "string") attrs["input.value"] = clip(s.span_data_input);
          const usage = /usage=ResponseUsage\(input_tokens=(\d+).*?output_tokens=(\d+)/.exec(String(s.response ?? ""));
          if (usage) {
            attrs["gen_ai.usage.input_tokens"] = Number(usage[1]);
            attrs["gen_ai.usage.output_tokens"] = Number(usage[2]);
          }
        } else if (kind === "tool") {
          attrs["gen_ai.operation.name"] = "execute_tool";
          attrs["gen_ai.tool.name"] = name;
          if (data.input !== undefined) attrs["gen_ai.tool.call.arguments"] = clip(String(data.input));
          if (data.output !== undefined) attrs["gen_ai.tool.call.result"] = clip(String(data.output));
        }
        if (trace.workflow_name) attrs["openai.agents.workflow_name"] = trace.workflow_name;
        const startNs = isoToNs(s.started_at);
        const endNs = s.ended_at ? isoToNs(s.ended_at) : startNs;
        const errored = !nullish(s.error);
        const span: Span = {
          traceId,
          spanId: foreignId(s.id, 8, "openai-agents"),
          parentSpanId: nullish(s.parent_id) ? undefined : foreignId(String(s.parent_id), 8, "openai-agents"),
          name: kind === "llm" ? `chat ${attrs["gen_ai.request.model"] ?? ""}`.trim() : name,
          kind,
          startNs,
          endNs: Math.max(startNs, endNs),
          status: errored ? "error" : "ok",
          statusMessage: errored
            ? clip(String(typeof s.error === "string" ? s.error : JSON.stringify(s.error)), 2000)
            : undefined,
          attributes: attrs,
        };
        return span;
      });
      return { spans, source: "import:openai-agents", origin: ctx.file, name: trace.workflow_name ?? undefined };
    });
  },
};

/** `{'type': 'agent', 'name': 'SearchAgent'}` (a Python repr the exporter wrote as a string) → one field. */
function pyField(repr: string, key: string): string | undefined {
  return new RegExp(`'${key}': '([^']*)'`).exec(repr)?.[1];
}

const PySpan = z
  .object({
    name: z.string(),
    context: z.object({ trace_id: z.string().min(1), span_id: z.string().min(1) }),
    parent_id: z.string().nullable().optional(),
    start_time: z.union([z.number(), z.string()]),
    end_time: z.union([z.number(), z.string()]).nullable().optional(),
    status: z
      .object({ status_code: z.string().optional(), description: z.string().nullable().optional() })
      .passthrough()
      .optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    events: z
      .array(
        z
          .object({
            name: z.string(),
            timestamp: z.union([z.number(), z.string()]).optional(),
            attributes: z.unknown().optional(),
          })
          .passthrough(),
      )
      .optional(),
  })
  .passthrough();

export const otelPythonImporter: TraceImporter = {
  format: "otel-python-json",
  detect(_name, _head, first) {
    const f = first as { spans?: unknown; traces?: unknown };
    const spans = Array.isArray(f?.spans)
      ? f.spans
      : Array.isArray(f?.traces)
        ? (f.traces[0] as { spans?: unknown })?.spans
        : undefined;
    return Array.isArray(spans) && typeof spans[0] === "object" && spans[0] !== null && "context" in spans[0];
  },
  parse(text, ctx): ParsedTrace[] {
    const doc = wholeJson(text, ctx) as { spans?: unknown[]; traces?: { spans?: unknown[] }[] };
    const list: { raw: unknown; path: string }[] = [];
    if (Array.isArray(doc?.spans)) doc.spans.forEach((raw, i) => list.push({ raw, path: `spans[${i}]` }));
    else if (Array.isArray(doc?.traces)) {
      doc.traces.forEach((t, ti) =>
        (Array.isArray(t?.spans) ? t.spans : []).forEach((raw, i) =>
          list.push({ raw, path: `traces[${ti}].spans[${i}]` }),
        ),
      );
    } else throw new ImportError(ctx.file, undefined, "spans", "expected a list of spans (or traces[].spans)");
    const spans = list.map(({ raw, path }) => {
      const r = PySpan.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new ImportError(ctx.file, undefined, `${path}.${issuePath(issue.path)}`, issue.message);
      }
      const s = r.data;
      const attrs: Attributes = {};
      for (const [k, v] of Object.entries(s.attributes ?? {})) attrs[k] = toAttr(v);
      if (s.events?.length) attrs["otel.events"] = clip(JSON.stringify(s.events));
      // Hand-instrumented agent steps often carry only an `agent` attribute naming the agent they ran.
      const kind = spanKindOf(attrs) === "other" && typeof attrs.agent === "string" ? "agent" : spanKindOf(attrs);
      const startNs = Number(s.start_time);
      const endNs = s.end_time === null || s.end_time === undefined ? startNs : Number(s.end_time);
      if (!Number.isFinite(startNs))
        throw new ImportError(ctx.file, undefined, `${path}.start_time`, "not a number of nanoseconds");
      const code = s.status?.status_code;
      return {
        traceId: foreignId(s.context.trace_id.replace(/^0x/, ""), 16, "otel-python"),
        spanId: foreignId(s.context.span_id.replace(/^0x/, ""), 8, "otel-python"),
        parentSpanId: nullish(s.parent_id)
          ? undefined
          : foreignId(String(s.parent_id).replace(/^0x/, ""), 8, "otel-python"),
        name: s.name,
        kind,
        startNs,
        endNs: Math.max(startNs, Number.isFinite(endNs) ? endNs : startNs),
        status: code === "OK" ? "ok" : code === "ERROR" ? "error" : "unset",
        statusMessage: s.status?.description ?? undefined,
        attributes: toGenAi(attrs, kind),
      } satisfies Span;
    });
    return groupByTrace(spans, "import:otel-python-json", ctx.file);
  },
};

function toAttr(v: unknown): AttributeValue {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean")
    return v as AttributeValue;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
  return JSON.stringify(v);
}
