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
  human: {
    label: "waiting for a person",
    help: "the agent waited for a person: a question, an approval, a permission prompt",
  },
  idle: {
    label: "idle",
    help: "nobody was working: the person had not written the next message yet, or the session paused",
  },
  compaction: { label: "compaction", help: "the agent compacted or summarised its context" },
  gap: {
    label: "uninstrumented",
    help: "time no span covers (client code, network, or work the trace did not record)",
  },
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
  const rest = Object.entries(byKind)
    .filter(([k, ms]) => !isOwner(k) && ms > 0)
    .sort((a, b) => b[1] - a[1]);
  return out.concat(rest);
}

/**
 * Per span, the owner that holds most of its time on the critical path when that is waiting or compaction (an
 * AskUserQuestion tool span that waited for a person, an LLM span that was a compaction turn). Other spans are not
 * in the map.
 */
export function spanOwners(analysis: TraceAnalysis | null): Map<string, TimeOwner> {
  // Flat maps (ns on the path per span, and per span and waiting owner): no per-span objects on 10k-span traces.
  const total = new Map<string, number>();
  const waiting = new Map<string, number>();
  for (const s of analysis?.criticalPath.segments ?? []) {
    if (!s.spanId) continue;
    const ns = s.endNs - s.startNs;
    total.set(s.spanId, (total.get(s.spanId) ?? 0) + ns);
    // Only waiting and compaction relabel a span: a span is recorded work, so "uninstrumented" never names one.
    if (s.kind === "human" || s.kind === "idle" || s.kind === "compaction") {
      const key = `${s.kind}\u0000${s.spanId}`;
      waiting.set(key, (waiting.get(key) ?? 0) + ns);
    }
  }
  const out = new Map<string, TimeOwner>();
  const best = new Map<string, number>();
  for (const [key, ns] of waiting) {
    const cut = key.indexOf("\u0000");
    const owner = key.slice(0, cut) as TimeOwner;
    const id = key.slice(cut + 1);
    // The owner holding most of the span's time on the path (ties and zero-length spans included).
    if (ns * 2 >= (total.get(id) ?? 0) && ns >= (best.get(id) ?? -1)) {
      best.set(id, ns);
      out.set(id, owner);
    }
  }
  return out;
}

/** A segment's owner; a key this webview does not know (an older daemon's span kinds) counts as uninstrumented. */
export function ownerOf(seg: CriticalPathSegment): TimeOwner {
  return isOwner(seg.kind) ? seg.kind : "gap";
}
