// The text form of a trace analysis (`hotpath analyze` without --json): what cost the most first, then who owned the
// time, then what could run together — each group with its calls' times, ids and the part of their arguments that
// tells them apart — then merged round-trips, data-flow evidence, cache breakers and unused tools.
import type { TraceAnalysis } from "../api.js";
import { humanDuration as ms } from "../traces/analysis/duration.js";
import type { Span } from "../traces/span.js";

const pct = (part: number, whole: number) => `${whole ? Math.round((part / whole) * 100) : 0}%`;
const MAX_GROUPS = 20;
const MAX_EDGES = 10;
const ARG_WIDTH = 90;

export function renderAnalysis(a: TraceAnalysis, spans: Span[]): string {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const callName = (id: string) => {
    const s = byId.get(id);
    const cid = s?.attributes["gen_ai.tool.call.id"];
    return typeof cid === "string" && cid ? cid : id;
  };
  const lines: string[] = [];
  const cp = a.criticalPath;
  lines.push(`trace ${a.traceId}: ${ms(a.durationMs)}, ${a.spanCount} spans`);
  if (a.hotspots.length) {
    lines.push("", "hotspots (costliest on the critical path):");
    for (const h of a.hotspots) lines.push(`  ${h.kind.padEnd(10)} ${h.why}  [${h.spanId}]`);
  }
  const owners = (Object.entries(cp.byKind) as [string, number][])
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${ms(v)} (${pct(v, cp.durationMs)})`);
  lines.push("", `critical path: ${cp.spanIds.length} spans, ${ms(cp.durationMs)} — ${owners.join(", ") || "empty"}`);

  const independent = a.parallelGroups.filter((g) => g.confidence === "independent");
  const speculative = a.parallelGroups.filter((g) => g.confidence === "speculative");
  lines.push(
    "",
    `parallelizable tool calls: ${independent.length} independent group(s) would save ${ms(a.projectedSavingMs)}; ` +
      `${speculative.length} speculative group(s) ${ms(a.speculativeSavingMs)} more, only if follow-ups were issued speculatively`,
  );
  for (const g of a.parallelGroups.slice(0, MAX_GROUPS)) {
    lines.push(
      `  [${g.confidence}] ${ms(g.recordedMs)} → ${ms(g.projectedMs)} (saves ${ms(g.recordedMs - g.projectedMs)}): ${g.reason}`,
    );
    const members = g.spanIds.map((id) => byId.get(id));
    const parts = distinguishingParts(members.map((s) => String(s?.attributes["gen_ai.tool.call.arguments"] ?? "")));
    const t0 = members[0]?.startNs ?? 0;
    members.forEach((s, i) => {
      if (!s) return;
      const tool = String(s.attributes["gen_ai.tool.name"] ?? s.name.replace(/^execute_tool\s+/, ""));
      const at = `${clock(s.startNs)} +${ms((s.startNs - t0) / 1e6)}`.padEnd(24);
      lines.push(
        `    ${at} ${ms((s.endNs - s.startNs) / 1e6).padStart(8)}  ${g.toolCallIds[i] || s.spanId}  ${tool} ${parts[i]}`,
      );
    });
  }
  if (a.parallelGroups.length > MAX_GROUPS)
    lines.push(`  … ${a.parallelGroups.length - MAX_GROUPS} more (--json lists all)`);

  const merge = a.mergeableLlmCalls ?? [];
  if (merge.length) {
    lines.push(
      "",
      `mergeable LLM calls: ${merge.length} run(s) of model round-trips that one response could have done`,
    );
    for (const m of merge.slice(0, MAX_GROUPS)) {
      const first = byId.get(m.spanIds[0]);
      lines.push(
        `  ${first ? clock(first.startNs) : ""} ${m.spanIds.length} calls (${m.spanIds.join(", ")}): ${m.reason}`,
      );
    }
  }
  const deps = a.dependencies ?? [];
  lines.push(
    "",
    `dependencies: ${deps.length} data-flow edge(s) between tool calls (a later call's arguments use an earlier result)`,
  );
  for (const d of deps.slice(0, MAX_EDGES))
    lines.push(`  ${callName(d.fromSpanId)} → ${callName(d.toSpanId)} via ${JSON.stringify(clipMiddle(d.value, 80))}`);
  if (deps.length > MAX_EDGES) lines.push(`  … ${deps.length - MAX_EDGES} more (--json lists all)`);

  if (a.prefixBreaks.length) {
    lines.push("", `cache breakers: ${a.prefixBreaks.length}`);
    for (const b of a.prefixBreaks.slice(0, 10)) {
      const s = byId.get(b.spanId);
      lines.push(
        `  ${s ? clock(s.startNs) : ""} ${b.spanId}: ${b.commonPrefix} ${b.unit} reused — ${b.cause ?? "prompt changed early"}`,
      );
    }
  }
  if (a.unusedTools.length)
    lines.push(
      "",
      `unused tools: ${a.unusedTools.map((t) => `${t.name} (~${t.tokensPerCall} tok × ${t.callsSentWith})`).join(", ")}`,
    );
  if (a.duplicateSpanIds?.length) lines.push("", `duplicate recordings folded: ${a.duplicateSpanIds.length}`);
  return `${lines.join("\n")}\n`;
}

/** Keys that say what a call acted on come first. */
const ROLE = ["command", "cmd", "query", "file_path", "path", "pattern", "url", "queries", "input"];
function byRole(a: string, b: string): number {
  const ra = ROLE.indexOf(a) === -1 ? ROLE.length : ROLE.indexOf(a);
  const rb = ROLE.indexOf(b) === -1 ? ROLE.length : ROLE.indexOf(b);
  return ra - rb;
}

/** UTC time of day with milliseconds ("19:26:08.123"), and the date when the trace is not from today. */
function clock(ns: number): string {
  const d = new Date(ns / 1e6);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(11, 23) : "?";
}

function clipMiddle(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 21)}…${s.slice(-20)}`;
}

/**
 * The part of each call's arguments that tells it apart from the others in its group: the values of the keys that
 * differ (a shell command, a path, a pattern), without the prefix and suffix every member shares.
 */
export function distinguishingParts(argTexts: string[]): string[] {
  const parsed = argTexts.map((t) => {
    try {
      const v = JSON.parse(t);
      return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  });
  let values: string[];
  if (parsed.every((p) => p !== undefined)) {
    const keys = [...new Set(parsed.flatMap((p) => Object.keys(p!)))];
    const text = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
    // What the call did (command, path, pattern, query) before why the model said it did it (description).
    const prose = (k: string) => /^(description|justification|explanation|reason|thought|summary)$/i.test(k);
    const differing = keys.filter((k) => new Set(parsed.map((p) => text(p![k]))).size > 1);
    const acting = differing.filter((k) => !prose(k)).sort(byRole);
    const shown = (acting.length ? acting : differing.length ? differing : keys).slice(0, 2);
    values = parsed.map((p) => {
      // A member without the keys the others differ in (another tool) shows its own main argument.
      const own = shown.some((k) => p![k] !== undefined)
        ? shown
        : Object.keys(p!)
            .filter((k) => !prose(k))
            .sort(byRole)
            .slice(0, 1);
      return own
        .filter((k) => p![k] !== undefined)
        .map((k) => (own.length === 1 ? text(p![k]) : `${k}=${text(p![k])}`))
        .join(" ");
    });
  } else values = argTexts.map((t) => t.replace(/\s+/g, " "));
  if (values.length < 2) return values.map((v) => clipMiddle(v, ARG_WIDTH));
  // Common prefix and suffix, cut back to a word boundary so the shown part starts and ends on whole words.
  let pre = 0;
  const min = Math.min(...values.map((v) => v.length));
  while (pre < min && values.every((v) => v[pre] === values[0][pre])) pre++;
  while (pre > 0 && !/[\s/=,;&|]/.test(values[0][pre - 1])) pre--;
  let suf = 0;
  while (suf < min - pre && values.every((v) => v[v.length - 1 - suf] === values[0][values[0].length - 1 - suf])) suf++;
  while (suf > 0 && !/[\s/=,;&|]/.test(values[0][values[0].length - suf])) suf--;
  // Keep the command the differing part belongs to: cut the shared start at the last command separator before it.
  const sep = /(&&|\|\||;|\|)\s*/g;
  let cut = -1;
  for (let m = sep.exec(values[0].slice(0, pre)); m; m = sep.exec(values[0].slice(0, pre))) cut = m.index + m[0].length;
  if (cut > 0) pre = cut;
  if (pre < 12) pre = 0; // a short shared start ("ls ", "rg -n ") reads better kept
  if (suf < 12) suf = 0;
  return values.map((v) => {
    const mid = v.slice(pre, v.length - suf);
    return `${pre ? "…" : ""}${clipMiddle(mid, ARG_WIDTH)}${suf ? "…" : ""}`;
  });
}
