// Reads and writes traces and spans in the one SQLite file. Writes are idempotent (re-import never duplicates).
import type { Db } from "../db.js";
import type { Attributes, Span, SpanKind, SpanStatus, TraceSummary } from "./span.js";

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  start_ns: number;
  end_ns: number;
  status: string;
  status_message: string | null;
  request_id: string | null;
  attributes: string;
}

export class TraceStore {
  private readonly upsertSpanStmt;
  private readonly upsertTraceStmt;

  constructor(private readonly db: Db) {
    this.upsertSpanStmt = db.prepare(`
      INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message,
                         model, conversation_id, request_id, attributes)
      VALUES (@traceId, @spanId, @parentSpanId, @name, @kind, @startNs, @endNs, @status, @statusMessage,
              @model, @conversationId, @requestId, @attributes)
      ON CONFLICT (trace_id, span_id) DO UPDATE SET
        parent_span_id = excluded.parent_span_id, name = excluded.name, kind = excluded.kind,
        start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
        status_message = excluded.status_message, model = excluded.model, conversation_id = excluded.conversation_id,
        request_id = COALESCE(excluded.request_id, spans.request_id), attributes = excluded.attributes`);
    // The trace row's extent and count follow its spans, however they arrive (batches, re-imports, live requests).
    this.upsertTraceStmt = db.prepare(`
      INSERT INTO traces (trace_id, name, source, origin, start_ns, end_ns, span_count, created_at)
      SELECT @traceId, @name, @source, @origin, MIN(start_ns), MAX(end_ns), COUNT(*), @now FROM spans WHERE trace_id = @traceId
      ON CONFLICT (trace_id) DO UPDATE SET
        name = COALESCE(traces.name, excluded.name), start_ns = excluded.start_ns, end_ns = excluded.end_ns,
        span_count = excluded.span_count`);
  }

  /** Writes spans (insert or replace by trace+span id) and refreshes their traces' summaries, in one transaction. */
  writeSpans(spans: Span[], source: string, origin?: string, traceName?: string): void {
    this.db.transaction(() => {
      const traceIds = new Set<string>();
      for (const s of spans) {
        this.upsertSpanStmt.run(toRow(s));
        traceIds.add(s.traceId);
      }
      const now = Date.now();
      for (const traceId of traceIds) {
        this.upsertTraceStmt.run({ traceId, name: traceName ?? null, source, origin: origin ?? null, now });
      }
    })();
  }

  getSpans(traceId: string): Span[] {
    const rows = this.db.prepare("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id").all(traceId) as SpanRow[];
    return rows.map(fromRow);
  }

  getTrace(traceId: string): TraceSummary | undefined {
    const row = this.db.prepare("SELECT * FROM traces WHERE trace_id = ?").get(traceId) as Record<string, any> | undefined;
    return row ? toSummary(row) : undefined;
  }

  listTraces(opts: { limit?: number; before?: number; source?: string } = {}): TraceSummary[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM traces WHERE (@before IS NULL OR start_ns < @before) AND (@source IS NULL OR source = @source)
         ORDER BY start_ns DESC LIMIT @limit`,
      )
      .all({ before: opts.before ?? null, source: opts.source ?? null, limit: Math.min(opts.limit ?? 100, 10_000) }) as Record<string, any>[];
    return rows.map(toSummary);
  }

  /** Spans served by the daemon (or any source) in a time window, newest first; used by metrics views and heatmaps. */
  recentSpans(opts: { sinceNs?: number; kind?: SpanKind; limit?: number } = {}): Span[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM spans WHERE start_ns >= @since AND (@kind IS NULL OR kind = @kind) ORDER BY start_ns DESC LIMIT @limit`,
      )
      .all({ since: opts.sinceNs ?? 0, kind: opts.kind ?? null, limit: Math.min(opts.limit ?? 1000, 100_000) }) as SpanRow[];
    return rows.map(fromRow);
  }

  spanByRequestId(requestId: string): Span | undefined {
    const row = this.db.prepare("SELECT * FROM spans WHERE request_id = ?").get(requestId) as SpanRow | undefined;
    return row ? fromRow(row) : undefined;
  }
}

function toRow(s: Span) {
  const model = s.attributes["gen_ai.request.model"] ?? s.attributes["gen_ai.response.model"];
  const conversation = s.attributes["gen_ai.conversation.id"];
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? null,
    name: s.name,
    kind: s.kind,
    startNs: Math.round(s.startNs),
    endNs: Math.round(s.endNs),
    status: s.status,
    statusMessage: s.statusMessage ?? null,
    model: typeof model === "string" ? model : null,
    conversationId: typeof conversation === "string" ? conversation : null,
    requestId: s.requestId ?? null,
    attributes: JSON.stringify(s.attributes),
  };
}

function fromRow(r: SpanRow): Span {
  return {
    traceId: r.trace_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id ?? undefined,
    name: r.name,
    kind: r.kind as SpanKind,
    startNs: r.start_ns,
    endNs: r.end_ns,
    status: r.status as SpanStatus,
    statusMessage: r.status_message ?? undefined,
    requestId: r.request_id ?? undefined,
    attributes: JSON.parse(r.attributes) as Attributes,
  };
}

function toSummary(r: Record<string, any>): TraceSummary {
  return {
    traceId: r.trace_id,
    name: r.name ?? undefined,
    source: r.source,
    origin: r.origin ?? undefined,
    startNs: r.start_ns,
    endNs: r.end_ns,
    spanCount: r.span_count,
  };
}
