// A trace's summary from its detail's JSON, without parsing the whole: at 100k spans the detail is tens of MB, which
// the panel hands to its webview as bytes (panels/trace.ts) and needs only the trace's name from.
import type { TraceSummaryDto } from "../../daemon/api.js";

/** How the daemon starts a detail (daemon/traces/view-caps.ts detailJsonHead: the summary is its first member). */
const HEAD = '{"trace":{';
/** A summary is well under this; past it the detail is not one the daemon wrote, and no name is read. */
const MAX_SUMMARY_BYTES = 256 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The detail's `trace` member, when the detail starts with it; undefined otherwise (another order, not JSON). Walks
 * the bytes of that one object: in UTF-8 every byte of a multi-byte character is ≥ 0x80, so a quote, backslash or
 * bracket byte is always that ASCII character, and strings are skipped by their quotes and escapes.
 */
export function detailSummary(json: Uint8Array): TraceSummaryDto | undefined {
  for (let i = 0; i < HEAD.length; i++) if (json[i] !== HEAD.charCodeAt(i)) return undefined;
  const start = HEAD.length - 1;
  const end = Math.min(json.byteLength, start + MAX_SUMMARY_BYTES);
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = json[i];
    if (c === QUOTE) {
      for (i++; i < end && json[i] !== QUOTE; i++) if (json[i] === BACKSLASH) i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) {
      try {
        const summary: unknown = JSON.parse(new TextDecoder().decode(json.subarray(start, i + 1)));
        return summary && typeof summary === "object" ? (summary as TraceSummaryDto) : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
