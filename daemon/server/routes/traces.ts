// Trace routes: list, detail, analysis, file import (admin), and the OTLP/HTTP receiver. Contract: api.ts "Traces".
import { z } from "zod";
import type { DaemonEvent, ImportResult, TraceAnalysis, TraceDetail, TraceList } from "../../api.js";
import type { Config } from "../../config.js";
import type { Db } from "../../db.js";
import { analyzeTrace } from "../../traces/analysis/index.js";
import { ImportError } from "../../traces/importers/index.js";
import { EncodingError, importFile, RecentAnalyses, RemoteImportError } from "../../traces/import/job.js";
import { decodeContentEncoding, OtlpRequestError, receiveOtlp } from "../../traces/otlp/receiver.js";
import type { TraceStore } from "../../traces/store.js";
import { HttpError, type RequestContext, type Route } from "../route.js";

/** What these routes need from the daemon's Services. */
export interface TraceServices {
  config: Config;
  db: Db;
  traces: TraceStore;
  events: { publish(event: DaemonEvent): void };
}

export const IMPORT_LIMIT_BYTES = 256 * 1024 * 1024;
export const OTLP_LIMIT_BYTES = 64 * 1024 * 1024;

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  before: z.coerce.number().nonnegative().optional(),
  source: z.string().max(100).optional(),
});

const TraceIdParam = z.string().regex(/^[0-9a-f]{32}$/, "a trace id is 32 lower-case hex characters");

const ImportQuery = z.object({
  name: z
    .string()
    .min(1)
    .max(255)
    .refine(
      (n) => !/[/\\]/.test(n) && !n.includes("\0") && n !== "." && n !== "..",
      "name is a file name, without directories",
    )
    .default("upload"),
});

function query<S extends z.ZodType>(ctx: RequestContext, schema: S): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of ctx.url.searchParams) raw[k] = v;
  const r = schema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`).join("; ");
    throw new HttpError(
      400,
      `invalid query: ${problems}`,
      "invalid_request_error",
      "invalid_query",
      String(r.error.issues[0].path[0] ?? ""),
    );
  }
  return r.data;
}

function traceIdOf(ctx: RequestContext): string {
  const r = TraceIdParam.safeParse(ctx.params.id);
  if (!r.success)
    throw new HttpError(
      400,
      `invalid trace id ${JSON.stringify(ctx.params.id)}: ${r.error.issues[0].message}`,
      "invalid_request_error",
      "invalid_trace_id",
      "id",
    );
  return r.data;
}

export function listTraces(ctx: RequestContext, s: TraceServices): void {
  const q = query(ctx, ListQuery);
  const body: TraceList = { traces: s.traces.listTraces({ limit: q.limit, before: q.before, source: q.source }) };
  ctx.send(200, body);
}

export function traceDetail(ctx: RequestContext, s: TraceServices): void {
  const id = traceIdOf(ctx);
  const trace = s.traces.getTrace(id);
  if (!trace) throw new HttpError(404, `no trace ${id}`, "not_found_error", "trace_not_found", "id");
  const body: TraceDetail = { trace, spans: s.traces.getSpans(id) };
  ctx.send(200, body);
}

/** Per store: analyses computed by imports from the spans they parsed (no read-back for the first view). */
const recent = new WeakMap<TraceStore, RecentAnalyses>();

function summaryKey(s: TraceServices, traceId: string): string | undefined {
  const t = s.traces.getTrace(traceId);
  return t ? `${t.spanCount}:${t.startNs}:${t.endNs}` : undefined;
}

export function traceAnalysis(ctx: RequestContext, s: TraceServices): void {
  const id = traceIdOf(ctx);
  const key = summaryKey(s, id);
  if (key === undefined) throw new HttpError(404, `no trace ${id}`, "not_found_error", "trace_not_found", "id");
  const body: TraceAnalysis = recent.get(s.traces)?.get(id, key) ?? analyzeTrace(s.traces.getSpans(id), id);
  ctx.send(200, body);
}

export async function importTrace(ctx: RequestContext, s: TraceServices): Promise<void> {
  const { name } = query(ctx, ImportQuery);
  const body = await ctx.readBody();
  if (!body.length)
    throw new HttpError(400, "empty body: send the trace file's bytes", "invalid_request_error", "empty_body");
  let result;
  try {
    // Parsing, writing and analyzing run in a worker: the daemon keeps answering during a large import.
    result = await importFile(s.traces, {
      dbPath: s.db.name,
      name,
      bytes: body,
      analyze: true,
      maxAttributeChars: s.config.traces.maxAttributeChars,
    });
  } catch (e) {
    if (e instanceof EncodingError) throw new HttpError(400, e.message, "invalid_request_error", "invalid_encoding");
    if (e instanceof ImportError || e instanceof RemoteImportError)
      throw new HttpError(400, e.message, "invalid_request_error", "invalid_trace_file", e.field ?? null);
    throw e;
  }
  if (result.analyses) {
    let memo = recent.get(s.traces);
    if (!memo) recent.set(s.traces, (memo = new RecentAnalyses()));
    memo.put(result.analyses, (id) => summaryKey(s, id));
  }
  s.events.publish({ type: "traces.changed", traceIds: result.traceIds, at: Date.now() });
  const out: ImportResult = { format: result.format, traceIds: result.traceIds, spanCount: result.spanCount };
  ctx.send(200, out);
}

export async function otlpTraces(ctx: RequestContext, s: TraceServices): Promise<void> {
  const raw = await ctx.readBody();
  try {
    const body = decodeContentEncoding(raw, header(ctx, "content-encoding"), OTLP_LIMIT_BYTES);
    const receipt = receiveOtlp(s.traces, body, header(ctx, "content-type"));
    if (receipt.traceIds.length)
      s.events.publish({ type: "traces.changed", traceIds: receipt.traceIds, at: Date.now() });
    ctx.res.writeHead(200, {
      "content-type": receipt.response.contentType,
      "content-length": String(receipt.response.body.length),
    });
    ctx.res.end(receipt.response.body);
  } catch (e) {
    if (e instanceof OtlpRequestError)
      throw new HttpError(e.status, e.message, "invalid_request_error", "invalid_otlp_request");
    throw e;
  }
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const routes: Route[] = [
  { method: "GET", path: "/hotpath/traces", handle: (ctx, s) => listTraces(ctx, s) },
  { method: "GET", path: "/hotpath/traces/:id", handle: (ctx, s) => traceDetail(ctx, s) },
  { method: "GET", path: "/hotpath/traces/:id/analysis", handle: (ctx, s) => traceAnalysis(ctx, s) },
  {
    method: "POST",
    path: "/hotpath/traces/import",
    bodyLimitBytes: IMPORT_LIMIT_BYTES,
    handle: (ctx, s) => importTrace(ctx, s),
  },
  { method: "POST", path: "/v1/traces", bodyLimitBytes: OTLP_LIMIT_BYTES, handle: (ctx, s) => otlpTraces(ctx, s) },
];
