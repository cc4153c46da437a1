// The webview bundle in headless Chromium with fixture data: DOM assertions per view, PNG screenshots into
// test-results/ (CI artifacts, never compared), and hostile input rendered as text.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import type { DaemonEvent } from "../../daemon/api.js";
import { agentTrace } from "../fixtures/agent-trace.js";
import { browserSkipReason, buildWebview, launch, openView, type ViewPage } from "./page.js";

describe("webview (headless Chromium)", function () {
  let browser: Browser;
  const opened: ViewPage[] = [];

  before(async function () {
    const reason = browserSkipReason();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    buildWebview();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(() => {
    // Every view must load and run under the strict CSP without a violation or an uncaught error.
    for (const v of opened.splice(0)) {
      assert.deepEqual(v.cspViolations, [], "CSP violations");
      assert.deepEqual(v.pageErrors, [], "page errors");
    }
  });
  const open = async (...a: Parameters<typeof openView> extends [unknown, ...infer R] ? R : never) => {
    const v = await openView(browser, ...a);
    opened.push(v);
    return v;
  };

  describe("profiler (trace timeline)", () => {
    const { detail, analysis } = agentTrace(120);

    it("lists the trace's spans, marks the critical path and lists the parallelizable groups", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      const s = await v.rendered();
      assert.equal(s.traceId, detail.trace.traceId);
      assert.ok(s.spanRowsInDom >= 20, `rows in DOM: ${s.spanRowsInDom}`);
      assert.equal(s.spanIdsInDom[0], detail.spans[0]!.spanId, "the root agent span comes first");
      const cp = new Set(analysis.criticalPath.spanIds);
      const criticalRows = await v.page.$$eval(".tl-row.critical", (els) => els.map((e) => (e as HTMLElement).dataset.spanId!));
      assert.ok(criticalRows.length > 0);
      for (const id of criticalRows) assert.ok(cp.has(id), `${id} marked critical but not on the path`);
      const notMarked = s.spanIdsInDom.filter((id) => cp.has(id) && !criticalRows.includes(id));
      assert.deepEqual(notMarked, [], "every critical span in view is marked");
      assert.equal(await v.page.locator(".tl-row.critical .cp-mark").count(), criticalRows.length);
      assert.ok(analysis.parallelGroups.length > 0, "fixture has groups");
      assert.equal(await v.page.locator(".groups-section .group").count(), analysis.parallelGroups.length);
      assert.match(await v.page.locator(".critical-summary").innerText(), /critical path/);
      await v.screenshot("profiler");
    });

    it("shows a span's details on click and tells the host which span", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      const target = detail.spans.find((sp) => sp.kind === "tool" && String(sp.attributes["gen_ai.tool.call.arguments"]).includes("file_path"))!;
      const idx = detail.spans.indexOf(target);
      assert.ok(idx < 30, "the target row is in the first screen");
      const before = (await v.outbox()).length;
      await v.page.click(`.tl-row[data-span-id="${target.spanId}"] .label`);
      const sel = await v.waitFor("spanSelected", before);
      assert.equal(sel.spanId, target.spanId);
      assert.equal(await v.page.locator(".details h2").innerText(), target.name);
      assert.equal(await v.page.locator(`.tl-row[data-span-id="${target.spanId}"]`).getAttribute("aria-selected"), "true");
      // The span names a file: the details offer to open it, and clicking asks the host to.
      const file = JSON.parse(String(target.attributes["gen_ai.tool.call.arguments"])).file_path as string;
      const n = (await v.outbox()).length;
      await v.page.click(`.details button[data-file="${file}"]`);
      const request = await v.waitFor("openFile", n);
      assert.equal(request.path, file);
      await v.screenshot("profiler-details");
    });

    it("is keyboard accessible: arrows select, Enter reports, +/− zoom, 0 fits", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      await v.page.focus(".tl-scroll");
      await v.page.keyboard.press("Home");
      await v.page.keyboard.press("ArrowDown");
      await v.page.keyboard.press("ArrowDown");
      const n = (await v.outbox()).length;
      await v.page.keyboard.press("Enter");
      const sel = await v.waitFor("spanSelected", n);
      assert.equal(sel.spanId, detail.spans[2]!.spanId);
      assert.equal(await v.page.locator(".tl-scroll").getAttribute("aria-activedescendant"), "row-2");
      const label = () => v.page.locator(".toolbar .muted").innerText();
      const full = await label();
      await v.page.keyboard.press("+");
      await v.page.waitForFunction((f) => document.querySelector(".toolbar .muted")?.textContent !== f, full);
      const zoomed = await label();
      assert.match(zoomed, /\(200%\)/);
      await v.page.keyboard.press("ArrowRight");
      await v.page.waitForFunction((f) => document.querySelector(".toolbar .muted")?.textContent !== f, zoomed);
      await v.page.keyboard.press("0");
      await v.page.waitForFunction(() => /\(100%\)/.test(document.querySelector(".toolbar .muted")?.textContent ?? ""));
    });

    it("listing a group highlights its spans and selects the first", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      const g = analysis.parallelGroups[0]!;
      const n = (await v.outbox()).length;
      await v.page.click(".groups .group[data-group='0'] .group-btn");
      const sel = await v.waitFor("spanSelected", n);
      assert.equal(sel.spanId, g.spanIds[0]);
      assert.equal(await v.page.locator(".tl-row.group-highlight").count(), g.spanIds.length);
      await v.screenshot("profiler-group");
    });

    it("keeps only the visible rows of 10k spans in the DOM, and scrolling brings later spans in", async () => {
      const big = agentTrace(10_000, 11);
      const v = await open("profiler");
      await v.send({ type: "trace", detail: big.detail, analysis: big.analysis });
      const s = await v.rendered();
      assert.ok(s.spanRowsInDom > 10 && s.spanRowsInDom < 120, `rows in DOM: ${s.spanRowsInDom}`);
      await v.page.evaluate(() => {
        const el = document.querySelector(".tl-scroll")!;
        el.scrollTop = el.scrollHeight;
      });
      const last = big.detail.spans.at(-1)!;
      await v.page.waitForSelector(`.tl-row[data-span-id="${last.spanId}"]`);
      assert.ok((await v.page.locator(".tl-row").count()) < 120);
      await v.screenshot("profiler-10k");
    });
  });

  it("heatmap: percentiles, canvas heatmap, uPlot percentile chart, span name × time grid", async () => {
    const { detail, analysis } = agentTrace(400, 3);
    const v = await open("heatmap");
    await v.send({ type: "trace", detail, analysis });
    await v.rendered();
    const text = await v.page.locator(".heatmap-view").innerText();
    assert.match(text, /p50/);
    assert.match(text, /p99/);
    assert.equal(await v.page.locator("canvas.heat").count(), 1);
    await v.page.waitForSelector(".uplot");
    assert.equal(await v.page.locator(".byname tr").count(), analysis.heatmap.byName!.length);
    // The canvas actually has painted cells.
    const painted = await v.page.$eval("canvas.heat", (c) => {
      const d = (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 100, `painted pixels: ${painted}`);
    await v.screenshot("heatmap");
  });

  it("parallelism: recorded and projected schedules side by side, groups with savings", async () => {
    const { detail, analysis } = agentTrace(200, 5);
    const v = await open("parallelism");
    await v.send({ type: "trace", detail, analysis });
    const s = await v.rendered();
    assert.equal(s.parallelGroupsListed, analysis.parallelGroups.length);
    const g0 = analysis.parallelGroups[0]!;
    const lanes = v.page.locator(".pgroup[data-group='0'] .lane");
    assert.equal(await lanes.count(), 2);
    assert.equal(await v.page.locator(".pgroup[data-group='0'] .lane.recorded .pbar").count(), g0.spanIds.length);
    assert.equal(await v.page.locator(".pgroup[data-group='0'] .lane.projected .pbar").count(), g0.spanIds.length);
    // Projected bars all start at the group's start; recorded ones are staggered.
    const margins = await v.page.$$eval(".pgroup[data-group='0'] .lane.projected .pbar", (els) => els.map((e) => (e as HTMLElement).style.marginLeft));
    assert.ok(margins.every((m) => m === "0%"));
    assert.match(await v.page.locator(".totals").innerText(), /could be saved/);
    await v.screenshot("parallelism");
  });

  it("cache breakers: prefix breaks with both sides, unused tools, mergeable calls", async () => {
    const { detail, analysis } = agentTrace(80, 9);
    const v = await open("cacheBreakers");
    await v.send({ type: "trace", detail, analysis });
    await v.rendered();
    assert.equal(await v.page.locator(".break").count(), analysis.prefixBreaks.length);
    assert.match(await v.page.locator(".break .cause").first().innerText(), /timestamp/);
    assert.equal(await v.page.locator(".break pre.before").first().innerText(), analysis.prefixBreaks[0]!.before);
    assert.match(await v.page.locator(".breakers-view").innerText(), /NotebookEdit/);
    await v.screenshot("cache-breakers");
  });

  it("audit report: one row per section with its verdict, quality change and lines; findings listed", async () => {
    const v = await open("audit");
    const range = (a: number, b: number) => ({ startLine: a, startCharacter: 0, endLine: b, endCharacter: 0 });
    await v.send({
      type: "audit",
      report: {
        file: "prompts/system.md", model: "stories", mode: "ablation", tokenizer: "stories", totalTokens: 2310, baselineQuality: 82,
        sections: [
          { id: "s1", name: "Role", kind: "heading", verdict: "essential", tokens: 120, qualityDelta: { mean: -31, low: -40, high: -22 }, range: range(0, 4) },
          { id: "s2", name: "Style guide", kind: "heading", verdict: "removable", tokens: 940, qualityDelta: { mean: 0.4, low: -1.2, high: 2 }, promptTokensSaved: 930, latencyMsSaved: 41, range: range(4, 30) },
          { id: "s3", name: "Examples", kind: "example", verdict: "inconclusive — needs more samples", tokens: 1250, qualityDelta: { mean: -3, low: -9, high: 2 }, range: range(30, 80) },
        ],
        findings: [{ kind: "oversized-example", message: "Examples is 54% of the prompt", tokens: 1250, sectionIds: ["s3"] }],
        combined: "Removing 1 section(s) together: removable (verified); saves 940 tokens per call",
        notes: [],
      },
    });
    await v.rendered();
    assert.equal(await v.page.locator("table.audit tr").count(), 4);
    assert.equal(await v.page.locator("tr.verdict-removable .badge").innerText(), "removable");
    assert.match(await v.page.locator("tr[data-section=s2]").innerText(), /\+0\.4 \[-1\.2, \+2\.0\]/);
    assert.match(await v.page.locator("tr[data-section=s2]").innerText(), /5–30/);
    assert.equal(await v.page.locator(".finding").count(), 1);
    await v.screenshot("audit");
  });

  it("dashboard: live request events update the tiles and chart; stats render as tables", async () => {
    const v = await open("dashboard");
    const now = Date.now();
    const ev = (i: number, cache: string): DaemonEvent => ({
      type: "request.finished", requestId: `r${i}`, at: now - (10 - i) * 1000, endpoint: "/v1/chat/completions", model: "stories260K",
      route: "local", status: 200, durationMs: 80 + i * 10, cache,
      timings: { queue_ms: 1, prompt_n: 20, prompt_ms: 5, ttft_ms: 12 + i, predicted_n: 64, predicted_ms: 60, predicted_per_second: 900 + i * 10, draft_n: 10, draft_n_accepted: 7 },
      usage: { prompt_tokens: 100, completion_tokens: 64, total_tokens: 164, prompt_tokens_details: { cached_tokens: 75 } },
    });
    for (let i = 0; i < 10; i++) await v.send({ type: "event", event: ev(i, i % 2 ? "semantic-hit" : "miss") });
    await v.send({ type: "stats", serving: { requests: { total: 10 }, models: [{ name: "stories260K", loaded: true }] }, cache: { enabled: true, totals: { hits: 5, misses: 5, bypasses: 0, semanticHits: 2, guardRejections: 1, hitRate: 0.5, tokensSaved: 820, msSaved: 400, usdSaved: 0.0123 }, namespaces: [{ name: "default", entries: 4, hits: 5 }] }, errors: [] });
    await v.send({ type: "connection", state: "running" });
    await v.page.waitForSelector(".uplot");
    assert.equal(await v.page.locator("[data-metric=hit] .big").innerText(), "50%");
    assert.equal(await v.page.locator("[data-metric=prefix] .big").innerText(), "75%");
    assert.equal(await v.page.locator("[data-metric=draft] .big").innerText(), "70%");
    assert.equal(await v.page.locator("table.recent tbody tr").count(), 10);
    assert.equal(await v.page.locator("[data-metric=semantic] .big").innerText(), "20%");
    assert.equal(await v.page.locator("[data-metric=usdSaved] .big").innerText(), "$0.0123");
    assert.match(await v.page.locator(".stats").innerText(), /namespaces\[default\]\.entries/);
    await v.screenshot("dashboard");
  });

  describe("hostile and malformed input", () => {
    it("renders span names and attributes as text, never markup", async () => {
      const { detail, analysis } = agentTrace(20, 1);
      detail.spans[1]!.name = `<img src=x onerror="window.__pwned=1">`;
      detail.spans[1]!.attributes["evil"] = `<script>window.__pwned=2</script>`;
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      await v.page.click(`.tl-row[data-span-id="${detail.spans[1]!.spanId}"] .label`);
      assert.equal(await v.page.locator("#app img").count(), 0);
      assert.equal(await v.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.equal(await v.page.locator(".details h2").innerText(), detail.spans[1]!.name);
    });

    it("ignores malformed messages and survives parent cycles, missing analysis and empty traces", async () => {
      const { detail } = agentTrace(10, 2);
      // A cycle: two spans naming each other as parent.
      detail.spans[3]!.parentSpanId = detail.spans[4]!.spanId;
      detail.spans[4]!.parentSpanId = detail.spans[3]!.spanId;
      const v = await open("profiler");
      await v.page.evaluate(() => {
        window.postMessage(null, "*");
        window.postMessage("trace", "*");
        window.postMessage({ type: 42 }, "*");
      });
      await v.send({ type: "trace", detail, analysis: null, analysisError: "analysis failed: 500" });
      const s = await v.rendered();
      assert.equal(new Set(s.spanIdsInDom).size, detail.spans.length, "every span exactly once");
      assert.match(s.text, /Analysis unavailable/);
      const n = (await v.outbox()).length;
      await v.send({ type: "trace", detail: { trace: { ...detail.trace, spanCount: 0 }, spans: [] }, analysis: null });
      const again = await v.waitFor("rendered", n);
      assert.equal(again.summary.spanRowsInDom, 0);
    });
  });

  describe("artifacts", () => {
   it("wrote a screenshot of each view", () => {
    for (const n of ["profiler", "profiler-details", "heatmap", "parallelism", "cache-breakers", "audit", "dashboard"]) {
      assert.ok(existsSync(`test-results/webview-${n}.png`), n);
    }
   });
  });
});
