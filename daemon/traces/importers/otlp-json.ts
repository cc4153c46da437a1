// OTLP/JSON files: one ExportTraceServiceRequest, an array of them (one per exporter flush), or JSON Lines of them
// (the OTel Collector's file exporter). Ids may be hex or base64; parents may live in another flush document.
import { OtlpDecodeError, otlpToSpans } from "../otlp/decode.js";
import { OtlpJsonStream, readOtlpJsonDocument } from "../otlp/json-document.js";
import type { Span } from "../span.js";
import { forEachJsonLine, ImportError, type ParsedTrace, type TraceImporter } from "./format.js";

const hasResourceSpans = (v: unknown) =>
  typeof v === "object" && v !== null && ("resourceSpans" in v || "resource_spans" in v);

export const otlpJsonImporter: TraceImporter = {
  format: "otlp-json",
  detect(_name, _head, first) {
    return hasResourceSpans(first) || (Array.isArray(first) && first.length > 0 && hasResourceSpans(first[0]));
  },
  parse(text, ctx): ParsedTrace[] {
    let whole: unknown = ctx.json;
    if (whole === undefined) {
      try {
        whole = JSON.parse(text);
      } catch {
        whole = undefined;
      }
    }
    const spans: Span[] = [];
    const services: string[] = [];
    const add = (value: unknown, path: string, line?: number) => {
      let decoded;
      try {
        decoded = otlpToSpans(value, path);
      } catch (e) {
        if (e instanceof OtlpDecodeError) throw new ImportError(ctx.file, line, undefined, e.message);
        throw e;
      }
      if (decoded.rejected.length) {
        const [field, ...rest] = decoded.rejected[0].split(": ");
        throw new ImportError(
          ctx.file,
          line,
          field,
          rest.join(": ") + (decoded.rejected.length > 1 ? ` (and ${decoded.rejected.length - 1} more)` : ""),
        );
      }
      for (const s of decoded.spans) spans.push(s); // one at a time: a spread of 100k+ arguments overflows the stack
      for (const s of decoded.services) if (!services.includes(s)) services.push(s);
    };
    if (whole === undefined) {
      // Not one JSON value: JSON Lines, one request per line (the OTel Collector's file exporter), each converted as
      // soon as its line is parsed instead of holding every parsed request. A line that is not JSON is still the
      // error when an earlier request does not convert, as when all lines were parsed first: the first failure is
      // kept and thrown once every line parsed.
      let failure: { e: unknown } | undefined;
      forEachJsonLine(text, ctx.file, (line, value) => {
        if (failure) return;
        try {
          add(value, "", line);
        } catch (e) {
          failure = { e };
        }
      });
      if (failure) throw failure.e;
    } else if (Array.isArray(whole)) whole.forEach((value, i) => add(value, `[${i}].`));
    else add(whole, "");
    return groupByTrace(spans, "import:otlp-json", ctx.file, services[0]);
  },
};

/**
 * The file's traces when it is one well-formed OTLP JSON document (or an array of them) whose spans all convert, read
 * span by span without parsing it whole; undefined otherwise (then `parse` says what is wrong).
 */
export function readOtlpJsonFile(file: string, text: string): ParsedTrace[] | undefined {
  const decoded = readOtlpJsonDocument(text);
  return decoded && groupByTrace(decoded.spans, "import:otlp-json", file, decoded.services[0]);
}

/**
 * readOtlpJsonFile for a file whose text arrives in pieces (an upload), read as it comes when the file is an array of
 * requests (see OtlpJsonStream). For a file whose name does not end in .jsonl (detection reads such a file as JSON
 * Lines), end() gives exactly the traces parseTraceFile gives the whole text (format otlp-json), or undefined: then
 * parseTraceFile reads the whole text, which says what the file is and what is wrong with it.
 */
export function otlpJsonFileStream(file: string): {
  push(text: string): void;
  /** False once end() can only give undefined. */
  readonly reading: boolean;
  end(): ParsedTrace[] | undefined;
} {
  const stream = new OtlpJsonStream();
  return {
    push: (text) => stream.push(text),
    get reading() {
      return stream.reading;
    },
    end: () => {
      const decoded = stream.end();
      return decoded && groupByTrace(decoded.spans, "import:otlp-json", file, decoded.services[0]);
    },
  };
}

/** One ParsedTrace per trace id; the name is the root span's (the earliest span without a parent in the file). */
export function groupByTrace(spans: Span[], source: string, origin: string, fallbackName?: string): ParsedTrace[] {
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) {
    let list = byTrace.get(s.traceId);
    if (!list) byTrace.set(s.traceId, (list = []));
    list.push(s);
  }
  return [...byTrace.values()].map((list) => ({
    spans: list,
    source,
    origin,
    name: earliestRoot(list)?.name ?? fallbackName,
  }));
}

/**
 * The first of the spans without a parent in the list, by start time (file order among equal starts). Usually a span
 * with no parent id at all starts first, and then no span needs its parent looked up: the set of all span ids is
 * built only when a span with a parent id could come before it.
 */
function earliestRoot(list: Span[]): Span | undefined {
  let best = -1;
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i].startNs !== "number" || Number.isNaN(list[i].startNs)) return sortedRoots(list)[0];
    if (!list[i].parentSpanId && (best === -1 || list[i].startNs < list[best].startNs)) best = i;
  }
  const couldPrecede = (i: number) =>
    best === -1 || list[i].startNs < list[best].startNs || (list[i].startNs === list[best].startNs && i < best);
  let ids: Set<string> | undefined;
  for (let i = 0; i < list.length; i++) {
    const parent = list[i].parentSpanId;
    if (!parent || !couldPrecede(i)) continue;
    if (!ids) {
      ids = new Set<string>();
      for (const s of list) ids.add(s.spanId);
    }
    if (!ids.has(parent)) best = i; // a span whose parent is not in the file is a root too
  }
  return best === -1 ? undefined : list[best];
}

/** Every root, sorted by start (stable): the plain rule, for starts that do not compare as numbers. */
function sortedRoots(list: Span[]): Span[] {
  const ids = new Set(list.map((s) => s.spanId));
  return list.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startNs - b.startNs);
}
