// What every importer produces and how it reports a malformed file (file, line, field — and nothing imported).
import type { Span } from "../span.js";

export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(
      `${file}${line !== undefined ? `:${line}` : ""}: ${field ? `${field}: ` : ""}${problem} — nothing from this file was imported`,
    );
  }
}

export interface ParsedTrace {
  spans: Span[];
  /** traces.source: import:<format>. */
  source: string;
  origin: string;
  name?: string;
}

export interface ImportContext {
  /** The file's name or path, for errors and the trace's origin. */
  file: string;
  /** Reads a file next to the imported one (Claude Code subagents/); undefined when absent or not on disk. */
  readRelated?(relativePath: string): string | undefined;
  /** Lists files in a directory next to the imported one. */
  listRelated?(relativeDir: string): string[];
  /** The whole file already parsed as one JSON value (format detection did it; importers need not parse again). */
  json?: unknown;
}

/**
 * Refuses a file whose conversion gave a span a time that is not a finite number of nanoseconds: JSON numbers such as
 * 1e300 (seconds) overflow to Infinity once converted, and Infinity − Infinity is NaN — such a span broke the analysis
 * (the latency heatmap indexed a time bucket NaN) and no chart can place it. Importers bound their own fields where
 * they can name them; this is the rule for every format.
 */
export function refuseNonFiniteTimes(traces: ParsedTrace[], file: string): void {
  for (const t of traces) {
    for (let i = 0; i < t.spans.length; i++) {
      const s = t.spans[i];
      if (Number.isFinite(s.startNs) && Number.isFinite(s.endNs)) continue;
      throw new ImportError(
        file,
        undefined,
        `span ${JSON.stringify(s.name.slice(0, 80))}`,
        `its times do not convert to finite nanoseconds (start ${s.startNs}, end ${s.endNs}); a time in the file is out of range`,
      );
    }
  }
}

/** The file as one JSON value: the one detection parsed, else parsed now (errors name the line). */
export function wholeJson(text: string, ctx: ImportContext): unknown {
  if (ctx.json !== undefined) return ctx.json;
  try {
    return JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)?.[1];
    const line = pos === undefined ? undefined : text.slice(0, Number(pos)).split("\n").length;
    throw new ImportError(ctx.file, line, undefined, `not valid JSON (${(e as Error).message})`);
  }
}

export interface TraceImporter {
  format: string;
  /** True when the text looks like this format (cheap: first lines / top-level keys). */
  detect(name: string, head: string, firstValue: unknown): boolean;
  parse(text: string, ctx: ImportContext): ParsedTrace[];
}

/** Splits JSONL into parsed records with their 1-based line numbers; a bad line is an ImportError naming it. */
export function parseJsonLines(text: string, file: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  forEachJsonLine(text, file, (line, value) => out.push({ line, value }));
  return out;
}

/** parseJsonLines without the array of records: each record goes to `each` as it is parsed (200k-line files). */
export function forEachJsonLine(text: string, file: string, each: (line: number, value: unknown) => void): void {
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new ImportError(file, lineNo, undefined, `not valid JSON (${(e as Error).message})`);
    }
    each(lineNo, value);
  }
}

/** ISO-8601 → ns since epoch (µs precision survives when given). */
export function isoToNs(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not an ISO-8601 time: ${JSON.stringify(iso).slice(0, 60)}`);
  return isoMsToNs(iso, ms);
}

/** isoToNs when Date.parse(iso) is already known (finite): adds the sub-millisecond digits it drops. */
export function isoMsToNs(iso: string, ms: number): number {
  const frac = fractionDigits(iso);
  const subMs = frac.length > 3 ? Number(frac.slice(3, 9).padEnd(6, "0")) : 0; // µs/ns digits Date.parse drops
  return ms * 1e6 + subMs;
}

/** The digits after the first "." that has any (/\.(\d+)/ without a match object: one call per record). */
function fractionDigits(iso: string): string {
  const isDigit = (i: number) => {
    const c = iso.charCodeAt(i);
    return c >= 48 && c <= 57;
  };
  for (let dot = iso.indexOf("."); dot !== -1; dot = iso.indexOf(".", dot + 1)) {
    if (!isDigit(dot + 1)) continue;
    let end = dot + 2;
    while (isDigit(end)) end++;
    return iso.slice(dot + 1, end);
  }
  return "";
}

/** Zod issue → "a.b[2].c" path. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
}

/** Tool results and prompts are kept for data-flow analysis, up to this many characters. */
export const MAX_TEXT = 256 * 1024;

export function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated ${text.length - max} chars]` : text;
}
