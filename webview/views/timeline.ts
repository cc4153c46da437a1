// The trace timeline (waterfall): virtualized rows (only the visible ones are in the DOM, so 10k spans stay smooth),
// a canvas overview of the whole trace, the critical path highlighted, zoom/pan by wheel, drag and keyboard,
// span details on click/Enter with links to the files a span names, and the parallelizable groups listed.
// Time has an owner (model, tool, a person, idle, compaction, uninstrumented): bars and the critical-path lane are
// coloured by it. When most spans are on the critical path, the spans OFF it are marked instead (a timeline painted
// all red says nothing).
import type { CriticalPathSegment, Hotspot, TimeOwner, TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { fmtIn, fmtMs, fmtShare, h, replace, timeTicks } from "../dom.js";
import { buildModel, filesOf, toolHint, type Row, type TraceModel } from "../model.js";
import type { Host } from "../main.js";
import { OWNER_ORDER, OWNERS, ownerEntries, ownerLabel, ownerOf, spanOwners } from "../owners.js";
import { confidenceHelp, confidenceLabel } from "../confidence.js";
import { renderHotspots } from "./hotspots.js";

const ROW_H = 22;
const OVERSCAN = 8;
const LABEL_W = 300;
/** Spans painted into the overview bitmap per task (a 10k-span trace in a few short tasks). */
const OVERVIEW_SLICE = 2000;

export class Timeline {
  readonly el: HTMLElement;
  private model: TraceModel;
  private v0 = 0;
  private v1 = 1;
  private selected = -1;
  /** Spans of the picked parallel group or hotspot. */
  private highlighted = new Set<string>();
  /** True when most spans are on the critical path: the few off it are marked instead. */
  readonly markOffPath: boolean;
  private readonly owners: Map<string, TimeOwner>;
  private readonly segments: CriticalPathSegment[];
  private readonly lane: HTMLCanvasElement;
  private readonly hotspots: HTMLElement | null;
  private readonly scroll: HTMLElement;
  private readonly canvasWrap: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly overview: HTMLCanvasElement;
  private readonly details: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private trackWidth = 600;
  private overviewWidth = 800;
  private frame = 0;

  constructor(
    private readonly detail: TraceDetail,
    private readonly analysis: TraceAnalysis | null,
    private readonly host: Host,
    analysisError?: string,
  ) {
    this.model = buildModel(detail, analysis);
    this.v1 = Math.max(this.model.durationMs, 0.001);
    const cp = analysis?.criticalPath;
    const share = cp && this.model.durationMs ? Math.round((cp.durationMs / this.model.durationMs) * 100) : 0;
    const onPath = this.model.rows.filter((r) => r.critical).length;
    const offPath = this.model.rows.length - onPath;
    this.markOffPath = onPath > 0 && onPath > this.model.rows.length / 2;
    this.owners = spanOwners(analysis);
    this.segments = (cp?.segments ?? []).slice().sort((a, b) => a.startNs - b.startNs);
    const present = new Set<string>(ownerEntries(cp?.byKind).map(([k]) => k));
    for (const o of this.owners.values()) present.add(o);

    this.zoomLabel = h("span", { class: "muted", "aria-live": "polite" });
    const toolbar = h(
      "div",
      { class: "toolbar", role: "toolbar", "aria-label": "Timeline zoom" },
      h(
        "button",
        { type: "button", title: "Zoom in (+)", "aria-label": "Zoom in", onclick: () => this.zoom(0.5) },
        "+",
      ),
      h(
        "button",
        { type: "button", title: "Zoom out (−)", "aria-label": "Zoom out", onclick: () => this.zoom(2) },
        "−",
      ),
      h("button", { type: "button", title: "Show the whole trace (0)", onclick: () => this.resetZoom() }, "Fit"),
      h(
        "button",
        {
          type: "button",
          title: "Zoom to the critical path",
          disabled: !cp?.spanIds.length,
          onclick: () => this.zoomToCritical(),
        },
        "Critical path",
      ),
      this.zoomLabel,
      h(
        "span",
        { class: "legend", "aria-label": "Legend" },
        ...OWNER_ORDER.filter((o) => o === "llm" || o === "tool" || present.has(o)).map((o) =>
          h(
            "span",
            { class: "legend-item", title: OWNERS[o].help, "data-owner": o },
            h("span", { class: `swatch o-${o}` }),
            OWNERS[o].label,
          ),
        ),
        h("span", { class: "legend-item" }, h("span", { class: "swatch k-agent" }), "agent"),
        this.markOffPath
          ? h(
              "span",
              { class: "legend-item", title: "Most spans are on the critical path, so the ones off it are marked" },
              h("span", { class: "off-mark" }, "○"),
              `off the critical path (${offPath} of ${this.model.rows.length})`,
            )
          : h("span", { class: "legend-item" }, h("span", { class: "cp-mark" }, "◆"), "critical path"),
        h("span", { class: "legend-item" }, h("span", { class: "swatch in-group" }), "parallelizable"),
      ),
    );

    const summary = h(
      "div",
      { class: "summary" },
      h("h1", {}, detail.trace.name || detail.trace.traceId),
      h(
        "div",
        { class: "facts" },
        fact("spans", String(detail.spans.length)),
        fact("duration", fmtMs(this.model.durationMs)),
        fact("source", detail.trace.source),
        cp
          ? fact(
              "critical path",
              `${fmtMs(cp.durationMs)} (${share}%) · ${onPath} of ${this.model.rows.length} spans`,
              "critical-summary",
            )
          : null,
        analysis
          ? fact(
              "parallel saving",
              fmtMs(analysis.projectedSavingMs),
              "",
              "calls with no dependence found between them, run together",
            )
          : null,
        analysis?.speculativeSavingMs
          ? fact(
              "if speculated",
              `+${fmtMs(analysis.speculativeSavingMs)}`,
              "",
              "follow-ups and retries, only if issued before the earlier call came back",
            )
          : null,
      ),
      cp && ownerEntries(cp.byKind).length
        ? h(
            "div",
            { class: "bykind", "aria-label": "Critical path by owner" },
            h("span", { class: "muted" }, "critical path: "),
            ...ownerEntries(cp.byKind).map(([k, ms]) =>
              h(
                "span",
                { class: `chip o-${k}`, "data-owner": k, title: OWNERS[k as TimeOwner]?.help ?? k },
                h("span", { class: `swatch o-${k}` }),
                `${ownerLabel(k)} ${fmtMs(ms)}`,
                h("span", { class: "muted" }, ` ${fmtShare(cp.durationMs ? ms / cp.durationMs : 0)}`),
              ),
            ),
          )
        : null,
      analysisError ? h("p", { class: "warn" }, `Analysis unavailable: ${analysisError}`) : null,
    );
    this.hotspots = renderHotspots(analysis, (spot) => this.showHotspot(spot));

    // The critical path as one lane of owner-coloured stretches (gaps between spans included): click to select.
    this.lane = h("canvas", {
      class: "cp-lane",
      height: 14,
      role: "img",
      "aria-label": "Critical path by owner over time",
    });
    this.lane.addEventListener("click", (e) => this.onLaneClick(e));

    this.overview = h("canvas", {
      class: "overview",
      height: 40,
      "aria-hidden": "true",
      title: "Whole trace; click to center the view",
    });
    this.overview.addEventListener("click", (e) => {
      const r = this.overview.getBoundingClientRect();
      const t = ((e.clientX - r.left) / r.width) * this.model.durationMs;
      const span = this.v1 - this.v0;
      this.setWindow(t - span / 2, t + span / 2);
    });

    this.axis = h("div", { class: "axis", title: "Drag to pan; Ctrl+wheel to zoom" });
    this.rowsLayer = h("div", { class: "rows" });
    this.canvasWrap = h("div", { class: "spacer" }, this.rowsLayer);
    this.canvasWrap.style.height = `${this.model.rows.length * ROW_H}px`;
    this.scroll = h(
      "div",
      {
        class: "tl-scroll",
        tabindex: 0,
        role: "grid",
        "aria-label": `Spans of trace ${detail.trace.name || detail.trace.traceId}; arrows move, Enter shows details, + and − zoom, Left and Right pan`,
        "aria-rowcount": this.model.rows.length,
        "aria-multiselectable": "false",
      },
      this.canvasWrap,
    );
    this.scroll.addEventListener("scroll", () => this.schedule());
    this.scroll.addEventListener("keydown", (e) => this.onKey(e));
    this.scroll.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.scroll.addEventListener("click", (e) => {
      const rowEl = (e.target as HTMLElement).closest<HTMLElement>(".tl-row");
      if (rowEl) this.select(Number(rowEl.dataset.index), true);
    });
    this.enableDragPan(this.axis);

    this.details = h(
      "aside",
      { class: "details", "aria-label": "Span details", "aria-live": "polite" },
      h("p", { class: "empty" }, "Click a span (or press Enter) to see its details."),
    );

    const groups = this.groupsList();
    const side = h("div", { class: "side" }, this.details, groups);
    const laneRow = h(
      "div",
      { class: "tl-lane" },
      h("div", { class: "tl-label-head", title: "Who owned each stretch of the critical path" }, "critical path"),
      this.lane,
    );
    const main = h(
      "div",
      { class: "tl-main" },
      h("div", { class: "tl-head" }, h("div", { class: "tl-label-head" }, "span"), this.axis),
      laneRow,
      this.scroll,
    );
    this.el = h(
      "section",
      { class: `timeline${this.markOffPath ? " mark-off" : ""}`, "data-trace-id": detail.trace.traceId },
      summary,
      this.hotspots,
      toolbar,
      this.overview,
      h("div", { class: "tl-body" }, main, side),
    );
  }

  /** Called once the element is in the document. */
  mount(): void {
    this.measure();
    // Rendered now: the frame measure() may have asked for would only render the same again.
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.render();
    const resized = new ResizeObserver(() => this.measure());
    resized.observe(this.scroll);
    resized.observe(this.overview);
  }

  /** Widths are read here (on resize), never while rendering: a read there would force a layout mid-render. */
  private measure(): void {
    const w = Math.max(100, this.scroll.clientWidth - LABEL_W - 16);
    const ow = this.overview.clientWidth || 800;
    if (w === this.trackWidth && ow === this.overviewWidth) return;
    this.trackWidth = w;
    this.overviewWidth = ow;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private x(ms: number): number {
    return ((ms - this.v0) / (this.v1 - this.v0)) * this.trackWidth;
  }

  /** Renders only the rows in view (plus a margin): the cost is independent of the trace's size. */
  render(): void {
    const rows = this.model.rows;
    const top = this.scroll.scrollTop;
    const height = this.scroll.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) frag.append(this.rowEl(rows[i]!));
    this.rowsLayer.replaceChildren(frag);
    const unit = this.renderAxis();
    this.renderLane();
    this.renderOverview();
    const span = this.v1 - this.v0;
    this.zoomLabel.textContent = `showing ${fmtIn(this.v0, unit.unit, unit.stepMs / 10)} – ${fmtIn(this.v1, unit.unit, unit.stepMs / 10)} (${Math.round((this.model.durationMs / span) * 100)}%)`;
  }

  private rowEl(r: Row): HTMLElement {
    const s = r.span;
    const dur = r.end - r.start;
    const left = this.x(r.start);
    const cls = ["tl-row", `k-${s.kind}`];
    const owner = this.owners.get(s.spanId);
    if (owner) cls.push(`o-${owner}`);
    if (r.critical) cls.push("critical");
    else if (this.markOffPath) cls.push("off-path");
    if (r.group >= 0) cls.push("in-group");
    if (this.highlighted.has(s.spanId)) cls.push("highlight");
    if (r.index === this.selected) cls.push("selected");
    if (s.status === "error") cls.push("error");
    const barTitle = `${s.name}: ${fmtMs(dur)}${owner ? ` — ${OWNERS[owner].label}` : ""}${r.critical ? "" : " (off the critical path)"}`;
    const bar = h("div", { class: "bar", title: barTitle });
    // Clamp both ends to the track (plus a margin) so far-off bars stay cheap at deep zoom; a span wholly outside
    // the window shows no bar, only its duration with an arrow at the edge it lies beyond.
    const tw = this.trackWidth;
    const right = this.x(r.end);
    const before = right < -1;
    const beyond = left > tw + 1;
    const cx0 = Math.max(-10, Math.min(tw + 10, left));
    const cw = Math.max(2, Math.max(-10, Math.min(tw + 10, right)) - cx0);
    bar.style.left = `${cx0}px`;
    bar.style.width = `${cw}px`;
    if (before || beyond) bar.hidden = true;
    const label = h(
      "div",
      { class: "label", title: s.name },
      r.critical && !this.markOffPath
        ? h("span", { class: "cp-mark", title: "on the critical path", "aria-label": "critical path" }, "◆")
        : null,
      !r.critical && this.markOffPath
        ? h("span", { class: "off-mark", title: "off the critical path", "aria-label": "off the critical path" }, "○")
        : null,
      h("span", { class: "kind" }, owner ? OWNERS[owner].label : s.kind),
      h("span", { class: "name" }, s.name),
      s.kind === "tool" ? hint(s) : null,
    );
    label.style.paddingLeft = `${4 + Math.min(r.depth, 20) * 12}px`;
    const el = h(
      "div",
      {
        class: cls.join(" "),
        role: "row",
        id: `row-${r.index}`,
        "aria-rowindex": r.index + 1,
        "aria-selected": r.index === this.selected ? "true" : "false",
        "data-span-id": s.spanId,
        "data-index": r.index,
        "data-critical": r.critical ? "true" : undefined,
      },
      label,
      h(
        "div",
        { class: "track" },
        bar,
        h("span", { class: "dur" }, before ? `← ${fmtMs(dur)}` : beyond ? `${fmtMs(dur)} →` : fmtMs(dur)),
      ),
    );
    el.style.top = `${r.index * ROW_H}px`;
    const durEl = el.lastElementChild!.lastElementChild as HTMLElement;
    // After the bar, or before it when the bar reaches the right edge, or on it when it spans the whole track.
    const after = cx0 + cw + 4;
    if (before) durEl.style.left = "2px";
    else if (beyond) durEl.style.left = `${tw - 70}px`;
    else if (after <= tw - 60) durEl.style.left = `${after}px`;
    else if (cx0 >= 70) durEl.style.left = `${cx0 - 68}px`;
    else {
      durEl.style.left = `${Math.max(0, cx0) + 4}px`;
      durEl.classList.add("on-bar");
    }
    return el;
  }

  /** Ticks in one unit for the whole window (the unit follows the zoom level). */
  private renderAxis(): ReturnType<typeof timeTicks> {
    const t = timeTicks(this.v0, this.v1, Math.max(3, Math.floor(this.trackWidth / 90)));
    this.axis.replaceChildren(
      ...t.ticks.map((ms) => {
        const tick = h("span", { class: "tick" }, fmtIn(ms, t.unit, t.stepMs));
        tick.style.left = `${LABEL_W + this.x(ms)}px`;
        return tick;
      }),
    );
    this.axis.dataset.unit = t.unit.name;
    return t;
  }

  private colours: Record<string, string> | undefined;
  /** Owner and kind colours from the stylesheet (theme variables), read once. */
  private colour(key: string): string {
    if (!this.colours) {
      const cs = getComputedStyle(this.el);
      const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
      this.colours = {
        llm: v("--owner-llm", "#3794ff"),
        tool: v("--owner-tool", "#89d185"),
        human: v("--owner-human", "#e8912d"),
        idle: v("--owner-idle", "#5a5d62"),
        compaction: v("--owner-compaction", "#4ec9b0"),
        gap: v("--owner-gap", "#8a6d3b"),
        agent: v("--agent", "#b180d7"),
        other: v("--other", "#cca700"),
        fg: v("--fg", "#ccc"),
        bg: v("--bg", "#1e1e1e"),
      };
    }
    return this.colours[key] ?? this.colours.other!;
  }

  /** What the lane shows now (window and width): scrolling rows leaves it as it is. */
  private laneDrawn = "";

  /** The critical path's segments in the view window, coloured by owner; uninstrumented time is hatched. */
  private renderLane(): void {
    const c = this.lane;
    const w = Math.max(1, Math.round(this.trackWidth));
    const drawn = `${this.v0} ${this.v1} ${w}`;
    if (drawn === this.laneDrawn) return;
    this.laneDrawn = drawn;
    if (c.width !== w) c.width = w;
    c.style.width = `${w}px`;
    const g = c.getContext("2d");
    if (!g) return;
    g.clearRect(0, 0, w, c.height);
    const t0 = this.model.t0Ns;
    // Segments follow one another along the path (sorted, not overlapping): the window's are a contiguous run.
    const from = this.firstSegmentEndingAfter(t0 + this.v0 * 1e6);
    // One pass per owner, so the fill colour is set six times rather than once per segment (10k-span traces); a run
    // of one owner's segments that meet or overlap in pixels is one rectangle (the same pixels, fewer calls).
    const hatch: [number, number][] = [];
    for (const owner of OWNER_ORDER) {
      g.fillStyle = this.colour(owner);
      let runX0 = 0;
      let runX1 = -Infinity;
      for (let i = from; i < this.segments.length; i++) {
        const seg = this.segments[i]!;
        const a = (seg.startNs - t0) / 1e6;
        if (a > this.v1) break;
        if (ownerOf(seg) !== owner) continue;
        const b = (seg.endNs - t0) / 1e6;
        if (b < this.v0) continue;
        const x0 = Math.max(0, this.x(a));
        const x1 = Math.min(w, this.x(b));
        const right = x0 + Math.max(1, x1 - x0);
        if (x0 <= runX1) runX1 = Math.max(runX1, right);
        else {
          if (runX1 > runX0) g.fillRect(runX0, 1, runX1 - runX0, c.height - 2);
          runX0 = x0;
          runX1 = right;
        }
        if (owner === "gap" && x1 - x0 > 3) hatch.push([x0, x1]);
      }
      if (runX1 > runX0) g.fillRect(runX0, 1, runX1 - runX0, c.height - 2);
    }
    // Uninstrumented stretches are hatched: nobody recorded what happened there.
    if (hatch.length) {
      g.save();
      g.beginPath();
      for (const [x0, x1] of hatch) g.rect(x0, 1, x1 - x0, c.height - 2);
      g.clip();
      g.strokeStyle = this.colour("bg");
      g.lineWidth = 1.5;
      g.beginPath();
      for (let x = -c.height; x < w; x += 5) {
        g.moveTo(x, c.height);
        g.lineTo(x + c.height, 0);
      }
      g.stroke();
      g.restore();
    }
  }

  /** The index of the first segment (by start) that ends at or after `ns` (segments.length if none). */
  private firstSegmentEndingAfter(ns: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.endNs < ns) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private segmentAt(ms: number): CriticalPathSegment | undefined {
    const ns = this.model.t0Ns + ms * 1e6;
    let best: CriticalPathSegment | undefined;
    let bestD = Infinity;
    for (const s of this.segments) {
      const d = ns < s.startNs ? s.startNs - ns : ns > s.endNs ? ns - s.endNs : 0;
      if (d < bestD) [best, bestD] = [s, d];
    }
    // Within 3 px of a stretch counts as on it (thin stretches must stay clickable).
    return bestD <= (3 / this.trackWidth) * (this.v1 - this.v0) * 1e6 ? best : undefined;
  }

  private onLaneClick(e: MouseEvent): void {
    const r = this.lane.getBoundingClientRect();
    const seg = this.segmentAt(this.v0 + ((e.clientX - r.left) / this.trackWidth) * (this.v1 - this.v0));
    if (!seg) return;
    if (seg.spanId && this.model.byId.has(seg.spanId)) this.selectSpan(seg.spanId);
    else this.showSegment(seg);
  }

  /** Details of a stretch of the path no span covers: whose time it was and how long. */
  private showSegment(seg: CriticalPathSegment): void {
    const owner = ownerOf(seg);
    const a = (seg.startNs - this.model.t0Ns) / 1e6;
    const b = (seg.endNs - this.model.t0Ns) / 1e6;
    replace(
      this.details,
      h("h2", {}, `${OWNERS[owner].label} — ${fmtMs(b - a)}`),
      h("p", { class: "muted" }, OWNERS[owner].help),
      h(
        "dl",
        { class: "kv" },
        dt("start", `+${fmtMs(a)}`),
        dt("end", `+${fmtMs(b)}`),
        seg.label ? dt("recorded as", seg.label) : null,
      ),
    );
  }

  /** The whole trace in one canvas: spans are painted once into a bitmap (after the first frame, so the rows show
   * first, and in slices of OVERVIEW_SLICE spans, one task each, so no task holds the page); each render only copies it
   * and draws the view window. */
  private overviewBitmap: HTMLCanvasElement | undefined;
  /** The width of the bitmap being painted (0: none). */
  private overviewPainting = 0;

  private paintOverviewBitmap(w: number, hgt: number, done: (bmp: HTMLCanvasElement) => void): void {
    const bmp = document.createElement("canvas");
    bmp.width = w;
    bmp.height = hgt;
    const g = bmp.getContext("2d")!;
    const rows = this.model.rows;
    const total = this.model.durationMs || 1;
    const perRow = (hgt - 4) / Math.max(1, rows.length);
    const paint = (r: Row, minH: number) =>
      g.fillRect(
        (r.start / total) * w,
        2 + r.index * perRow,
        Math.max(1, ((r.end - r.start) / total) * w),
        Math.max(minH, perRow),
      );
    // Like the rows: each span in its owner's colour; spans off the critical path faded when they are the few.
    // Grouped by colour and fade so the canvas state changes a dozen times, not once per span.
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const k =
        this.owners.get(r.span.spanId) ??
        (r.span.kind === "llm" || r.span.kind === "tool" || r.span.kind === "agent" ? r.span.kind : "other");
      const key = `${k}|${r.critical || !this.markOffPath ? 1 : 0}`;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(r);
    }
    const lists = [...groups];
    let at = 0; // the group being painted
    let next = 0; // its next row
    const slice = () => {
      if (this.overviewPainting !== w) return; // resized meanwhile: a newer paint took over
      for (let budget = OVERVIEW_SLICE; budget > 0 && at < lists.length;) {
        const [key, list] = lists[at]!;
        const [k, on] = key.split("|");
        g.fillStyle = this.colour(k!);
        g.globalAlpha = on === "1" ? 0.9 : 0.3;
        const end = Math.min(list.length, next + budget);
        for (let i = next; i < end; i++) paint(list[i]!, list[i]!.critical ? 2 : 1);
        budget -= end - next;
        next = end;
        if (next === list.length) [at, next] = [at + 1, 0];
      }
      if (at < lists.length) setTimeout(slice, 0);
      else {
        g.globalAlpha = 1;
        done(bmp);
      }
    };
    slice();
  }

  private renderOverview(): void {
    const c = this.overview;
    const w = this.overviewWidth;
    if (c.width !== w) {
      c.width = w;
      this.overviewBitmap = undefined;
    }
    const g = c.getContext("2d");
    if (!g) return;
    g.clearRect(0, 0, w, c.height);
    if (this.overviewBitmap) g.drawImage(this.overviewBitmap, 0, 0);
    else if (this.overviewPainting !== w) {
      this.overviewPainting = w;
      setTimeout(
        () =>
          this.paintOverviewBitmap(w, c.height, (bmp) => {
            this.overviewPainting = 0;
            if (bmp.width !== c.width) return; // resized meanwhile: that render asked for another
            this.overviewBitmap = bmp;
            this.renderOverview();
          }),
        0,
      );
    }
    const total = this.model.durationMs || 1;
    g.strokeStyle = this.colour("fg");
    g.strokeRect((this.v0 / total) * w + 0.5, 0.5, Math.max(2, ((this.v1 - this.v0) / total) * w - 1), c.height - 1);
  }

  private setWindow(a: number, b: number): void {
    const total = Math.max(this.model.durationMs, 0.001);
    let span = Math.min(total, Math.max(0.001, b - a));
    if (span < total / 1e6) span = total / 1e6;
    let start = Math.max(0, Math.min(a, total - span));
    if (!Number.isFinite(start)) start = 0;
    this.v0 = start;
    this.v1 = start + span;
    this.schedule();
  }

  zoom(factor: number, centerMs = (this.v0 + this.v1) / 2): void {
    const a = centerMs - (centerMs - this.v0) * factor;
    const b = centerMs + (this.v1 - centerMs) * factor;
    this.setWindow(a, b);
  }

  private pan(fraction: number): void {
    const d = (this.v1 - this.v0) * fraction;
    this.setWindow(this.v0 + d, this.v1 + d);
  }

  resetZoom(): void {
    this.setWindow(0, this.model.durationMs);
  }

  private zoomToCritical(): void {
    const rows = [...this.model.criticalIds].map((id) => this.model.byId.get(id)).filter((r): r is Row => !!r);
    if (!rows.length) return;
    const a = Math.min(...rows.map((r) => r.start));
    const b = Math.max(...rows.map((r) => r.end));
    this.setWindow(a - (b - a) * 0.02, b + (b - a) * 0.02);
    this.select(rows.reduce((m, r) => (r.index < m.index ? r : m)).index, false);
  }

  private onWheel(e: WheelEvent): void {
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const r = this.scroll.getBoundingClientRect();
      const x = e.clientX - r.left - LABEL_W;
      const center = this.v0 + (x / this.trackWidth) * (this.v1 - this.v0);
      this.zoom(e.deltaY > 0 ? 1.25 : 0.8, center);
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      this.pan(((e.deltaX || e.deltaY) / this.trackWidth) * 1);
    }
  }

  private enableDragPan(el: HTMLElement): void {
    let lastX: number | undefined;
    el.addEventListener("pointerdown", (e) => {
      lastX = e.clientX;
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener("pointermove", (e) => {
      if (lastX === undefined) return;
      const dx = e.clientX - lastX;
      lastX = e.clientX;
      this.pan(-dx / this.trackWidth);
    });
    el.addEventListener("pointerup", () => (lastX = undefined));
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.model.rows.length;
    const page = Math.max(1, Math.floor(this.scroll.clientHeight / ROW_H) - 1);
    const moves: Record<string, () => void> = {
      ArrowDown: () => this.select(Math.min(n - 1, this.selected + 1), false),
      ArrowUp: () => this.select(Math.max(0, this.selected - 1), false),
      PageDown: () => this.select(Math.min(n - 1, this.selected + page), false),
      PageUp: () => this.select(Math.max(0, this.selected - page), false),
      Home: () => this.select(0, false),
      End: () => this.select(n - 1, false),
      Enter: () => this.select(Math.max(0, this.selected), true),
      " ": () => this.select(Math.max(0, this.selected), true),
      ArrowLeft: () => this.pan(-0.2),
      ArrowRight: () => this.pan(0.2),
      "+": () => this.zoom(0.5),
      "=": () => this.zoom(0.5),
      "-": () => this.zoom(2),
      "0": () => this.resetZoom(),
      o: () => this.openFirstFile(),
    };
    const f = moves[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  }

  select(index: number, showDetails: boolean): void {
    if (index < 0 || index >= this.model.rows.length) return;
    this.selected = index;
    const row = this.model.rows[index]!;
    this.scroll.setAttribute("aria-activedescendant", `row-${index}`);
    const top = index * ROW_H;
    if (top < this.scroll.scrollTop) this.scroll.scrollTop = top;
    else if (top + ROW_H > this.scroll.scrollTop + this.scroll.clientHeight)
      this.scroll.scrollTop = top + ROW_H - this.scroll.clientHeight;
    // Bring an off-screen bar into the time window.
    if (row.end < this.v0 || row.start > this.v1) {
      const span = this.v1 - this.v0;
      this.setWindow(row.start - span * 0.1, row.start + span * 0.9);
    }
    this.render();
    this.showDetails(row);
    if (showDetails) this.host.post({ type: "spanSelected", spanId: row.span.spanId, name: row.span.name });
  }

  /** Selects a span by id (from the host, or a parallel group link). */
  selectSpan(spanId: string): void {
    const r = this.model.byId.get(spanId);
    if (r) this.select(r.index, true);
  }

  get selectedSpanId(): string | undefined {
    return this.model.rows[this.selected]?.span.spanId;
  }

  private openFirstFile(): void {
    const r = this.model.rows[this.selected];
    const f = r && filesOf(r.span)[0];
    if (f) this.host.post({ type: "openFile", path: f.path, line: f.line });
  }

  private showDetails(r: Row): void {
    const s = r.span;
    const files = filesOf(s);
    const group = r.group >= 0 ? this.analysis?.parallelGroups[r.group] : undefined;
    const attrs = Object.entries(s.attributes).sort(([a], [b]) => a.localeCompare(b));
    replace(
      this.details,
      h("h2", {}, s.name),
      h(
        "dl",
        { class: "kv" },
        dt("kind", s.kind),
        dt("status", s.status + (s.statusMessage ? `: ${s.statusMessage}` : "")),
        dt("start", `+${fmtMs(r.start)}`),
        dt("duration", fmtMs(r.end - r.start)),
        dt("critical path", r.critical ? "yes" : "no"),
        this.owners.has(s.spanId) ? dt("time owner", OWNERS[this.owners.get(s.spanId)!].label) : null,
        hotspotOf(this.analysis, s.spanId) ? dt("hotspot", hotspotOf(this.analysis, s.spanId)!.why) : null,
        group
          ? dt(
              "parallelizable",
              `group ${r.group + 1} (${confidenceLabel(group.confidence)}): could save ${fmtMs(group.recordedMs - group.projectedMs)}`,
            )
          : null,
        dt("span id", s.spanId),
        s.parentSpanId ? dt("parent", s.parentSpanId) : null,
        s.requestId ? dt("request", s.requestId) : null,
      ),
      files.length
        ? h(
            "div",
            { class: "files" },
            ...files.map((f) =>
              h(
                "button",
                {
                  type: "button",
                  class: "link",
                  title: `Open ${f.path}`,
                  "data-file": f.path,
                  onclick: () => this.host.post({ type: "openFile", path: f.path, line: f.line }),
                },
                `Open ${f.path}${f.line ? `:${f.line}` : ""}`,
              ),
            ),
          )
        : null,
      attrs.length
        ? h(
            "table",
            { class: "attrs" },
            h("caption", {}, "Attributes"),
            ...attrs.map(([k, v]) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, k),
                h("td", {}, h("pre", {}, truncate(typeof v === "string" ? v : JSON.stringify(v)))),
              ),
            ),
          )
        : null,
    );
  }

  /** Groups by projected saving, biggest first; long lists render in pages so a 10k-span trace stays light. */
  private groupsList(): HTMLElement {
    const groups = this.analysis?.parallelGroups ?? [];
    const order = groups
      .map((g, i) => ({ g, i }))
      .sort((a, b) => b.g.recordedMs - b.g.projectedMs - (a.g.recordedMs - a.g.projectedMs));
    const list = h("ol", { class: "groups" });
    const PAGE = 50;
    let shown = 0;
    const more = h("button", { type: "button", class: "link", onclick: () => addPage() });
    const addPage = () => {
      for (const { g, i } of order.slice(shown, shown + PAGE)) {
        const names = g.spanIds.map((id) => this.model.byId.get(id)?.span.name ?? id);
        const save = g.recordedMs - g.projectedMs;
        list.append(
          h(
            "li",
            { class: "group", "data-group": i },
            h(
              "button",
              { type: "button", class: "group-btn", onclick: () => this.showGroup(i) },
              h("strong", {}, `Group ${i + 1}: ${g.spanIds.length} calls`),
              ` save ${fmtMs(save)} `,
              h("span", { class: "muted" }, `(${fmtMs(g.recordedMs)} → ${fmtMs(g.projectedMs)})`),
              " ",
              h(
                "span",
                { class: `badge conf-${g.confidence ?? "unknown"}`, title: confidenceHelp(g.confidence) },
                confidenceLabel(g.confidence),
              ),
            ),
            h("div", { class: "group-names" }, names.join(" · ")),
            h("div", { class: "muted" }, g.reason),
          ),
        );
      }
      shown = Math.min(order.length, shown + PAGE);
      more.textContent = `Show more (${order.length - shown} left)`;
      more.hidden = shown >= order.length;
    };
    addPage();
    return h(
      "section",
      { class: "groups-section", "aria-label": "Parallelizable tool calls", "data-group-count": groups.length },
      h("h2", {}, `Parallelizable tool calls (${groups.length})`),
      groups.length
        ? list
        : h(
            "p",
            { class: "empty" },
            this.analysis ? "No sequential tool calls that could have run together." : "No analysis.",
          ),
      more,
    );
  }

  private showGroup(i: number): void {
    const g = this.analysis?.parallelGroups[i];
    this.highlightSpans(g?.spanIds ?? [], g?.spanIds[0]);
  }

  /** Jumps to a hotspot: its longest span selected, every span folded into it highlighted. */
  showHotspot(spot: Hotspot): void {
    this.highlightSpans(spot.spanIds.length ? spot.spanIds : [spot.spanId], spot.spanId);
    for (const li of this.hotspots?.querySelectorAll<HTMLElement>(".hot") ?? [])
      li.classList.toggle("picked", li.dataset.spanId === spot.spanId);
  }

  /** Highlights spans, zooms to them and selects `first` (or the earliest row). */
  private highlightSpans(ids: string[], first?: string): void {
    this.highlighted = new Set(ids);
    const rows = ids.map((id) => this.model.byId.get(id)).filter((r): r is Row => !!r);
    if (!rows.length) return;
    const a = Math.min(...rows.map((r) => r.start));
    const b = Math.max(...rows.map((r) => r.end));
    this.setWindow(a - (b - a) * 0.1, b + (b - a) * 0.1);
    const target = (first && this.model.byId.get(first)) || rows.reduce((m, r) => (r.index < m.index ? r : m));
    // A jump lands the row mid-view, with its neighbours in sight, not at the bottom edge.
    this.scroll.scrollTop = Math.max(0, target.index * ROW_H - this.scroll.clientHeight / 2);
    this.select(target.index, true);
  }
}

function hotspotOf(analysis: TraceAnalysis | null, spanId: string): Hotspot | undefined {
  return analysis?.hotspots?.find((s) => s.spanId === spanId || s.spanIds.includes(spanId));
}

function hint(s: Row["span"]): HTMLElement | null {
  const text = toolHint(s);
  return text ? h("span", { class: "hint" }, ` ${text}`) : null;
}

function fact(label: string, value: string, cls = "", title?: string): HTMLElement {
  return h("span", { class: `fact ${cls}`, title }, h("span", { class: "muted" }, label), " ", h("strong", {}, value));
}
function dt(k: string, v: string): HTMLElement[] {
  return [h("dt", {}, k), h("dd", {}, v)];
}
function truncate(s: string, n = 4000): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}
