// The parallelism view: for each group of sequential tool calls that could have run together, the recorded
// schedule and the projected parallel one side by side, with the saving; and the trace's totals.
import type { TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { empty, fmtMs, h } from "../dom.js";
import { buildModel, toolHint } from "../model.js";

export function renderParallelism(detail: TraceDetail, analysis: TraceAnalysis | null): HTMLElement {
  const root = h("section", { class: "parallel-view", "data-trace-id": detail.trace.traceId },
    h("h1", {}, `Parallelizable tool calls — ${detail.trace.name || detail.trace.traceId}`));
  if (!analysis) return root.appendChild(empty("No analysis for this trace.")) && root;
  const model = buildModel(detail, analysis);
  const total = analysis.durationMs;
  const projected = Math.max(0, total - analysis.projectedSavingMs);
  const scale = Math.max(total, 0.001);
  root.append(
    h("div", { class: "totals" },
      scheduleBar("recorded", total, scale), scheduleBar("projected", projected, scale, "projected"),
      h("p", {}, h("strong", {}, fmtMs(analysis.projectedSavingMs)), ` could be saved (${total ? Math.round((analysis.projectedSavingMs / total) * 100) : 0}% of ${fmtMs(total)}) by running ${analysis.parallelGroups.length} group(s) of tool calls together.`)),
  );
  if (!analysis.parallelGroups.length) {
    root.append(empty("No sequential tool calls that could have run together."));
    return root;
  }
  const list = h("ol", { class: "pgroups" });
  analysis.parallelGroups.forEach((g, i) => {
    const rows = g.spanIds.map((id) => model.byId.get(id)).filter((r) => !!r);
    const start = rows.length ? Math.min(...rows.map((r) => r.start)) : 0;
    const recordedEnd = rows.length ? Math.max(...rows.map((r) => r.end)) : 0;
    const span = Math.max(recordedEnd - start, g.recordedMs, 0.001);
    const lane = (title: string, cls: string, place: (r: (typeof rows)[number]) => [number, number]) =>
      h("div", { class: `lane ${cls}`, "aria-label": `${title} schedule` }, h("div", { class: "lane-title" }, title),
        ...rows.map((r) => {
          const [a, b] = place(r);
          const label = `${r.span.name}${toolHint(r.span) ? ` ${toolHint(r.span)}` : ""}`;
          // The bar is drawn to scale; its label follows it, so short calls stay readable.
          const bar = h("div", { class: `pbar k-${r.span.kind}`, title: `${label}: ${fmtMs(r.end - r.start)}` });
          bar.style.marginLeft = `${(a / span) * 100}%`;
          bar.style.width = `${Math.max(0.5, ((b - a) / span) * 100)}%`;
          return h("div", { class: "prow" }, bar, h("span", { class: "plabel" }, `${fmtMs(r.end - r.start)} ${label}`));
        }));
    list.append(h("li", { class: "pgroup", "data-group": i },
      h("h2", {}, `Group ${i + 1}: ${g.spanIds.length} calls — save ${fmtMs(g.recordedMs - g.projectedMs)}`, h("span", { class: "muted" }, ` (${fmtMs(g.recordedMs)} → ${fmtMs(g.projectedMs)})`)),
      h("p", { class: "muted" }, g.reason),
      h("div", { class: "side-by-side" },
        lane("recorded", "recorded", (r) => [r.start - start, r.end - start]),
        lane("projected", "projected", (r) => [0, r.end - r.start])),
      g.toolCallIds.length ? h("div", { class: "muted small" }, `tool call ids: ${g.toolCallIds.join(", ")}`) : null));
  });
  root.append(list);
  return root;
}

function scheduleBar(label: string, ms: number, scale: number, cls = ""): HTMLElement {
  const bar = h("div", { class: `sched ${cls}` });
  bar.style.width = `${Math.max(0.5, (ms / scale) * 100)}%`;
  return h("div", { class: "sched-row" }, h("span", { class: "sched-label" }, `${label} ${fmtMs(ms)}`), h("div", { class: "sched-track" }, bar));
}
