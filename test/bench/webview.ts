// Benchmark: initial render of the trace timeline in headless Chromium, for 1k / 10k / 20k spans (target for 10k:
// ≤ 300 ms). Two numbers per run: "render" = from the webview receiving the trace message to the rows being in the
// DOM with layout done (what the webview's code costs); "end to end" = from postMessage to the rows laid out
// (adds the browser's structured clone of the message). Median of 7 runs each,
// a fresh page per run. Results are written under "## webview" in docs/benchmarks.md.
//   npm run bench -- webview [--runs 7] [--sizes 1000,10000,50000]
import { parseArgs } from "node:util";
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
  const rows: { size: number; render: number; paint: number; renderAll: number[]; domRows: number }[] = [];
  try {
    for (const size of sizes) {
      const fixture = agentTrace(size, 11);
      const render: number[] = [];
      const paint: number[] = [];
      let domRows = 0;
      for (let i = 0; i < runs + 1; i++) {
        const v = await openView(browser, "profiler");
        // Hand the fixture over first (playwright's transfer is not what we measure).
        await v.page.evaluate(
          (m) => ((window as unknown as { __fixture: unknown }).__fixture = m),
          fixture as unknown as Record<string, unknown>,
        );
        // A string, not a function: tsx would wrap named closures in a helper the page does not have.
        const [toPaint, renderMs, n] = (await v.page.evaluate(`new Promise((resolve) => {
          const m = window.__fixture;
          const t0 = performance.now();
          const done = () => {
            if ((window.__hotpathOutbox || []).some((x) => x.type === "rendered")) {
              void document.body.offsetHeight; // layout done
              resolve([performance.now() - t0, window.__hotpathLastRenderMs, document.querySelectorAll(".tl-row").length]);
            } else setTimeout(done, 0);
          };
          window.postMessage({ type: "trace", detail: m.detail, analysis: m.analysis }, "*");
          setTimeout(done, 0);
        })`)) as [number, number, number];
        await v.page.close();
        if (i === 0) continue; // warm-up
        render.push(renderMs);
        paint.push(toPaint);
        domRows = n;
      }
      rows.push({ size, render: median(render), paint: median(paint), renderAll: render, domRows });
      console.log(
        `${size} spans: render median ${median(render).toFixed(1)} ms, end to end ${median(paint).toFixed(1)} ms, ${domRows} rows in the DOM`,
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
    "| spans | render (ms) | postMessage → rows laid out (ms) | rows in DOM |",
    "|---:|---:|---:|---:|",
    ...rows.map(
      (r) => `| ${r.size.toLocaleString("en-US")} | ${r.render.toFixed(1)} | ${r.paint.toFixed(1)} | ${r.domRows} |`,
    ),
    "",
    ten
      ? `Target: 10k spans ≤ 300 ms render — ${ten.render <= 300 ? "met" : "NOT met"} (${ten.render.toFixed(1)} ms, ${(ten.render / 300).toFixed(2)}× the budget).`
      : "",
    '"render" is the webview\'s own work (tree order, model, visible rows, layout); "postMessage → rows laid out" adds the',
    "browser's structured clone of the message. Rows are virtualized: the DOM holds only the visible rows whatever the trace's size.",
  ].join("\n");
  writeSection("webview", section);
  console.log("wrote docs/benchmarks.md ## webview");
}
