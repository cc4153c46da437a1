// Import a trace file and analyze what it held, from the spans just parsed: a new trace's analysis needs no read-back
// of what was written (the store says how a span reads back); only a trace that already had spans is read back.
import type { TraceAnalysis } from "../../api.js";
import { analyzeTrace } from "../analysis/index.js";
import { parseTraceFile, type FileImport } from "../importers/index.js";
import type { ImportContext } from "../importers/format.js";
import type { Span } from "../span.js";
import type { TraceStore } from "../store.js";

export interface AnalyzedImport extends FileImport {
  /** Per imported trace, when asked for. */
  analyses?: TraceAnalysis[];
}

export function importAndAnalyze(
  store: TraceStore,
  name: string,
  text: string,
  o: { analyze: boolean; ctx?: Partial<ImportContext> },
): AnalyzedImport {
  const { format, traces } = parseTraceFile(name, text, o.ctx);
  // Which traces this file adds fresh: their stored form is known from the parse (asked before the write).
  const byTrace = new Map<string, Span[]>();
  if (o.analyze) {
    for (const t of traces) {
      for (const s of t.spans) {
        let list = byTrace.get(s.traceId);
        if (!list) byTrace.set(s.traceId, (list = []));
        list.push(s);
      }
    }
  }
  const fresh = new Set([...byTrace.keys()].filter((id) => !store.hasTrace(id)));
  const traceIds = store.writeImport(
    traces.map((t) => ({ spans: t.spans, source: t.source, origin: t.origin, name: t.name })),
  );
  const spanCount = traces.reduce((n, t) => n + t.spans.length, 0);
  const result: AnalyzedImport = { file: name, format, traceIds, spanCount };
  if (o.analyze) {
    result.analyses = traceIds.map((id) =>
      analyzeTrace(fresh.has(id) ? store.asStored(byTrace.get(id) ?? []) : store.getSpans(id), id),
    );
  }
  return result;
}
