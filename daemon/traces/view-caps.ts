// A trace's detail as a view shows it: each long text attribute cut to what the view can show. The trace views
// (extension/panels/trace.ts) show at most a few thousand characters of an attribute, yet a coding agent's tool
// results run to hundreds of kB each (a Read of a large file, a build log); read whole, every such byte is written by
// the daemon's worker, sent, parsed by the extension host and cloned into the webview, then cut there. Cut where the
// detail is made (GET /hotpath/traces/:id?attributeChars=…), the same text reaches the view for less of each step.
// Shared by the daemon and the extension (which cuts a detail itself when its daemon did not: an older one).
import type { AttributeCaps, SpanDto, TraceDetail, TraceSummaryDto } from "../api.js";

/** What the trace views show: 4,000 characters of an attribute; tool arguments whole up to 200,000 (paths, labels). */
export const VIEW_ATTRIBUTE_CAPS: AttributeCaps = { chars: 4000, argumentChars: 200_000 };

/** `caps` as GET /hotpath/traces/:id's query (an older daemon ignores it). */
export function capsQuery(caps: AttributeCaps): string {
  return `?attributeChars=${caps.chars}&argumentChars=${caps.argumentChars}`;
}

/** Attribute keys whose text the views parse (tool arguments: JSON they read file paths and labels from). */
const isArguments = (key: string) => key.endsWith(".arguments");

/** `value` cut to its key's cap, saying how much was left out; shorter text (and anything not text) as it is. */
export function capAttribute(key: string, value: unknown, caps: AttributeCaps): unknown {
  const limit = isArguments(key) ? caps.argumentChars : caps.chars;
  if (typeof value !== "string" || value.length <= limit) return value;
  return `${value.slice(0, limit)}… (${value.length - limit} more characters)`;
}

/**
 * Cuts each span's attributes to `caps` (the spans are the caller's: a detail just read). A span with something to
 * cut gets a new attributes object, its keys in the same order: an object two spans share is never cut twice.
 */
export function capSpanAttributes(spans: SpanDto[], caps: AttributeCaps): void {
  for (const s of spans) {
    let cut: Record<string, unknown> | undefined;
    const attributes = s.attributes as Record<string, unknown>;
    for (const key in attributes) {
      const value = attributes[key];
      const capped = capAttribute(key, value, caps);
      if (capped === value) continue;
      cut ??= { ...attributes };
      cut[key] = capped;
    }
    if (cut) s.attributes = cut as SpanDto["attributes"];
  }
}

/** A trace's detail from its spans as read (theirs to change), cut to `caps` when the request asked for them. */
export function detailOf(trace: TraceSummaryDto, spans: SpanDto[], caps: AttributeCaps | undefined): TraceDetail {
  return { trace, ...detailBody(spans, caps) };
}

/**
 * A detail without its trace's summary: what an import worker writes (job.ts), the daemon putting the summary in front
 * as it sends it (its JSON is `{"trace":…,` and this one's after its `{`: detailOf's exactly).
 */
export function detailBody(spans: SpanDto[], caps: AttributeCaps | undefined): Omit<TraceDetail, "trace"> {
  if (!caps) return { spans };
  capSpanAttributes(spans, caps);
  return { spans, attributeCaps: caps };
}

/** The text that goes before a detailBody's JSON without its first character (`{`) to make the detail's JSON. */
export function detailJsonHead(trace: TraceSummaryDto): string {
  return `{"trace":${JSON.stringify(trace)},`;
}
