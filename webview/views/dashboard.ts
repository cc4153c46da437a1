// The serving and cache dashboard: live numbers from the daemon's request events (tokens/s, TTFT, prefix reuse,
// draft acceptance, cache hit rate) plus the daemon's own stats endpoints, refreshed by the host.
import uPlot from "uplot";
import type { DaemonEvent } from "../../daemon/api.js";
import { fmtMs, fmtNum, h, replace } from "../dom.js";
import { percentile } from "../model.js";

type Finished = Extract<DaemonEvent, { type: "request.finished" }>;
const KEEP = 300;

export class Dashboard {
  readonly el: HTMLElement;
  private finished: Finished[] = [];
  private readonly tiles = h("div", { class: "facts tiles" });
  private readonly recent = h("tbody");
  private readonly statsEl = h("div", { class: "stats" });
  private readonly connection = h("span", { class: "badge", "aria-live": "polite" }, "connecting");
  private readonly chartEl = h("div", { class: "chart", role: "img", "aria-label": "Decode tokens/s and TTFT of recent requests" });
  private chart: uPlot | undefined;

  constructor() {
    this.el = h("section", { class: "dashboard-view" },
      h("h1", {}, "Serving & cache ", this.connection),
      this.tiles,
      h("h2", {}, "Recent requests: decode tokens/s and TTFT"),
      this.chartEl,
      h("table", { class: "grid recent" }, h("thead", {}, h("tr", {}, ...["time", "model", "route", "status", "latency", "TTFT", "tok/s", "cache"].map((t) => h("th", {}, t)))), this.recent),
      h("h2", {}, "Daemon stats"),
      this.statsEl);
    this.renderTiles();
  }

  setConnection(state: string): void {
    this.connection.textContent = state;
  }

  onEvent(e: DaemonEvent): void {
    if (e.type !== "request.finished") return;
    this.finished.push(e);
    if (this.finished.length > KEEP) this.finished.splice(0, this.finished.length - KEEP);
    this.renderTiles();
    this.renderRecent();
    this.renderChart();
  }

  private renderTiles(): void {
    const f = this.finished;
    const now = Date.now();
    const lastMin = f.filter((e) => now - e.at < 60_000).length;
    const ttft = f.map((e) => e.timings?.ttft_ms).filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
    const tps = f.map((e) => e.timings?.predicted_per_second).filter((v): v is number => typeof v === "number" && v > 0).sort((a, b) => a - b);
    const lat = f.map((e) => e.durationMs).sort((a, b) => a - b);
    let prompt = 0;
    let cached = 0;
    let drafted = 0;
    let accepted = 0;
    for (const e of f) {
      prompt += e.usage?.prompt_tokens ?? 0;
      cached += e.usage?.prompt_tokens_details.cached_tokens ?? 0;
      drafted += e.timings?.draft_n ?? 0;
      accepted += e.timings?.draft_n_accepted ?? 0;
    }
    const asked = f.filter((e) => e.cache && !/bypass|skip|off/i.test(e.cache));
    const hits = asked.filter((e) => /hit/i.test(e.cache!));
    const tile = (label: string, value: string, id: string) => h("div", { class: "tile", "data-metric": id }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value));
    this.tiles.replaceChildren(
      tile("requests (last min)", fmtNum(lastMin), "rpm"),
      tile("p50 latency", fmtMs(percentile(lat, 50)), "latency"),
      tile("TTFT p50", fmtMs(percentile(ttft, 50)), "ttft"),
      tile("decode tok/s p50", fmtNum(percentile(tps, 50), 1), "tps"),
      tile("prefix reuse", prompt ? `${Math.round((cached / prompt) * 100)}%` : "–", "prefix"),
      tile("draft acceptance", drafted ? `${Math.round((accepted / drafted) * 100)}%` : "–", "draft"),
      tile("cache hit rate", asked.length ? `${Math.round((hits.length / asked.length) * 100)}%` : "–", "hit"),
    );
    const t = this.cacheTotals;
    if (t) {
      const looked = (t.hits ?? 0) + (t.misses ?? 0);
      this.tiles.append(
        tile("semantic hit rate (all time)", looked ? `${Math.round(((t.semanticHits ?? 0) / looked) * 100)}%` : "–", "semantic"),
        tile("tokens saved", fmtNum(t.tokensSaved ?? 0), "tokensSaved"),
        tile("time saved", fmtMs(t.msSaved ?? 0), "msSaved"),
        tile("money saved", `$${(t.usdSaved ?? 0).toFixed(4)}`, "usdSaved"),
      );
    }
  }

  private renderRecent(): void {
    this.recent.replaceChildren(...this.finished.slice(-20).reverse().map((e) =>
      h("tr", { class: e.status >= 400 ? "error" : "" },
        h("td", {}, new Date(e.at).toLocaleTimeString()), h("td", {}, e.model), h("td", {}, e.route), h("td", {}, String(e.status)),
        h("td", {}, fmtMs(e.durationMs)), h("td", {}, e.timings ? fmtMs(e.timings.ttft_ms) : "–"),
        h("td", {}, e.timings ? fmtNum(e.timings.predicted_per_second, 1) : "–"), h("td", {}, e.cache ?? "–"))));
  }

  private renderChart(): void {
    const f = this.finished;
    const data: uPlot.AlignedData = [
      f.map((e) => e.at / 1000),
      f.map((e) => e.timings?.predicted_per_second ?? null),
      f.map((e) => e.timings?.ttft_ms ?? null),
    ];
    if (this.chart) {
      this.chart.setData(data);
      return;
    }
    const cs = getComputedStyle(document.body);
    const fg = cs.getPropertyValue("--fg").trim() || "#ccc";
    this.chart = new uPlot(
      {
        width: Math.min(720, this.chartEl.clientWidth || 720),
        height: 200,
        scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - 120), max + 5] }, ms: { auto: true } },
        axes: [{ stroke: fg }, { stroke: fg, label: "tok/s" }, { stroke: fg, scale: "ms", side: 1, label: "TTFT ms" }],
        series: [
          {},
          { label: "tok/s", stroke: cs.getPropertyValue("--bar").trim() || "#3794ff", width: 2, spanGaps: true },
          { label: "TTFT", scale: "ms", stroke: cs.getPropertyValue("--critical").trim() || "#f14c4c", width: 2, spanGaps: true },
        ],
      },
      data,
      this.chartEl,
    );
  }

  private cacheTotals: Record<string, number> | undefined;

  setStats(serving: Record<string, unknown> | null, cache: Record<string, unknown> | null, errors: string[]): void {
    // CacheStats.totals (daemon/api.ts): the cache's own counters since the daemon started.
    const totals = cache?.totals as Record<string, number> | undefined;
    this.cacheTotals = totals && typeof totals.hitRate === "number" ? totals : undefined;
    this.renderTiles();
    const block = (title: string, v: Record<string, unknown> | null) =>
      v ? h("div", { class: "stat-block" }, h("h3", {}, title), h("table", { class: "grid kv-table" }, ...flatten(v).slice(0, 120).map(([k, x]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, x))))) : null;
    replace(this.statsEl,
      block("serving (/hotpath/stats)", serving), block("cache (/hotpath/cache/stats)", cache),
      ...errors.map((e) => h("p", { class: /failed with 404/.test(e) ? "muted" : "warn" }, /failed with 404/.test(e) ? `not available in this daemon version (${e.split(" failed")[0]})` : e)),
    );
  }
}

/** Flattens nested stats into "a.b.c" → display value rows. */
export function flatten(v: unknown, prefix = "", out: [string, string][] = []): [string, string][] {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object" || x === null)) out.push([prefix, v.join(", ")]);
    else v.forEach((x, i) => flatten(x, `${prefix}[${(x as { name?: string })?.name ?? i}]`, out));
  } else out.push([prefix, typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : String(v)]);
  return out;
}
