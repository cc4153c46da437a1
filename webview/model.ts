// Pure preparation of a trace for display: rows in tree order with depth, times relative to the trace start,
// critical-path and parallel-group membership, files a span names.
import type { SpanDto, TraceAnalysis, TraceDetail } from "../daemon/api.js";

export interface Row {
  span: SpanDto;
  index: number;
  depth: number;
  /** ms since the trace's start. */
  start: number;
  end: number;
  critical: boolean;
  /** Index into analysis.parallelGroups, or -1. */
  group: number;
}

export interface TraceModel {
  rows: Row[];
  byId: Map<string, Row>;
  t0Ns: number;
  durationMs: number;
  criticalIds: Set<string>;
}

export function buildModel(detail: TraceDetail, analysis: TraceAnalysis | null): TraceModel {
  const spans = detail.spans;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spans) {
    if (s.startNs < t0) t0 = s.startNs;
    if (s.endNs > t1) t1 = s.endNs;
  }
  if (!Number.isFinite(t0)) {
    t0 = detail.trace.startNs;
    t1 = detail.trace.endNs;
  }
  const criticalIds = new Set(analysis?.criticalPath.spanIds ?? []);
  const groupOf = new Map<string, number>();
  analysis?.parallelGroups.forEach((g, i) => g.spanIds.forEach((id) => groupOf.set(id, i)));

  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanDto[]>();
  const roots: SpanDto[] = [];
  for (const s of spans) {
    if (s.parentSpanId && s.parentSpanId !== s.spanId && ids.has(s.parentSpanId)) {
      let list = children.get(s.parentSpanId);
      if (!list) children.set(s.parentSpanId, (list = []));
      list.push(s);
    } else roots.push(s);
  }
  const byStart = (a: SpanDto, b: SpanDto) => a.startNs - b.startNs || b.endNs - a.endNs;
  roots.sort(byStart);
  for (const list of children.values()) list.sort(byStart);

  const rows: Row[] = [];
  const byId = new Map<string, Row>();
  const seen = new Set<string>();
  // Iterative DFS: deep agent traces must not overflow the stack; `seen` guards against parent cycles.
  const stack: { span: SpanDto; depth: number }[] = roots
    .slice()
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  const push = (span: SpanDto, depth: number) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    const row: Row = {
      span,
      index: rows.length,
      depth,
      start: (span.startNs - t0) / 1e6,
      end: (Math.max(span.endNs, span.startNs) - t0) / 1e6,
      critical: criticalIds.has(span.spanId),
      group: groupOf.get(span.spanId) ?? -1,
    };
    rows.push(row);
    byId.set(span.spanId, row);
    const kids = children.get(span.spanId);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
  };
  while (stack.length) {
    const { span, depth } = stack.pop()!;
    push(span, depth);
  }
  // Spans only reachable through a cycle were never visited: list them as roots.
  for (const s of spans) if (!seen.has(s.spanId)) push(s, 0);
  return { rows, byId, t0Ns: t0, durationMs: Math.max(0, (t1 - t0) / 1e6), criticalIds };
}

const FILE_KEYS = /(^|\.)(file_?path|filepath|path|notebook_path|filename|file)$/i;
const LOOKS_LIKE_FILE = /^(\/|\.{1,2}\/|[A-Za-z]:\\)?[\w@.~-]+([\\/][\w@. ~-]+)*\.[A-Za-z0-9]{1,8}$/;

/** Files a span names: path-like attributes, and path fields inside JSON tool arguments. */
export function filesOf(span: SpanDto): { path: string; line?: number }[] {
  const out = new Map<string, { path: string; line?: number }>();
  const consider = (key: string, v: unknown, line?: number) => {
    if (typeof v !== "string" || v.length > 1024 || !FILE_KEYS.test(key) || !LOOKS_LIKE_FILE.test(v)) return;
    if (!out.has(v)) out.set(v, { path: v, line });
  };
  for (const [key, value] of Object.entries(span.attributes)) {
    consider(
      key,
      value,
      typeof span.attributes["code.lineno"] === "number" ? (span.attributes["code.lineno"] as number) : undefined,
    );
    if (
      typeof value === "string" &&
      value.length < 200_000 &&
      /^\s*\{/.test(value) &&
      /arguments|input|params/i.test(key)
    ) {
      try {
        const args = JSON.parse(value) as Record<string, unknown>;
        if (args && typeof args === "object") {
          const line =
            typeof args.offset === "number" ? args.offset : typeof args.line === "number" ? args.line : undefined;
          for (const [k, v] of Object.entries(args)) consider(k, v, line);
        }
      } catch {
        /* not JSON after all */
      }
    }
  }
  return [...out.values()];
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A short hint of what a tool call did (its command, file or pattern), for labels where span names are generic. */
export function toolHint(span: SpanDto): string | undefined {
  const raw = span.attributes["gen_ai.tool.call.arguments"];
  if (typeof raw !== "string" || raw.length > 200_000) return undefined;
  try {
    const args = JSON.parse(raw) as Record<string, unknown>;
    for (const k of ["command", "file_path", "path", "pattern", "query", "url", "description", "prompt"]) {
      const v = args?.[k];
      if (typeof v === "string" && v.trim()) return v.trim().split("\n")[0]!.slice(0, 120);
    }
  } catch {
    /* arguments that are not JSON get no hint */
  }
  return undefined;
}
