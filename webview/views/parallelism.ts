// The parallelism view: for each group of sequential tool calls that could have run together, the recorded
// schedule and the projected parallel one side by side, with the saving and how sure the analysis is: "independent"
// groups (no dependence found) make the projected saving; "speculative" ones (follow-ups and retries) would only
// save time if the later call were issued before the earlier one came back, and are summed apart.
import type { ParallelGroup, TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { empty, fmtMs, fmtShare, h } from "../dom.js";
import { buildModel, toolHint } from "../model.js";
import { confidenceHelp, confidenceLabel } from "../confidence.js";

export function renderParallelism(detail: TraceDetail, analysis: TraceAnalysis | null): HTMLElement {
  const root = h(
    "section",
    { class: "parallel-view", "data-trace-id": detail.trace.traceId },
    h("h1", {}, `Parallelizable tool calls — ${detail.trace.name || detail.trace.traceId}`),
  );
  if (!analysis) return root.appendChild(empty("No analysis for this trace.")) && root;
  const model = buildModel(detail, analysis);
  const total = analysis.durationMs;
  const sure = analysis.projectedSavingMs;
  const spec = analysis.speculativeSavingMs ?? 0;
  const groups = analysis.parallelGroups;
  const nSure = groups.filter((g) => g.confidence === "independent").length;
  const nSpec = groups.filter((g) => g.confidence === "speculative").length;
  const scale = Math.max(total, 0.001);
  const pct = (x: number) => fmtShare(total ? x / total : 0);
  root.append(
    h(
      "div",
      { class: "totals" },
      scheduleBar("recorded", total, scale),
      scheduleBar("independent groups run together", Math.max(0, total - sure), scale, "projected"),
      spec > 0
        ? scheduleBar("…and follow-ups speculated", Math.max(0, total - sure - spec), scale, "speculative")
        : null,
      h(
        "p",
        { class: "saving-sure" },
        h("strong", {}, fmtMs(sure)),
        ` could be saved (${pct(sure)} of ${fmtMs(total)}) by running ${nSure} independent group${nSure === 1 ? "" : "s"} of tool calls together.`,
      ),
      nSpec
        ? h(
            "p",
            { class: "saving-speculative" },
            h("strong", {}, fmtMs(spec)),
            ` more (${pct(spec)}) only by speculation: ${nSpec} group${nSpec === 1 ? "" : "s"} where a call followed up on an earlier one that came back empty, failed or was denied. Not counted in the saving above.`,
          )
        : null,
    ),
  );
  if (!groups.length) {
    root.append(empty("No sequential tool calls that could have run together."));
    return root;
  }
  const list = h("ol", { class: "pgroups" });
  // Independent groups first, each set by saving; the list keeps the analysis's group numbers.
  const order = groups.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g) - rank(b.g) || save(b.g) - save(a.g));
  order.forEach(({ g, i }) => {
    const rows = g.spanIds.map((id) => model.byId.get(id)).filter((r) => !!r);
    const start = rows.length ? Math.min(...rows.map((r) => r.start)) : 0;
    const recordedEnd = rows.length ? Math.max(...rows.map((r) => r.end)) : 0;
    const span = Math.max(recordedEnd - start, g.recordedMs, 0.001);
    const lane = (title: string, cls: string, place: (r: (typeof rows)[number]) => [number, number]) =>
      h(
        "div",
        { class: `lane ${cls}`, "aria-label": `${title} schedule` },
        h("div", { class: "lane-title" }, title),
        ...rows.map((r) => {
          const [a, b] = place(r);
          const label = `${r.span.name}${toolHint(r.span) ? ` ${toolHint(r.span)}` : ""}`;
          // The bar is drawn to scale; its label follows it, so short calls stay readable.
          const bar = h("div", { class: `pbar k-${r.span.kind}`, title: `${label}: ${fmtMs(r.end - r.start)}` });
          bar.style.width = `${Math.max(0.5, ((b - a) / span) * 100)}%`;
          const row = h(
            "div",
            { class: "prow" },
            bar,
            h("span", { class: "plabel" }, `${fmtMs(r.end - r.start)} ${label}`),
          );
          // The label goes on the side with more room; a bar that leaves room on neither side carries it inside.
          const roomLeft = a / span;
          const roomRight = 1 - b / span;
          if (roomLeft > roomRight) {
            row.classList.add("flip");
            bar.style.marginRight = `${Math.max(0, roomRight * 100)}%`;
          } else bar.style.marginLeft = `${roomLeft * 100}%`;
          if (Math.max(roomLeft, roomRight) < 0.3) {
            row.classList.add("inside");
            (row.lastElementChild as HTMLElement).style.left = `${roomLeft * 100}%`;
          }
          return row;
        }),
      );
    list.append(
      h(
        "li",
        { class: `pgroup conf-${g.confidence ?? "unknown"}`, "data-group": i, "data-confidence": g.confidence },
        h(
          "h2",
          {},
          `Group ${i + 1}: ${g.spanIds.length} calls — ${g.confidence === "speculative" ? "would save" : "save"} ${fmtMs(save(g))}`,
          h("span", { class: "muted" }, ` (${fmtMs(g.recordedMs)} → ${fmtMs(g.projectedMs)}) `),
          h(
            "span",
            { class: `badge conf-${g.confidence ?? "unknown"}`, title: confidenceHelp(g.confidence) },
            confidenceLabel(g.confidence),
          ),
        ),
        h("p", { class: "muted" }, g.reason),
        h(
          "div",
          { class: "side-by-side" },
          lane("recorded", "recorded", (r) => [r.start - start, r.end - start]),
          lane("projected", "projected", (r) => [0, r.end - r.start]),
        ),
        g.toolCallIds.length ? h("div", { class: "muted small" }, `tool call ids: ${g.toolCallIds.join(", ")}`) : null,
      ),
    );
  });
  root.append(list);
  return root;
}

const save = (g: ParallelGroup) => g.recordedMs - g.projectedMs;
const rank = (g: ParallelGroup) => (g.confidence === "independent" ? 0 : g.confidence === "speculative" ? 1 : 2);

function scheduleBar(label: string, ms: number, scale: number, cls = ""): HTMLElement {
  const bar = h("div", { class: `sched ${cls}` });
  bar.style.width = `${Math.max(0.5, (ms / scale) * 100)}%`;
  return h(
    "div",
    { class: "sched-row" },
    h("span", { class: "sched-label" }, label),
    h("span", { class: "sched-ms" }, fmtMs(ms)),
    h("div", { class: "sched-track" }, bar),
  );
}
