// Benchmark: initial render of the trace timeline in headless Chromium, for 1k / 10k / 20k spans (target for 10k:
// ≤ 300 ms). Two numbers per run: "render" = from the webview receiving the trace message to the rows being in the
// DOM with layout done (what the webview's code costs); "end to end" = from postMessage to the rows laid out
// (adds the browser's structured clone of the message), for the message's objects and, on a page of its own, for the
// daemon's JSON bytes the extension sends (parsed in the webview). Median of 7 runs each,
// a fresh page per run. Then, on the rendered page, whether it stays interactive: scrolling to 10 places (until the
// rows of the new place are laid out, which includes waiting for the next frame), zooming with "+" (until the next
// frame is laid out), PageDown key presses and clicks on a row (handler + layout, synchronous), and the long tasks
// (> 50 ms, Long Tasks API) meanwhile.
// Results are written under "## webview" in docs/benchmarks.md.
//   npm run bench -- webview [--runs 7] [--sizes 1000,10000,50000]
import { parseArgs } from "node:util";
import { webviewBytes } from "../../extension/panels/webview-bytes.js";
import { agentTrace } from "../fixtures/agent-trace.js";
import { browserSkipReason, buildWebview, launch, openView } from "../browser/page.js";
import { machineDescription, median, writeSection } from "./_report.js";

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { runs: { type: "string", default: "7" }, sizes: { type: "string", default: "1000,10000,20000" } },
  });
  const reason = browserSkipReason();
  if (reason) throw new Error(`cannot benchmark the webview: ${reason}`);
  buildWebview();
  const runs = Number(values.runs);
  const sizes = values.sizes!.split(",").map(Number);
  const browser = await launch();
  const version = browser.version();
  interface Interaction {
    scroll: number[];
    key: number[];
    zoom: number[];
    click: number[];
    longTasks: number[];
  }
  const rows: {
    size: number;
    render: number;
    paint: number;
    bytesPaint: number;
    gzipPaint: number;
    renderAll: number[];
    domRows: number;
    act: Interaction;
  }[] = [];
  try {
    for (const size of sizes) {
      const fixture = agentTrace(size, 11);
      // The bytes of each form, made once per size: as they are, and as a remote extension host sends them.
      const detail = new TextEncoder().encode(JSON.stringify(fixture.detail));
      const analysis = new TextEncoder().encode(JSON.stringify(fixture.analysis));
      const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
      const sent: Record<"bytes" | "gzip", { detail: string; analysis: string }> = {
        bytes: { detail: base64(detail), analysis: base64(analysis) },
        gzip: await webviewBytes(detail, analysis, true).then((w) => ({
          detail: base64(w.detail),
          analysis: base64(w.analysis!),
        })),
      };
      const render: number[] = [];
      const paint: number[] = [];
      const bytesPaint: number[] = [];
      const gzipPaint: number[] = [];
      let domRows = 0;
      const act: Interaction = { scroll: [], key: [], zoom: [], click: [], longTasks: [] };
      for (let i = 0; i < runs + 1; i++) {
        const v = await openView(browser, "profiler");
        // Hand the fixture over first (playwright's transfer is not what we measure).
        await v.page.evaluate(
          (m) => ((window as unknown as { __fixture: unknown }).__fixture = m),
          fixture as unknown as Record<string, unknown>,
        );
        const [toPaint, renderMs, n] = (await v.page.evaluate(firstRender("objects"))) as [number, number, number];
        const a = (await v.page.evaluate(INTERACT)) as Interaction;
        await v.page.close();
        // The same trace as the daemon's JSON bytes (what the extension sends: webview/protocol.ts "traceJson"), as
        // they are and gzip-compressed (a remote extension host), each on a fresh page of its own; the bytes put in
        // the page before the clock starts.
        const byForm: Record<"bytes" | "gzip", number> = { bytes: 0, gzip: 0 };
        for (const form of ["bytes", "gzip"] as const) {
          const b = await openView(browser, "profiler");
          await b.page.evaluate((m) => {
            const [detail, analysis] = [m.detail, m.analysis].map((b64) =>
              Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
            );
            (window as unknown as { __fixture: unknown }).__fixture = { detail, analysis };
          }, sent[form]);
          byForm[form] = ((await b.page.evaluate(firstRender(form))) as [number, number, number])[0];
          await b.page.close();
        }
        if (i === 0) continue; // warm-up
        for (const k of Object.keys(act) as (keyof Interaction)[]) act[k].push(...a[k]);
        render.push(renderMs);
        paint.push(toPaint);
        bytesPaint.push(byForm.bytes);
        gzipPaint.push(byForm.gzip);
        domRows = n;
      }
      rows.push({
        size,
        render: median(render),
        paint: median(paint),
        bytesPaint: median(bytesPaint),
        gzipPaint: median(gzipPaint),
        renderAll: render,
        domRows,
        act,
      });
      console.log(
        `${size} spans: render median ${median(render).toFixed(1)} ms, end to end ${median(paint).toFixed(1)} ms (as JSON bytes ${median(bytesPaint).toFixed(1)} ms, gzip ${median(gzipPaint).toFixed(1)} ms), ${domRows} rows in the DOM; ${interaction(act)}`,
      );
    }
  } finally {
    await browser.close();
  }
  const ten = rows.find((r) => r.size === 10_000);
  const section = [
    `Initial render of the trace timeline (profiler view) in headless Chromium ${version}; hand-built agent traces (test/fixtures/agent-trace.ts);`,
    `median of ${runs} runs after one warm-up, a fresh page each. Machine: ${machineDescription()}.`,
    "",
    "| spans | render (ms) | postMessage → rows laid out (ms) | … as the daemon's JSON bytes (ms) | bytes ÷ objects | … gzip-compressed (ms) | rows in DOM |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.size.toLocaleString("en-US")} | ${r.render.toFixed(1)} | ${r.paint.toFixed(1)} | ${r.bytesPaint.toFixed(1)} | ${(r.bytesPaint / r.paint).toFixed(2)} | ${r.gzipPaint.toFixed(1)} | ${r.domRows} |`,
    ),
    "",
    "Interaction on the rendered view (all runs together; median / max ms):",
    "",
    "| spans | scroll → rows laid out (incl. next frame) | PageDown key | zoom (+) → next frame laid out | click a row | long tasks (> 50 ms) meanwhile |",
    "|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.size.toLocaleString("en-US")} | ${mm(r.act.scroll)} | ${mm(r.act.key)} | ${mm(r.act.zoom)} | ${mm(r.act.click)} | ${r.act.longTasks.length}${r.act.longTasks.length ? ` (longest ${Math.max(...r.act.longTasks).toFixed(0)} ms)` : ""} |`,
    ),
    "",
    ten
      ? `Target: 10k spans ≤ 300 ms render — ${ten.render <= 300 ? "met" : "NOT met"} (${ten.render.toFixed(1)} ms, ${(ten.render / 300).toFixed(2)}× the budget).`
      : "",
    '"render" is the webview\'s own work (tree order, model, visible rows, layout); "postMessage → rows laid out" adds the',
    "browser's structured clone of the message (its objects: the form the browser tests send); \"as the daemon's JSON bytes\" is",
    "the same trace as the extension sends it (`traceJson`: the UTF-8 JSON of the detail and the analysis, parsed in the",
    "webview), and those bytes gzip-compressed (what a remote extension host sends: extension/panels/webview-bytes.ts),",
    "each on a fresh page of its own in the same run. In VS Code a message's objects are also serialised by the",
    "extension host and parsed by the workbench before that clone (docs/traces.md); its byte arrays are passed as they are.",
    "Rows are virtualized: the DOM holds only the visible rows whatever the trace's size.",
  ].join("\n");
  writeSection("webview", section);
  console.log("wrote docs/benchmarks.md ## webview");
}

/**
 * In the page: posts the fixture (`objects`: the "trace" message; `bytes`, `gzip`: "traceJson") and resolves with [ms from
 * postMessage to the rows laid out, the webview's own render ms, rows in the DOM]. A string, not a function: tsx
 * would wrap named closures in a helper the page does not have.
 */
function firstRender(form: "objects" | "bytes" | "gzip"): string {
  return `new Promise((resolve) => {
    const m = window.__fixture;
    const t0 = performance.now();
    const done = () => {
      if ((window.__hotpathOutbox || []).some((x) => x.type === "rendered")) {
        void document.body.offsetHeight; // layout done
        resolve([performance.now() - t0, window.__hotpathLastRenderMs, document.querySelectorAll(".tl-row").length]);
      } else setTimeout(done, 0);
    };
    window.postMessage({ type: ${JSON.stringify(form === "objects" ? "trace" : "traceJson")}, detail: m.detail, analysis: m.analysis${form === "gzip" ? ', encoding: "gzip"' : ""} }, "*");
    setTimeout(done, 0);
  })`;
}

const mm = (xs: number[]) => (xs.length ? `${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}` : "n/a");

function interaction(a: { scroll: number[]; key: number[]; zoom: number[]; click: number[]; longTasks: number[] }) {
  return `scroll ${mm(a.scroll)}, PageDown ${mm(a.key)}, zoom ${mm(a.zoom)}, click ${mm(a.click)} ms (median / max), ${a.longTasks.length} long tasks`;
}

/** Runs in the page after the first render: the interactions the header describes, in ms. */
const INTERACT = `(async () => {
  const longTasks = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
  obs.observe({ type: "longtask" });
  const sc = document.querySelector(".tl-scroll");
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const firstIndex = () => Number(document.querySelector(".tl-row")?.dataset.index ?? -1);
  const out = { scroll: [], key: [], zoom: [], click: [], longTasks };
  await frame();
  for (let k = 1; k <= 10; k++) {
    const target = ((k % 2 ? k : 11 - k) / 11) * sc.scrollHeight;
    const t0 = performance.now();
    sc.scrollTop = target;
    const want = Math.floor(sc.scrollTop / 22); // the timeline's row height (webview/views/timeline.ts ROW_H)
    while (Math.abs(firstIndex() - want) > 40 && performance.now() - t0 < 2000) await frame();
    void document.body.offsetHeight;
    out.scroll.push(performance.now() - t0);
  }
  const press = (key) => {
    const t0 = performance.now();
    sc.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
    void document.body.offsetHeight;
    return performance.now() - t0;
  };
  for (let k = 0; k < 10; k++) out.key.push(press("PageDown"));
  // Zooming re-renders in the next frame: timed until that frame's layout is done.
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    press("+");
    await frame();
    void document.body.offsetHeight;
    out.zoom.push(performance.now() - t0);
  }
  press("0");
  for (let k = 0; k < 10; k++) {
    const rowsNow = document.querySelectorAll(".tl-row .bar");
    const el = rowsNow[(k * 7) % rowsNow.length];
    const t0 = performance.now();
    el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    void document.body.offsetHeight;
    out.click.push(performance.now() - t0);
  }
  await frame();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return out;
})()`;
