// Hotpath's own export (`hotpath export`): a header line, then {"trace":…} and {"span":…} lines. Ids are kept, so
// moving traces between machines and re-importing them never duplicates.
import { z } from "zod";
import { EXPORT_FORMAT } from "../store.js";
import type { Span } from "../span.js";
import { ImportError, issuePath, parseJsonLines, type ParsedTrace, type TraceImporter } from "./format.js";

const AttrValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string()),
  z.array(z.number()),
  z.array(z.boolean()),
]);
const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `expected ${n} lower-case hex characters`);

const SpanLine = z.object({
  span: z.object({
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: hex(16).optional(),
    name: z.string(),
    kind: z.enum(["llm", "tool", "agent", "chain", "retriever", "embedding", "other"]),
    startNs: z.number().nonnegative(),
    endNs: z.number().nonnegative(),
    status: z.enum(["ok", "error", "unset"]),
    statusMessage: z.string().optional(),
    requestId: z.string().optional(),
    attributes: z.record(z.string(), AttrValue),
  }),
});

const TraceLine = z.object({
  trace: z
    .object({ traceId: hex(32), name: z.string().optional(), source: z.string(), origin: z.string().optional() })
    .passthrough(),
});

export const hotpathJsonlImporter: TraceImporter = {
  format: "hotpath",
  detect(_name, _head, first) {
    return typeof first === "object" && first !== null && (first as { format?: unknown }).format === EXPORT_FORMAT;
  },
  parse(text, ctx): ParsedTrace[] {
    const traces = new Map<string, ParsedTrace>();
    for (const { line, value } of parseJsonLines(text, ctx.file)) {
      if (typeof value !== "object" || value === null)
        throw new ImportError(ctx.file, line, undefined, "expected a JSON object");
      if ("format" in value) {
        if ((value as { version?: unknown }).version !== 1)
          throw new ImportError(ctx.file, line, "version", "only version 1 exports are understood");
        continue;
      }
      if ("trace" in value) {
        const r = TraceLine.safeParse(value);
        if (!r.success)
          throw new ImportError(ctx.file, line, issuePath(r.error.issues[0].path), r.error.issues[0].message);
        const t = r.data.trace;
        traces.set(t.traceId, {
          spans: traces.get(t.traceId)?.spans ?? [],
          source: t.source,
          origin: t.origin ?? ctx.file,
          name: t.name,
        });
        continue;
      }
      const r = SpanLine.safeParse(value);
      if (!r.success)
        throw new ImportError(ctx.file, line, issuePath(r.error.issues[0].path), r.error.issues[0].message);
      const s = r.data.span as Span;
      if (s.endNs < s.startNs) throw new ImportError(ctx.file, line, "span.endNs", "before span.startNs");
      let t = traces.get(s.traceId);
      if (!t) traces.set(s.traceId, (t = { spans: [], source: "import:hotpath", origin: ctx.file }));
      t.spans.push(s);
    }
    return [...traces.values()].filter((t) => t.spans.length > 0);
  },
};
