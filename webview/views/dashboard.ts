// The serving and cache dashboard: live numbers from the daemon's request events (tokens/s, TTFT, prefix reuse,
// draft acceptance, cache hit rate) plus the daemon's own stats endpoints, refreshed by the host.
import uPlot from "uplot";
import type { CacheStats, DaemonEvent, ServingStats } from "../../daemon/api.js";
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
  private readonly chartEl = h("div", {
    class: "chart",
    role: "img",
    "aria-label": "Decode tokens/s and TTFT of recent requests",
  });
  private chart: uPlot | undefined;

  constructor() {
    this.el = h(
      "section",
      { class: "dashboard-view" },
      h("h1", {}, "Serving & cache ", this.connection),
      this.tiles,
      h("h2", {}, "Recent requests: decode speed and time to first token"),
      this.chartEl,
      h(
        "table",
        { class: "grid recent" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["time", "model", "route", "status", "latency", "time to first token", "decode tokens/s", "cache"].map(
              (t) => h("th", {}, t),
            ),
          ),
        ),
        this.recent,
      ),
      h("h2", {}, "Daemon stats"),
      this.statsEl,
    );
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
    const ttft = f
      .map((e) => e.timings?.ttft_ms)
      .filter((v): v is number => typeof v === "number")
      .sort((a, b) => a - b);
    const tps = f
      .map((e) => e.timings?.predicted_per_second)
      .filter((v): v is number => typeof v === "number" && v > 0)
      .sort((a, b) => a - b);
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
    const tile = (label: string, value: string, id: string) =>
      h(
        "div",
        { class: "tile", "data-metric": id },
        h("div", { class: "muted" }, label),
        h("div", { class: "big" }, value),
      );
    this.tiles.replaceChildren(
      tile("requests in the last minute", fmtNum(lastMin), "rpm"),
      tile("median latency", fmtMs(percentile(lat, 50)), "latency"),
      tile("median time to first token", fmtMs(percentile(ttft, 50)), "ttft"),
      tile("median decode speed (tokens/s)", fmtNum(percentile(tps, 50), 1), "tps"),
      tile(
        "prompt tokens reused from the KV cache",
        prompt ? `${Math.round((cached / prompt) * 100)}%` : "–",
        "prefix",
      ),
      tile("draft tokens accepted", drafted ? `${Math.round((accepted / drafted) * 100)}%` : "–", "draft"),
      tile("response cache hit rate", asked.length ? `${Math.round((hits.length / asked.length) * 100)}%` : "–", "hit"),
    );
    const t = this.cacheTotals;
    if (t) {
      const looked = (t.hits ?? 0) + (t.misses ?? 0);
      this.tiles.append(
        tile(
          "similar-question hits (since start)",
          looked ? `${Math.round(((t.semanticHits ?? 0) / looked) * 100)}%` : "–",
          "semantic",
        ),
        tile("tokens saved", fmtNum(t.tokensSaved ?? 0), "tokensSaved"),
        tile("time saved", fmtMs(t.msSaved ?? 0), "msSaved"),
        tile("money saved", `$${(t.usdSaved ?? 0).toFixed(4)}`, "usdSaved"),
      );
    }
  }

  private renderRecent(): void {
    this.recent.replaceChildren(
      ...this.finished
        .slice(-20)
        .reverse()
        .map((e) =>
          h(
            "tr",
            { class: e.status >= 400 ? "error" : "" },
            h("td", {}, new Date(e.at).toLocaleTimeString()),
            h("td", {}, e.model),
            h("td", {}, e.route),
            h("td", {}, String(e.status)),
            h("td", {}, fmtMs(e.durationMs)),
            h("td", {}, e.timings ? fmtMs(e.timings.ttft_ms) : "–"),
            h("td", {}, e.timings ? fmtNum(e.timings.predicted_per_second, 1) : "–"),
            h("td", {}, e.cache ? words(e.cache) : "–"),
          ),
        ),
    );
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
        axes: [
          // Clock times only (uPlot's default adds a date line whose labels collide on a two-minute window).
          {
            stroke: fg,
            label: "time of day",
            space: 90,
            values: (_u, vals) => vals.map((v) => new Date(v * 1000).toLocaleTimeString("en-GB")),
          },
          { stroke: fg, label: "decode tokens/s" },
          { stroke: fg, scale: "ms", side: 1, size: 60, label: "first token (ms)" },
        ],
        series: [
          {},
          {
            label: "decode tokens/s",
            stroke: cs.getPropertyValue("--bar").trim() || "#3794ff",
            width: 2,
            spanGaps: true,
          },
          {
            label: "time to first token",
            scale: "ms",
            stroke: cs.getPropertyValue("--critical").trim() || "#f14c4c",
            width: 2,
            spanGaps: true,
          },
        ],
      },
      data,
      this.chartEl,
    );
  }

  private cacheTotals: Partial<CacheStats["totals"]> | undefined;

  setStats(serving: ServingStats | null, cache: CacheStats | null, errors: string[]): void {
    // CacheStats.totals: the cache's own counters since the daemon started. An older daemon may lack fields: every
    // read below tolerates a missing one.
    const totals = cache?.totals;
    this.cacheTotals = totals && typeof totals.hitRate === "number" ? totals : undefined;
    this.renderTiles();
    replace(
      this.statsEl,
      serving ? statBlock("Serving", "/hotpath/stats", { ...serving, models: undefined }) : null,
      serving?.models?.length ? modelsTable(serving.models) : null,
      cache ? statBlock("Response cache", "/hotpath/cache/stats", { ...cache, namespaces: undefined }) : null,
      cache?.namespaces?.length ? namespacesTable(cache.namespaces) : null,
      ...errors.map((e) =>
        h(
          "p",
          { class: /failed with 404/.test(e) ? "muted" : "warn" },
          /failed with 404/.test(e) ? `not available in this daemon version (${e.split(" failed")[0]})` : e,
        ),
      ),
    );
  }
}

/** Words for the daemon's stats keys (daemon/api.ts ServingStats, CacheStats); a key not listed is spelled out. */
const WORDS: Record<string, string> = {
  version: "daemon version",
  uptimeS: "up for",
  window: "recent window",
  windowS: "window length",
  requests: "requests",
  errors: "errors",
  ttftMs: "time to first token",
  decodeTokensPerSecond: "decode speed (tokens/s)",
  p50: "median",
  p95: "95th percentile",
  promptTokens: "prompt tokens",
  cachedPromptTokens: "prompt tokens reused from the KV cache",
  prefixReuse: "share of prompt reused from the KV cache",
  completionTokens: "completion tokens",
  cacheHits: "response cache hits",
  costUsd: "cost",
  enabled: "enabled",
  embedder: "embedding model",
  embedderLoaded: "embedding model loaded",
  threshold: "similarity needed for a hit",
  entries: "entries",
  bytes: "size",
  maxEntries: "entry limit",
  maxBytes: "size limit",
  evictions: "entries evicted",
  totals: "since start",
  hits: "hits",
  misses: "misses",
  bypasses: "not looked up (bypassed)",
  semanticHits: "hits on a similar question",
  guardRejections: "near matches refused by a guard",
  hitRate: "hit rate",
  tokensSaved: "tokens saved",
  msSaved: "time saved",
  usdSaved: "money saved",
  requestsTotal: "requests",
};

/** "semanticHits" → "semantic hits", "ttft_ms" → "ttft ms", "semantic-hit" → "semantic hit". */
export function words(key: string): string {
  return (
    WORDS[key] ??
    key
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/[_-]+/g, " ")
      .toLowerCase()
  );
}

/** A value shown with the unit its key implies (durations, sizes, rates, money). */
export function valueFor(key: string, v: unknown): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "number") return Array.isArray(v) ? v.join(", ") : String(v);
  if (/Ms$|^ms/.test(key)) return fmtMs(v);
  if (/S$/.test(key) && key !== "bytes") return fmtMs(v * 1000);
  if (/bytes$/i.test(key)) return fmtBytes(v);
  if (/usd$/i.test(key)) return `$${v.toFixed(v < 1 ? 4 : 2)}`;
  if (/rate$|reuse$|acceptance$/i.test(key)) return `${Math.round(v * 100)}%`;
  return Number.isInteger(v) ? fmtNum(v) : fmtNum(v, 3);
}

function fmtBytes(n: number): string {
  return n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} GB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KB`
        : `${n} B`;
}

/** Nested stats as rows of words: "since start › hits on a similar question" → "2". */
function statBlock(title: string, source: string, v: object): HTMLElement {
  const rows = flatten(v)
    .slice(0, 120)
    .map(([path, leaf, value]) => {
      const keys = path.split(".").map((k) => k.replace(/\[.*\]$/, ""));
      // A percentile's unit is its parent's: ttftMs.p50 is a duration, decodeTokensPerSecond.p50 a speed.
      const unitKey = [...keys].reverse().find((k) => !/^p\d+$/.test(k)) ?? leaf;
      return h(
        "tr",
        { "data-key": path },
        h("th", { scope: "row" }, keys.map(words).join(" › ")),
        h("td", {}, valueFor(unitKey, value)),
      );
    });
  return h(
    "div",
    { class: "stat-block" },
    h("h3", {}, title, h("span", { class: "muted small" }, ` from ${source}`)),
    h("table", { class: "grid kv-table" }, ...rows),
  );
}

function modelsTable(models: ServingStats["models"]): HTMLElement {
  return h(
    "div",
    { class: "stat-block" },
    h("h3", {}, "Local models"),
    h(
      "table",
      { class: "grid models" },
      h(
        "tr",
        {},
        ...[
          "model",
          "state",
          "context (tokens)",
          "busy / sequences",
          "waiting (interactive, workflow, background)",
          "speculation",
        ].map((t) => h("th", {}, t)),
      ),
      ...models.map((m) =>
        h(
          "tr",
          {},
          h("td", {}, m.alias),
          h(
            "td",
            { class: m.state === "error" ? "warn" : "" },
            m.state === "error"
              ? `error${m.error ? `: ${m.error}` : ""}`
              : m.state === "unloaded"
                ? "not loaded"
                : m.state,
          ),
          h("td", {}, m.contextSize === undefined ? "–" : fmtNum(m.contextSize)),
          h("td", {}, m.sequences === undefined ? "–" : `${m.busySequences ?? 0} / ${m.sequences}`),
          h("td", {}, m.queued ? `${m.queued.interactive}, ${m.queued.workflow}, ${m.queued.background}` : "–"),
          h(
            "td",
            {},
            m.speculation
              ? `${m.speculation.kind === "draft" ? "draft model" : "prompt lookup"}, ${Math.round(m.speculation.acceptance * 100)}% accepted${m.speculation.enabled ? "" : " (paused: not paying off)"}`
              : "none",
          ),
        ),
      ),
    ),
  );
}

function namespacesTable(ns: CacheStats["namespaces"]): HTMLElement {
  return h(
    "div",
    { class: "stat-block" },
    h("h3", {}, "Cache partitions"),
    h(
      "table",
      { class: "grid namespaces" },
      h(
        "tr",
        {},
        ...["partition", "route", "model", "entries", "size", "hits", "misses", "hit rate", "similarity needed"].map(
          (t) => h("th", {}, t),
        ),
      ),
      ...ns.map((n) =>
        h(
          "tr",
          { "data-namespace": n.namespace },
          h("td", { title: n.namespace }, n.label || n.namespace),
          h("td", {}, n.route ?? "–"),
          h("td", {}, n.model ?? "–"),
          h("td", {}, valueFor("entries", n.entries)),
          h("td", {}, valueFor("bytes", n.bytes)),
          h("td", {}, valueFor("hits", n.hits)),
          h("td", {}, valueFor("misses", n.misses)),
          h("td", {}, valueFor("hitRate", n.hitRate)),
          h("td", {}, valueFor("threshold", n.threshold)),
        ),
      ),
    ),
  );
}

/** Flattens nested stats into (path "a.b.c", leaf key, value) rows; arrays of scalars stay one value. */
export function flatten(
  v: unknown,
  prefix = "",
  out: [string, string, unknown][] = [],
  leaf = "",
): [string, string, unknown][] {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (x !== undefined) flatten(x, prefix ? `${prefix}.${k}` : k, out, k);
  } else if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object" || x === null)) out.push([prefix, leaf, v]);
    else v.forEach((x, i) => flatten(x, `${prefix}[${(x as { name?: string })?.name ?? i}]`, out, leaf));
  } else out.push([prefix, leaf, v]);
  return out;
}
