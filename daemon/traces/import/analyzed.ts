// Import a trace file and analyze what it held, from the spans just parsed: a new trace's analysis needs no read-back
// of what was written (the store says how a span reads back), nor does one the file replaced whole; only a trace that
// keeps spans from before is read back.
// The steps are apart so the daemon's import can run them on two threads (./job.ts): one parses and writes, the other
// parses the same bytes and analyses.
import type { TraceAnalysis } from "../../api.js";
import { analyzeTrace } from "../analysis/index.js";
import { parseTraceFile, type FileImport } from "../importers/index.js";
import type { ImportContext, ParsedTrace } from "../importers/format.js";
import type { Span } from "../span.js";
import { storedForm, type TraceStore } from "../store.js";

export interface AnalyzedImport extends FileImport {
  /** Per imported trace, when asked for. */
  analyses?: TraceAnalysis[];
}

/** What writing a parsed file did: the traces it wrote, and which of them read back as parsed. */
export interface WrittenImport extends FileImport {
  /**
   * Traces new to the store, and those that had spans and now hold exactly the file's (ImportWriter.replacedWhole,
   * asked only when `analyze`): their analysis is that of the parsed spans (analyzeParsed).
   */
  asParsed: string[];
}

export function importAndAnalyze(
  store: TraceStore,
  name: string,
  /** The file's text, or the file already parsed. */
  text: string | { format: string; traces: ParsedTrace[] },
  o: { analyze: boolean; ctx?: Partial<ImportContext> },
): AnalyzedImport {
  const parsed = typeof text === "string" ? parseTraceFile(name, text, o.ctx) : text;
  const written = writeParsed(store, name, parsed, o.analyze);
  const result: AnalyzedImport = {
    file: name,
    format: written.format,
    traceIds: written.traceIds,
    spanCount: written.spanCount,
  };
  if (o.analyze) {
    const ofParsed = analyzeParsed(parsed.traces, store.maxAttributeChars, new Set(written.asParsed));
    result.analyses = written.traceIds.map((id) => ofParsed.get(id) ?? analyzeTrace(store.getSpans(id), id));
  }
  return result;
}

/**
 * Writes a parsed file's traces in one transaction; which traces were new is asked before the write, which it
 * replaced whole inside it.
 */
export function writeParsed(
  store: TraceStore,
  name: string,
  parsed: { format: string; traces: ParsedTrace[] },
  analyze: boolean,
): WrittenImport {
  const ids = new Set<string>();
  for (const t of parsed.traces) for (const s of t.spans) ids.add(s.traceId);
  const fresh = [...ids].filter((id) => !store.hasTrace(id));
  const batches = parsed.traces.map((t) => ({ spans: t.spans, source: t.source, origin: t.origin, name: t.name }));
  const { traceIds, replaced } = analyze
    ? store.writeImportReplacing(batches)
    : { traceIds: store.writeImport(batches), replaced: [] };
  const spanCount = parsed.traces.reduce((n, t) => n + t.spans.length, 0);
  return { file: name, format: parsed.format, traceIds, spanCount, asParsed: [...fresh, ...replaced] };
}

/**
 * The analysis of each trace in a parsed file as it reads back once stored (storedForm), without the store: for a
 * trace the store had no spans of before. `only`: just these traces. `stored`: the traces' stored forms (storedTraces),
 * when the caller made them already.
 */
export function analyzeParsed(
  traces: ParsedTrace[],
  maxAttributeChars: number,
  only?: Set<string>,
  stored = storedTraces(traces, maxAttributeChars, only),
): Map<string, TraceAnalysis> {
  const out = new Map<string, TraceAnalysis>();
  for (const [id, spans] of stored) out.set(id, analyzeTrace(spans, id));
  return out;
}

/** Each trace of a parsed file (by id, in the order they first appear) as getSpans will read it back once stored. */
export function storedTraces(
  traces: ParsedTrace[],
  maxAttributeChars: number,
  only?: Set<string>,
): Map<string, Span[]> {
  const byTrace = new Map<string, Span[]>();
  for (const t of traces) {
    for (const s of t.spans) {
      if (only && !only.has(s.traceId)) continue;
      let list = byTrace.get(s.traceId);
      if (!list) byTrace.set(s.traceId, (list = []));
      list.push(s);
    }
  }
  for (const [id, spans] of byTrace) byTrace.set(id, storedForm(spans, maxAttributeChars));
  return byTrace;
}
