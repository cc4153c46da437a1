// Latency heatmaps: span latency over time (canvas), span name × time (median per bucket), percentiles,
// and a uPlot chart of the per-bucket p50/p90 estimated from the histogram.
import uPlot from "uplot";
import type { Heatmap, TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { empty, fmtIn, fmtMs, fmtNum, h, timeTicks } from "../dom.js";

export function renderHeatmap(detail: TraceDetail, analysis: TraceAnalysis | null): HTMLElement {
  const hm = analysis?.heatmap;
  const root = h(
    "section",
    { class: "heatmap-view", "data-trace-id": detail.trace.traceId },
    h("h1", {}, `Latency — ${detail.trace.name || detail.trace.traceId}`),
  );
  if (!hm || !hm.counts.length) {
    root.append(empty(analysis ? "No latency data in this trace." : "No analysis for this trace."));
    return root;
  }
  root.append(
    h(
      "div",
      { class: "facts" },
      tile("p50", fmtMs(hm.percentilesMs.p50)),
      tile("p90", fmtMs(hm.percentilesMs.p90)),
      tile("p99", fmtMs(hm.percentilesMs.p99)),
      tile("spans", String(detail.spans.length)),
    ),
    h("h2", {}, "Span latency over time"),
    heatCanvas(
      hm,
      detail.spans.reduce((m, s) => Math.min(m, s.startNs), detail.trace.startNs),
    ),
    h("h2", {}, "Percentiles per time bucket"),
    percentileChart(hm),
  );
  if (hm.byName?.length)
    root.append(
      h("h2", {}, "Span name × time (median latency)"),
      byNameGrid(
        hm,
        detail.spans.reduce((m, s) => Math.min(m, s.startNs), detail.trace.startNs),
      ),
    );
  return root;
}

function tile(label: string, value: string): HTMLElement {
  return h("div", { class: "tile" }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value));
}

/** Sequential colour scale (viridis stops): dark for few, bright for many; readable on dark and light themes and
 * for the common colour-vision deficiencies, unlike a single red at varying opacity. */
const SCALE = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function scaleColour(f: number): string {
  // The darkest stop is nearly the dark theme's background: the scale starts a little in, so a cell of one span shows.
  const x = (0.12 + 0.88 * Math.max(0, Math.min(1, f))) * (SCALE.length - 1);
  const i = Math.min(SCALE.length - 2, Math.floor(x));
  const t = x - i;
  const [a, b] = [SCALE[i]!, SCALE[i + 1]!];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k]! - v) * t)).join(",")})`;
}

/** A bucket edge without a needless ".0": "10 ms", "2.5 s", "2 min". */
function edge(ms: number): string {
  return fmtMs(ms).replace(/\.0 /, " ");
}

/** Where `v` falls on a log scale from `lo` to `hi` (0..1). */
function logPos(v: number, lo: number, hi: number): number {
  if (hi <= lo) return 1;
  return (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
}

/** The colour legend: a gradient with its end values and a middle one, named with what the colour counts. */
function colourLegend(title: string, lo: number, hi: number, fmt: (v: number) => string): HTMLElement {
  const bar = h("canvas", { class: "scale-bar", width: 200, height: 10, "aria-hidden": "true" });
  const g = bar.getContext("2d");
  if (g)
    for (let x = 0; x < 200; x++) {
      g.fillStyle = scaleColour(x / 199);
      g.fillRect(x, 0, 1, 10);
    }
  const mid = Math.sqrt(lo * hi);
  return h(
    "div",
    { class: "scale", role: "img", "aria-label": `${title}: from ${fmt(lo)} (dark) to ${fmt(hi)} (bright)` },
    h("div", { class: "scale-title muted" }, title),
    bar,
    h(
      "div",
      { class: "scale-ticks" },
      h("span", {}, fmt(lo)),
      hi > lo ? h("span", {}, fmt(mid)) : null,
      hi > lo ? h("span", {}, fmt(hi)) : null,
    ),
    h("div", { class: "scale-empty muted" }, h("span", { class: "scale-none" }), " no spans"),
  );
}

/** Bucket geometry in ms since the trace started: the analysis gives each time bucket's start (ns). */
function timeAxis(hm: Heatmap, traceStartNs: number): { startMs: number; widthMs: number; nx: number } {
  const nx = hm.counts[0]?.length ?? 0;
  const tb = hm.timeBuckets;
  const widthNs = tb.length >= 2 ? tb[1]! - tb[0]! : 0;
  return { startMs: ((tb[0] ?? traceStartNs) - traceStartNs) / 1e6, widthMs: widthNs / 1e6, nx };
}

/** Tick marks under a grid of `nx` buckets, in one time unit, placed by fraction of the width. */
function xTicks(ax: { startMs: number; widthMs: number; nx: number }): HTMLElement {
  const end = ax.startMs + ax.widthMs * ax.nx;
  const row = h("div", { class: "heat-x" });
  if (!(ax.widthMs > 0)) return row;
  const t = timeTicks(ax.startMs, end, 6);
  for (const ms of t.ticks) {
    const tick = h("span", { class: "tick" }, fmtIn(ms, t.unit, t.stepMs));
    tick.style.left = `${((ms - ax.startMs) / (end - ax.startMs)) * 100}%`;
    row.append(tick);
  }
  return row;
}

function heatCanvas(hm: Heatmap, traceStartNs: number): HTMLElement {
  const nx = hm.counts[0]?.length ?? 0;
  const ny = hm.counts.length;
  const W = 720;
  const rowH = 16;
  const H = ny * rowH;
  const c = h("canvas", { width: W, height: H, class: "heat", role: "img" });
  let max = 0;
  let total = 0;
  for (const row of hm.counts)
    for (const v of row) {
      max = Math.max(max, v);
      total += v;
    }
  c.setAttribute("aria-label", `Heatmap of ${total} span latencies in ${ny} latency buckets over ${nx} time buckets`);
  const yLabels = h("div", { class: "heat-y" });
  // Rows top to bottom: slowest first; each label is its bucket's range.
  for (let y = ny - 1; y >= 0; y--) {
    const lo = hm.latencyBucketsMs[y] ?? 0;
    const hi = hm.latencyBucketsMs[y + 1];
    const label = h("div", {}, hi === undefined ? `≥ ${edge(lo)}` : `${lo ? edge(lo) : "0"} – ${edge(hi)}`);
    label.style.height = `${rowH}px`;
    yLabels.append(label);
  }
  const ax = timeAxis(hm, traceStartNs);
  const plot = h("div", { class: "heat-plot" }, c, xTicks(ax));
  plot.style.width = `${W}px`;
  const grid = h(
    "div",
    { class: "heat-grid" },
    h("div", { class: "axis-title y" }, "span latency"),
    yLabels,
    plot,
    colourLegend("spans per cell (log scale)", 1, Math.max(1, max), (v) => fmtNum(v)),
    h("div", {}),
    h("div", {}),
    h("div", { class: "axis-title x" }, `time since the trace started (${nx} buckets of ${fmtMs(ax.widthMs)})`),
  );
  requestAnimationFrame(() => {
    const g = c.getContext("2d");
    if (!g) return;
    const cw = W / Math.max(1, nx);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = hm.counts[y]![x]!;
        if (!v) continue;
        g.fillStyle = scaleColour(max > 1 ? logPos(v, 1, max) : 1);
        g.fillRect(Math.floor(x * cw), (ny - 1 - y) * rowH, Math.ceil(cw) - 1, rowH - 1);
      }
    }
  });
  return grid;
}

/** Estimates per-time-bucket percentiles from the histogram (bucket lower edges). */
export function bucketPercentiles(hm: Heatmap, p: number): (number | null)[] {
  const nx = hm.counts[0]?.length ?? 0;
  const out: (number | null)[] = [];
  for (let x = 0; x < nx; x++) {
    let n = 0;
    for (const row of hm.counts) n += row[x] ?? 0;
    if (!n) {
      out.push(null);
      continue;
    }
    const rank = Math.ceil((p / 100) * n);
    let acc = 0;
    let v: number | null = null;
    for (let y = 0; y < hm.counts.length; y++) {
      acc += hm.counts[y]![x] ?? 0;
      if (acc >= rank) {
        v = hm.latencyBucketsMs[y] ?? null;
        break;
      }
    }
    out.push(v);
  }
  return out;
}

function percentileChart(hm: Heatmap): HTMLElement {
  const el = h("div", { class: "chart", role: "img", "aria-label": "p50 and p90 latency per time bucket" });
  const nx = hm.counts[0]?.length ?? 0;
  const xs = Array.from({ length: nx }, (_, i) => (hm.timeBuckets[i] ?? 0) / 1e9);
  const cs = getComputedStyle(document.body);
  const fg = cs.getPropertyValue("--fg").trim() || "#ccc";
  requestAnimationFrame(() => {
    new uPlot(
      {
        width: Math.min(720, el.clientWidth || 720),
        height: 200,
        scales: { x: { time: true } },
        axes: [
          { stroke: fg, label: "time of day (span start)" },
          {
            stroke: fg,
            label: "latency",
            size: 70,
            values: (_u, vals) => {
              const t = timeTicks(0, Math.max(...vals, 0.001), 4);
              return vals.map((v) => fmtIn(v, t.unit, t.stepMs / 10));
            },
          },
        ],
        series: [
          {},
          { label: "p50", stroke: cs.getPropertyValue("--bar").trim() || "#3794ff", width: 2, spanGaps: true },
          { label: "p90", stroke: cs.getPropertyValue("--critical").trim() || "#f14c4c", width: 2, spanGaps: true },
        ],
      },
      [xs, bucketPercentiles(hm, 50), bucketPercentiles(hm, 90)] as uPlot.AlignedData,
      el,
    );
  });
  return el;
}

function byNameGrid(hm: Heatmap, traceStartNs: number): HTMLElement {
  const rows = hm.byName ?? [];
  let max = 0;
  let min = Infinity;
  for (const r of rows)
    for (const v of r.medianMs) if (v !== null && v > 0) [max, min] = [Math.max(max, v), Math.min(min, v)];
  if (!Number.isFinite(min)) min = max;
  const table = h("table", { class: "byname" });
  for (const r of rows.slice(0, 200)) {
    const tr = h("tr", {}, h("th", { scope: "row", title: r.name }, r.name));
    for (const v of r.medianMs) {
      const td = h("td", { title: v === null ? "no spans" : `median ${fmtMs(v)}` });
      if (v !== null) {
        td.className = "cell";
        td.style.background = scaleColour(max > min ? logPos(Math.max(v, min), min, max) : 1);
      }
      tr.append(td);
    }
    table.append(tr);
  }
  const ax = timeAxis(hm, traceStartNs);
  const nx = ax.nx;
  const end = ax.startMs + ax.widthMs * nx;
  return h(
    "div",
    { class: "byname-wrap" },
    h(
      "div",
      { class: "byname-plot" },
      table,
      colourLegend("median latency (log scale)", min || 0.001, max || 0.001, fmtMs),
    ),
    h(
      "div",
      { class: "axis-title x muted" },
      `columns: the same ${nx} time buckets, ${ax.startMs ? fmtMs(ax.startMs) : "0"} – ${fmtMs(end)} since the trace started (${fmtMs(ax.widthMs)} each)`,
    ),
  );
}
