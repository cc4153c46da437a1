// Latency heatmaps: span latency over time (canvas), span name × time (median per bucket), percentiles,
// and a uPlot chart of the per-bucket p50/p90 estimated from the histogram.
import uPlot from "uplot";
import type { Heatmap, TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { empty, fmtMs, h } from "../dom.js";

export function renderHeatmap(detail: TraceDetail, analysis: TraceAnalysis | null): HTMLElement {
  const hm = analysis?.heatmap;
  const root = h("section", { class: "heatmap-view", "data-trace-id": detail.trace.traceId },
    h("h1", {}, `Latency — ${detail.trace.name || detail.trace.traceId}`));
  if (!hm || !hm.counts.length) {
    root.append(empty(analysis ? "No latency data in this trace." : "No analysis for this trace."));
    return root;
  }
  root.append(
    h("div", { class: "facts" },
      tile("p50", fmtMs(hm.percentilesMs.p50)), tile("p90", fmtMs(hm.percentilesMs.p90)), tile("p99", fmtMs(hm.percentilesMs.p99)),
      tile("spans", String(detail.spans.length))),
    h("h2", {}, "Span latency over time"),
    heatCanvas(hm),
    h("h2", {}, "Percentiles per time bucket"),
    percentileChart(hm),
  );
  if (hm.byName?.length) root.append(h("h2", {}, "Span name × time (median latency)"), byNameGrid(hm));
  return root;
}

function tile(label: string, value: string): HTMLElement {
  return h("div", { class: "tile" }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value));
}

function heatCanvas(hm: Heatmap): HTMLElement {
  const nx = hm.counts[0]?.length ?? 0;
  const ny = hm.counts.length;
  const W = 720;
  const H = Math.max(120, ny * 14);
  const c = h("canvas", { width: W, height: H, class: "heat", role: "img" });
  let max = 0;
  let total = 0;
  for (const row of hm.counts) for (const v of row) {
    max = Math.max(max, v);
    total += v;
  }
  c.setAttribute("aria-label", `Heatmap of ${total} span latencies in ${ny} latency buckets over ${nx} time buckets`);
  const wrap = h("div", { class: "heat-wrap" });
  const yLabels = h("div", { class: "heat-y" });
  // Rows top to bottom: slowest first.
  for (let y = ny - 1; y >= 0; y--) yLabels.append(h("div", {}, `≥ ${fmtMs(hm.latencyBucketsMs[y] ?? 0)}`));
  const t0 = hm.timeBuckets[0] ?? 0;
  const tN = hm.timeBuckets[hm.timeBuckets.length - 1] ?? t0;
  const xLabel = h("div", { class: "muted" }, `time: +0 → +${fmtMs((tN - t0) / 1e6)} (${nx} buckets); colour: span count (log scale)`);
  wrap.append(yLabels, c);
  requestAnimationFrame(() => {
    const g = c.getContext("2d");
    if (!g) return;
    const cs = getComputedStyle(document.body);
    const hot = cs.getPropertyValue("--critical").trim() || "#f14c4c";
    const cw = W / Math.max(1, nx);
    const ch = H / Math.max(1, ny);
    g.fillStyle = hot;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = hm.counts[y]![x]!;
        if (!v) continue;
        g.globalAlpha = 0.15 + 0.85 * (Math.log1p(v) / Math.log1p(max));
        g.fillRect(x * cw, (ny - 1 - y) * ch, Math.ceil(cw), Math.ceil(ch));
      }
    }
    g.globalAlpha = 1;
  });
  return h("div", {}, wrap, xLabel);
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
        axes: [{ stroke: fg }, { stroke: fg, values: (_u, vals) => vals.map((v) => fmtMs(v)) }],
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

function byNameGrid(hm: Heatmap): HTMLElement {
  const rows = hm.byName ?? [];
  let max = 0;
  for (const r of rows) for (const v of r.medianMs) if (v !== null) max = Math.max(max, v);
  const table = h("table", { class: "byname" });
  for (const r of rows.slice(0, 200)) {
    const tr = h("tr", {}, h("th", { scope: "row", title: r.name }, r.name));
    for (const v of r.medianMs) {
      const td = h("td", { title: v === null ? "no spans" : fmtMs(v) });
      if (v !== null) {
        td.className = "cell";
        td.style.opacity = String(0.15 + 0.85 * (max ? Math.log1p(v) / Math.log1p(max) : 0));
      }
      tr.append(td);
    }
    table.append(tr);
  }
  return h("div", { class: "byname-wrap" }, table);
}
