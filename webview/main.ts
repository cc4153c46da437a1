// The webview's entry: renders the view named by <body data-view>, talks to the extension only through
// postMessage. Outside VS Code (browser tests), messages to the host are kept in window.__hotpathOutbox.
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type { TraceAnalysis, TraceDetail } from "../daemon/api.js";
import { capSpanAttributes, VIEW_ATTRIBUTE_CAPS } from "../daemon/traces/view-caps.js";
import type { HostMessage, RenderSummary, ViewName, WebviewMessage } from "./protocol.js";
import { empty, h } from "./dom.js";
import { renderAudit } from "./views/audit.js";
import { renderCacheBreakers } from "./views/cacheBreakers.js";
import { Dashboard } from "./views/dashboard.js";
import { renderHeatmap } from "./views/heatmap.js";
import { renderParallelism } from "./views/parallelism.js";
import { Timeline } from "./views/timeline.js";

export interface Host {
  post(m: WebviewMessage): void;
}

declare function acquireVsCodeApi(): { postMessage(m: unknown): void };
declare global {
  interface Window {
    __hotpathOutbox?: WebviewMessage[];
    __hotpathLastRenderMs?: number;
  }
}

const host: Host = (() => {
  if (typeof acquireVsCodeApi === "function") {
    const api = acquireVsCodeApi();
    return { post: (m) => api.postMessage(m) };
  }
  const outbox: WebviewMessage[] = (window.__hotpathOutbox = []);
  return { post: (m) => outbox.push(m) };
})();

const view = (document.body.dataset.view ?? "profiler") as ViewName;
const app = document.getElementById("app")!;
let timeline: Timeline | undefined;
let dashboard: Dashboard | undefined;

function summary(): RenderSummary {
  const rows = [...app.querySelectorAll<HTMLElement>(".tl-row[data-span-id]")];
  return {
    view,
    traceId: app.querySelector<HTMLElement>("[data-trace-id]")?.dataset.traceId,
    spanRowsInDom: rows.length,
    spanIdsInDom: rows.map((r) => r.dataset.spanId!),
    criticalInDom: rows.filter((r) => r.classList.contains("critical")).length,
    parallelGroupsListed: Number(
      app.querySelector<HTMLElement>("[data-group-count]")?.dataset.groupCount ??
        app.querySelectorAll(".pgroup").length,
    ),
    selectedSpanId: timeline?.selectedSpanId,
    text: (app.textContent ?? "").replace(/\s+/g, " ").slice(0, 20_000),
  };
}

function show(el: HTMLElement): void {
  app.replaceChildren(el);
  app.setAttribute("aria-busy", "false");
}

function onMessage(m: HostMessage): void {
  switch (m.type) {
    case "trace": {
      traceMessages++; // a traceJson still being parsed is older than this one
      const t0 = performance.now();
      timeline = undefined;
      if (view === "profiler") {
        timeline = new Timeline(m.detail, m.analysis, host, m.analysisError);
        show(timeline.el);
        timeline.mount();
      } else if (view === "heatmap") show(renderHeatmap(m.detail, m.analysis));
      else if (view === "parallelism") show(renderParallelism(m.detail, m.analysis));
      else if (view === "cacheBreakers") show(renderCacheBreakers(m.detail, m.analysis));
      window.__hotpathLastRenderMs = performance.now() - t0;
      host.post({ type: "rendered", view, summary: summary() });
      break;
    }
    case "traceJson": {
      // Parsed (and decompressed) off this call: a newer trace message that comes meanwhile wins.
      // A render that throws says so in the view, as one called from the message listener does.
      const seq = ++traceMessages;
      traceOf(m).then(
        (t) => {
          if (seq !== traceMessages) return;
          try {
            onMessage(t);
          } catch (err) {
            couldNotRender(err as Error);
          }
        },
        (err: Error) => {
          if (seq === traceMessages) couldNotRender(err);
        },
      );
      break;
    }
    case "audit":
      show(renderAudit(m.report));
      host.post({ type: "rendered", view, summary: summary() });
      break;
    case "stats":
      ensureDashboard().setStats(m.serving, m.cache, m.errors);
      break;
    case "event":
      ensureDashboard().onEvent(m.event);
      break;
    case "connection":
      if (view === "dashboard") ensureDashboard().setConnection(m.state);
      break;
    case "selectSpan":
      timeline?.selectSpan(m.spanId);
      break;
    case "query":
      host.post({ type: "queryResult", id: m.id, summary: summary() });
      break;
    case "traces":
      break;
  }
}

/** Trace messages so far ("trace" and "traceJson"): a traceJson renders only if none came after it. */
let traceMessages = 0;

/**
 * A "traceJson" message as the "trace" it stands for: each JSON decompressed when it is (the browser's own gzip
 * stream), parsed once; long attributes cut if the daemon did not.
 */
async function traceOf(
  m: Extract<HostMessage, { type: "traceJson" }>,
): Promise<Extract<HostMessage, { type: "trace" }>> {
  const text = (bytes: Uint8Array): Promise<string> | string =>
    m.encoding === "gzip"
      ? new Response(
          new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")),
        ).text()
      : new TextDecoder().decode(bytes);
  const [detailText, analysisText] = await Promise.all([text(m.detail), m.analysis && text(m.analysis)]);
  const detail = JSON.parse(detailText) as TraceDetail;
  // An older daemon ignores the caps the host asked for: cut here what the views would not show anyway.
  if (!detail.attributeCaps) capSpanAttributes(detail.spans, VIEW_ATTRIBUTE_CAPS);
  const analysis = analysisText ? (JSON.parse(analysisText) as TraceAnalysis) : null;
  return { type: "trace", detail, analysis, analysisError: m.analysisError };
}

function couldNotRender(err: Error): void {
  show(h("div", { class: "warn" }, `Could not render: ${err.message}`));
}

function ensureDashboard(): Dashboard {
  if (!dashboard) {
    dashboard = new Dashboard();
    show(dashboard.el);
  }
  return dashboard;
}

window.addEventListener("message", (e: MessageEvent<HostMessage>) => {
  if (!e.data || typeof e.data !== "object" || typeof (e.data as { type?: unknown }).type !== "string") return;
  try {
    onMessage(e.data);
  } catch (err) {
    couldNotRender(err as Error);
  }
});

if (view === "dashboard") ensureDashboard();
else
  app.replaceChildren(
    empty(view === "audit" ? "Run “Hotpath: Audit Prompt” on a prompt file." : "Waiting for a trace…"),
  );
host.post({ type: "ready", view });
