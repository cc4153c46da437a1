// Who owned a stretch of a trace's time (daemon/api.ts TimeOwner), in the words and colours every view uses: the
// chips, the legend, the critical-path lane and the bars all read from here, so "human" is never shown as a raw key.
import type { CriticalPathSegment, TimeOwner, TraceAnalysis } from "../daemon/api.js";

export interface OwnerStyle {
  /** What a person reads. */
  label: string;
  /** One line for the legend's tooltip. */
  help: string;
}

export const OWNERS: Record<TimeOwner, OwnerStyle> = {
  llm: { label: "model", help: "a model call was running (prompt processing and generation)" },
  tool: { label: "tool", help: "a tool call was running (commands, file reads, searches)" },
  human: { label: "waiting for a person", help: "the agent waited for a person: a question, an approval, a permission prompt" },
  idle: { label: "idle", help: "nobody was working: the person had not written the next message yet, or the session paused" },
  compaction: { label: "compaction", help: "the agent compacted or summarised its context" },
  gap: { label: "uninstrumented", help: "time no span covers (client code, network, or work the trace did not record)" },
};

/** Legend and chip order: the agent's own work first, then waiting, then what nobody recorded. */
export const OWNER_ORDER: TimeOwner[] = ["llm", "tool", "human", "compaction", "idle", "gap"];

export function isOwner(k: string): k is TimeOwner {
  return Object.prototype.hasOwnProperty.call(OWNERS, k);
}

/** The words for an owner key; an unknown key from an older daemon is shown as it is, not dropped. */
export function ownerLabel(k: string): string {
  return isOwner(k) ? OWNERS[k].label : k;
}

/** byKind entries with time, in legend order (unknown keys of an older daemon last, largest first). */
export function ownerEntries(byKind: Record<string, number> | undefined): [string, number][] {
  const out: [string, number][] = [];
  if (!byKind) return out;
  for (const k of OWNER_ORDER) if ((byKind[k] ?? 0) > 0) out.push([k, byKind[k]!]);
  const rest = Object.entries(byKind).filter(([k, ms]) => !isOwner(k) && ms > 0).sort((a, b) => b[1] - a[1]);
  return out.concat(rest);
}

/**
 * Per span, the owner that holds most of its time on the critical path when that is waiting or compaction (an
 * AskUserQuestion tool span that waited for a person, an LLM span that was a compaction turn). Other spans are not
 * in the map.
 */
export function spanOwners(analysis: TraceAnalysis | null): Map<string, TimeOwner> {
  const per = new Map<string, Map<TimeOwner, number>>();
  for (const s of analysis?.criticalPath.segments ?? []) {
    if (!s.spanId || !isOwner(s.kind)) continue;
    let m = per.get(s.spanId);
    if (!m) per.set(s.spanId, (m = new Map()));
    m.set(s.kind, (m.get(s.kind) ?? 0) + (s.endNs - s.startNs));
  }
  const out = new Map<string, TimeOwner>();
  for (const [id, m] of per) {
    let best: TimeOwner | undefined;
    let bestNs = -1;
    for (const [k, ns] of m) if (ns > bestNs) [best, bestNs] = [k, ns];
    // Only waiting and compaction relabel a span: a span is recorded work, so "uninstrumented" never names one.
    if (best === "human" || best === "idle" || best === "compaction") out.set(id, best);
  }
  return out;
}

/** A segment's owner; a key this webview does not know (an older daemon's span kinds) counts as uninstrumented. */
export function ownerOf(seg: CriticalPathSegment): TimeOwner {
  return isOwner(seg.kind) ? seg.kind : "gap";
}
