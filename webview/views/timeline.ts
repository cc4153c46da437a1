// The trace timeline (waterfall): virtualized rows (only the visible ones are in the DOM, so 10k spans stay smooth),
// a canvas overview of the whole trace, the critical path highlighted, zoom/pan by wheel, drag and keyboard,
// span details on click/Enter with links to the files a span names, and the parallelizable groups listed.
import type { TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { fmtMs, h, replace } from "../dom.js";
import { buildModel, filesOf, toolHint, type Row, type TraceModel } from "../model.js";
import type { Host } from "../main.js";

const ROW_H = 22;
const OVERSCAN = 8;
const LABEL_W = 300;

export class Timeline {
  readonly el: HTMLElement;
  private model: TraceModel;
  private v0 = 0;
  private v1 = 1;
  private selected = -1;
  private highlightGroup = -1;
  private readonly scroll: HTMLElement;
  private readonly canvasWrap: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly overview: HTMLCanvasElement;
  private readonly details: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private trackWidth = 600;
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

    this.zoomLabel = h("span", { class: "muted", "aria-live": "polite" });
    const toolbar = h(
      "div",
      { class: "toolbar", role: "toolbar", "aria-label": "Timeline zoom" },
      h("button", { type: "button", title: "Zoom in (+)", "aria-label": "Zoom in", onclick: () => this.zoom(0.5) }, "+"),
      h("button", { type: "button", title: "Zoom out (−)", "aria-label": "Zoom out", onclick: () => this.zoom(2) }, "−"),
      h("button", { type: "button", title: "Show the whole trace (0)", onclick: () => this.resetZoom() }, "Fit"),
      h("button", { type: "button", title: "Zoom to the critical path", disabled: !cp?.spanIds.length, onclick: () => this.zoomToCritical() }, "Critical path"),
      this.zoomLabel,
      h("span", { class: "legend" },
        h("span", { class: "swatch critical" }), "critical path ",
        h("span", { class: "swatch k-llm" }), "llm ",
        h("span", { class: "swatch k-tool" }), "tool ",
        h("span", { class: "swatch k-agent" }), "agent ",
        h("span", { class: "swatch in-group" }), "parallelizable"),
    );

    const summary = h(
      "div",
      { class: "summary" },
      h("h1", {}, detail.trace.name || detail.trace.traceId),
      h("div", { class: "facts" },
        fact("spans", String(detail.spans.length)),
        fact("duration", fmtMs(this.model.durationMs)),
        fact("source", detail.trace.source),
        cp ? fact("critical path", `${fmtMs(cp.durationMs)} (${share}%) · ${cp.spanIds.length} spans`, "critical-summary") : null,
        analysis ? fact("projected saving", fmtMs(analysis.projectedSavingMs)) : null,
      ),
      cp && Object.keys(cp.byKind).length
        ? h("div", { class: "bykind", "aria-label": "Critical path by kind" },
            ...Object.entries(cp.byKind).sort((a, b) => b[1] - a[1]).map(([k, ms]) => h("span", { class: `chip k-${k}` }, `${k} ${fmtMs(ms)}`)))
        : null,
      analysisError ? h("p", { class: "warn" }, `Analysis unavailable: ${analysisError}`) : null,
    );

    this.overview = h("canvas", { class: "overview", height: 40, "aria-hidden": "true", title: "Whole trace; click to center the view" });
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
    this.scroll = h("div", {
      class: "tl-scroll",
      tabindex: 0,
      role: "grid",
      "aria-label": `Spans of trace ${detail.trace.name || detail.trace.traceId}; arrows move, Enter shows details, + and − zoom, Left and Right pan`,
      "aria-rowcount": this.model.rows.length,
      "aria-multiselectable": "false",
    }, this.canvasWrap);
    this.scroll.addEventListener("scroll", () => this.schedule());
    this.scroll.addEventListener("keydown", (e) => this.onKey(e));
    this.scroll.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.scroll.addEventListener("click", (e) => {
      const rowEl = (e.target as HTMLElement).closest<HTMLElement>(".tl-row");
      if (rowEl) this.select(Number(rowEl.dataset.index), true);
    });
    this.enableDragPan(this.axis);

    this.details = h("aside", { class: "details", "aria-label": "Span details", "aria-live": "polite" }, h("p", { class: "empty" }, "Click a span (or press Enter) to see its details."));

    const groups = this.groupsList();
    const side = h("div", { class: "side" }, this.details, groups);
    const main = h("div", { class: "tl-main" }, h("div", { class: "tl-head" }, h("div", { class: "tl-label-head" }, "span"), this.axis), this.scroll);
    this.el = h("section", { class: "timeline", "data-trace-id": detail.trace.traceId }, summary, toolbar, this.overview, h("div", { class: "tl-body" }, main, side));
  }

  /** Called once the element is in the document. */
  mount(): void {
    this.measure();
    this.render();
    new ResizeObserver(() => this.measure()).observe(this.scroll);
  }

  private measure(): void {
    const w = this.scroll.clientWidth - LABEL_W - 16;
    this.trackWidth = Math.max(100, w);
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
    this.renderAxis();
    this.renderOverview();
    const span = this.v1 - this.v0;
    this.zoomLabel.textContent = `showing ${fmtMs(this.v0)} – ${fmtMs(this.v1)} (${Math.round((this.model.durationMs / span) * 100)}%)`;
  }

  private rowEl(r: Row): HTMLElement {
    const s = r.span;
    const dur = r.end - r.start;
    const left = this.x(r.start);
    const width = Math.max(2, this.x(r.end) - left);
    const cls = ["tl-row", `k-${s.kind}`];
    if (r.critical) cls.push("critical");
    if (r.group >= 0) cls.push("in-group");
    if (r.group >= 0 && r.group === this.highlightGroup) cls.push("group-highlight");
    if (r.index === this.selected) cls.push("selected");
    if (s.status === "error") cls.push("error");
    const bar = h("div", { class: "bar", title: `${s.name}: ${fmtMs(dur)}` });
    // Clamp so far-off bars stay cheap for the browser at deep zoom.
    bar.style.left = `${Math.max(-10, Math.min(this.trackWidth + 10, left))}px`;
    bar.style.width = `${Math.max(2, Math.min(width, this.trackWidth + 20 - Math.max(-10, left)))}px`;
    const label = h("div", { class: "label", title: s.name },
      r.critical ? h("span", { class: "cp-mark", title: "on the critical path", "aria-label": "critical path" }, "◆") : null,
      h("span", { class: "kind" }, s.kind),
      h("span", { class: "name" }, s.name),
      s.kind === "tool" ? hint(s) : null);
    label.style.paddingLeft = `${4 + Math.min(r.depth, 20) * 12}px`;
    const el = h("div", {
      class: cls.join(" "),
      role: "row",
      id: `row-${r.index}`,
      "aria-rowindex": r.index + 1,
      "aria-selected": r.index === this.selected ? "true" : "false",
      "data-span-id": s.spanId,
      "data-index": r.index,
      "data-critical": r.critical ? "true" : undefined,
    }, label, h("div", { class: "track" }, bar, h("span", { class: "dur" }, fmtMs(dur))));
    el.style.top = `${r.index * ROW_H}px`;
    const durEl = el.lastElementChild!.lastElementChild as HTMLElement;
    // After the bar, or before it when the bar reaches the right edge.
    const after = left + width + 4;
    durEl.style.left = `${after <= this.trackWidth - 60 ? after : Math.max(0, left - 64)}px`;
    return el;
  }

  private renderAxis(): void {
    const span = this.v1 - this.v0;
    const target = span / 8;
    const pow = Math.pow(10, Math.floor(Math.log10(target)));
    const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= target) ?? pow * 10;
    const ticks: HTMLElement[] = [];
    for (let t = Math.ceil(this.v0 / step) * step; t <= this.v1; t += step) {
      const tick = h("span", { class: "tick" }, fmtMs(t));
      tick.style.left = `${LABEL_W + this.x(t)}px`;
      ticks.push(tick);
    }
    this.axis.replaceChildren(...ticks);
  }

  /** The whole trace in one canvas: spans are painted once into a bitmap (after the first frame, so the rows show
   * first); each render only copies it and draws the view window. */
  private overviewBitmap: HTMLCanvasElement | undefined;
  private overviewPending = false;

  private paintOverviewBitmap(w: number, hgt: number): HTMLCanvasElement {
    const bmp = document.createElement("canvas");
    bmp.width = w;
    bmp.height = hgt;
    const g = bmp.getContext("2d")!;
    const style = getComputedStyle(this.el);
    const rows = this.model.rows;
    const total = this.model.durationMs || 1;
    const perRow = (hgt - 4) / Math.max(1, rows.length);
    const paint = (r: Row, minH: number) =>
      g.fillRect((r.start / total) * w, 2 + r.index * perRow, Math.max(1, ((r.end - r.start) / total) * w), Math.max(minH, perRow));
    g.fillStyle = style.getPropertyValue("--bar").trim() || "#3794ff";
    for (const r of rows) if (!r.critical) paint(r, 1);
    g.fillStyle = style.getPropertyValue("--critical").trim() || "#f14c4c";
    for (const id of this.model.criticalIds) {
      const r = this.model.byId.get(id);
      if (r) paint(r, 2);
    }
    return bmp;
  }

  private renderOverview(): void {
    const c = this.overview;
    const w = c.clientWidth || 800;
    if (c.width !== w) {
      c.width = w;
      this.overviewBitmap = undefined;
    }
    const g = c.getContext("2d");
    if (!g) return;
    g.clearRect(0, 0, w, c.height);
    if (this.overviewBitmap) g.drawImage(this.overviewBitmap, 0, 0);
    else if (!this.overviewPending) {
      this.overviewPending = true;
      setTimeout(() => {
        this.overviewBitmap = this.paintOverviewBitmap(w, c.height);
        this.overviewPending = false;
        this.renderOverview();
      }, 0);
    }
    const total = this.model.durationMs || 1;
    g.strokeStyle = getComputedStyle(this.el).getPropertyValue("--fg").trim() || "#ccc";
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
    else if (top + ROW_H > this.scroll.scrollTop + this.scroll.clientHeight) this.scroll.scrollTop = top + ROW_H - this.scroll.clientHeight;
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
    replace(this.details,
      h("h2", {}, s.name),
      h("dl", { class: "kv" },
        dt("kind", s.kind),
        dt("status", s.status + (s.statusMessage ? `: ${s.statusMessage}` : "")),
        dt("start", `+${fmtMs(r.start)}`),
        dt("duration", fmtMs(r.end - r.start)),
        dt("critical path", r.critical ? "yes" : "no"),
        group ? dt("parallelizable", `group ${r.group + 1}: could save ${fmtMs(group.recordedMs - group.projectedMs)}`) : null,
        dt("span id", s.spanId),
        s.parentSpanId ? dt("parent", s.parentSpanId) : null,
        s.requestId ? dt("request", s.requestId) : null),
      files.length
        ? h("div", { class: "files" }, ...files.map((f) =>
            h("button", { type: "button", class: "link", title: `Open ${f.path}`, "data-file": f.path, onclick: () => this.host.post({ type: "openFile", path: f.path, line: f.line }) }, `Open ${f.path}${f.line ? `:${f.line}` : ""}`)))
        : null,
      attrs.length
        ? h("table", { class: "attrs" }, h("caption", {}, "Attributes"), ...attrs.map(([k, v]) =>
            h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, h("pre", {}, truncate(typeof v === "string" ? v : JSON.stringify(v)))))))
        : null,
    );
  }

  /** Groups by projected saving, biggest first; long lists render in pages so a 10k-span trace stays light. */
  private groupsList(): HTMLElement {
    const groups = this.analysis?.parallelGroups ?? [];
    const order = groups.map((g, i) => ({ g, i })).sort((a, b) => b.g.recordedMs - b.g.projectedMs - (a.g.recordedMs - a.g.projectedMs));
    const list = h("ol", { class: "groups" });
    const PAGE = 50;
    let shown = 0;
    const more = h("button", { type: "button", class: "link", onclick: () => addPage() });
    const addPage = () => {
      for (const { g, i } of order.slice(shown, shown + PAGE)) {
        const names = g.spanIds.map((id) => this.model.byId.get(id)?.span.name ?? id);
        const save = g.recordedMs - g.projectedMs;
        list.append(h("li", { class: "group", "data-group": i },
          h("button", { type: "button", class: "group-btn", onclick: () => this.showGroup(i) },
            h("strong", {}, `Group ${i + 1}: ${g.spanIds.length} calls`), ` save ${fmtMs(save)} `,
            h("span", { class: "muted" }, `(${fmtMs(g.recordedMs)} → ${fmtMs(g.projectedMs)})`)),
          h("div", { class: "group-names" }, names.join(" · ")),
          h("div", { class: "muted" }, g.reason)));
      }
      shown = Math.min(order.length, shown + PAGE);
      more.textContent = `Show more (${order.length - shown} left)`;
      more.hidden = shown >= order.length;
    };
    addPage();
    return h("section", { class: "groups-section", "aria-label": "Parallelizable tool calls", "data-group-count": groups.length },
      h("h2", {}, `Parallelizable tool calls (${groups.length})`),
      groups.length ? list : h("p", { class: "empty" }, this.analysis ? "No sequential tool calls that could have run together." : "No analysis."),
      more);
  }

  private showGroup(i: number): void {
    this.highlightGroup = i;
    const g = this.analysis?.parallelGroups[i];
    const rows = (g?.spanIds ?? []).map((id) => this.model.byId.get(id)).filter((r): r is Row => !!r);
    if (!rows.length) return;
    const a = Math.min(...rows.map((r) => r.start));
    const b = Math.max(...rows.map((r) => r.end));
    this.setWindow(a - (b - a) * 0.1, b + (b - a) * 0.1);
    this.select(Math.min(...rows.map((r) => r.index)), true);
  }
}

function hint(s: Row["span"]): HTMLElement | null {
  const text = toolHint(s);
  return text ? h("span", { class: "hint" }, ` ${text}`) : null;
}

function fact(label: string, value: string, cls = ""): HTMLElement {
  return h("span", { class: `fact ${cls}` }, h("span", { class: "muted" }, label), " ", h("strong", {}, value));
}
function dt(k: string, v: string): HTMLElement[] {
  return [h("dt", {}, k), h("dd", {}, v)];
}
function truncate(s: string, n = 4000): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}
