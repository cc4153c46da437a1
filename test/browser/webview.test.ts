// The webview bundle in headless Chromium with fixture data: DOM assertions per view, PNG screenshots into
// test-results/ (CI artifacts, never compared), and hostile input rendered as text.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import type { CacheStats, DaemonEvent, ServingStats, TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { analyzeTrace } from "../../daemon/traces/analysis/index.js";
import { capSpanAttributes, VIEW_ATTRIBUTE_CAPS } from "../../daemon/traces/view-caps.js";
import { parseTraceFile } from "../../daemon/traces/importers/index.js";
import { agentTrace } from "../fixtures/agent-trace.js";
import { skipWithoutFixture, traceFixture } from "../support/trace-fixtures.js";
import { browserSkipReason, buildWebview, launch, openView, type ViewPage } from "./page.js";

/** Owner keys must never reach the page as raw keys: each has its words (webview/owners.ts). */
const OWNER_WORDS: Record<string, string> = {
  llm: "model",
  tool: "tool",
  human: "waiting for a person",
  idle: "idle",
  compaction: "compaction",
  gap: "uninstrumented",
};

/** A share as the page writes it: whole percent, "<1%" for a share that rounds to nothing. */
function share(f: number): string {
  return f > 0 && f < 0.005 ? "<1%" : `${Math.round(f * 100)}%`;
}

/** "rgb(r, g, b)" → [r, g, b]. */
function rgb(css: string): number[] {
  return (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
}

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

    it("lists the spans; with most spans on the critical path it marks the few OFF it; groups listed", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      const s = await v.rendered();
      assert.equal(s.traceId, detail.trace.traceId);
      assert.ok(s.spanRowsInDom >= 20, `rows in DOM: ${s.spanRowsInDom}`);
      assert.equal(s.spanIdsInDom[0], detail.spans[0]!.spanId, "the root agent span comes first");
      const cp = new Set(analysis.criticalPath.spanIds);
      assert.ok(cp.size > detail.spans.length / 2, "fixture: most spans are on the path");
      const criticalRows = await v.page.$$eval(".tl-row.critical", (els) =>
        els.map((e) => (e as HTMLElement).dataset.spanId!),
      );
      assert.ok(criticalRows.length > 0);
      for (const id of criticalRows) assert.ok(cp.has(id), `${id} marked critical but not on the path`);
      const notMarked = s.spanIdsInDom.filter((id) => cp.has(id) && !criticalRows.includes(id));
      assert.deepEqual(notMarked, [], "every critical span in view is classed critical");
      // Not painted all red: no critical markers, the spans off the path carry the mark instead.
      assert.equal(await v.page.locator(".timeline.mark-off").count(), 1);
      assert.equal(await v.page.locator(".tl-row .cp-mark").count(), 0);
      const off = s.spanIdsInDom.filter((id) => !cp.has(id));
      assert.ok(off.length >= 1);
      assert.deepEqual(
        await v.page.$$eval(".tl-row.off-path", (els) => els.map((e) => (e as HTMLElement).dataset.spanId!)),
        off,
      );
      assert.equal(await v.page.locator(".tl-row.off-path .off-mark").count(), off.length);
      const red = await v.page.$$eval(
        ".tl-row.critical .bar",
        (els) => els.filter((e) => /^rgb\(241, 76, 76/.test(getComputedStyle(e).backgroundColor)).length,
      );
      assert.equal(red, 0, "critical bars keep their owner's colour");
      assert.match(
        await v.page.locator(".legend").innerText(),
        new RegExp(`off the critical path \\(${detail.spans.length - cp.size} of ${detail.spans.length}\\)`),
      );
      assert.ok(analysis.parallelGroups.length > 0, "fixture has groups");
      assert.equal(await v.page.locator(".groups-section .group").count(), analysis.parallelGroups.length);
      assert.match(await v.page.locator(".critical-summary").innerText(), /critical path/);
      await v.screenshot("profiler");
    });

    it("gives a person's, idle and compaction time their own words and colours, in chips, legend, lane and bars", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      const byKind = analysis.criticalPath.byKind;
      for (const k of ["human", "idle", "compaction", "gap"] as const)
        assert.ok(byKind[k] > 0, `fixture has ${k} time`);
      const chips = await v.page.$$eval(".bykind .chip", (els) =>
        els.map((e) => ({
          owner: (e as HTMLElement).dataset.owner!,
          text: e.textContent!,
          colour: getComputedStyle(e).borderColor,
        })),
      );
      assert.deepEqual(
        chips.map((c) => c.owner).sort(),
        Object.keys(byKind)
          .filter((k) => byKind[k as keyof typeof byKind] > 0)
          .sort(),
      );
      for (const c of chips) {
        assert.ok(c.text.startsWith(OWNER_WORDS[c.owner]!), `chip "${c.text}" says ${OWNER_WORDS[c.owner]}`);
        const pct = share(byKind[c.owner as keyof typeof byKind] / analysis.criticalPath.durationMs);
        assert.ok(c.text.endsWith(` ${pct}`), `chip "${c.text}" ends with its share ${pct}`);
      }
      assert.equal(new Set(chips.map((c) => c.colour)).size, chips.length, "each owner has its own colour");
      const legend = await v.page.locator(".legend").innerText();
      for (const w of ["model", "tool", "waiting for a person", "idle", "compaction", "uninstrumented"])
        assert.ok(legend.includes(w), `legend names "${w}"`);
      // Raw keys never show as words: not in the chips, the legend or the row kinds.
      assert.doesNotMatch(await v.page.locator(".bykind").innerText(), /\b(human|gap|llm)\b/);
      // The AskUserQuestion tool span is drawn in the person's colour and labelled so.
      const ask = detail.spans.find((sp) => sp.name === "AskUserQuestion")!;
      const askRow = v.page.locator(`.tl-row[data-span-id="${ask.spanId}"]`);
      assert.equal(await askRow.locator(".kind").innerText(), "WAITING FOR A PERSON");
      const humanChip = chips.find((c) => c.owner === "human")!.colour;
      assert.equal(await askRow.locator(".bar").evaluate((e) => getComputedStyle(e).backgroundColor), humanChip);
      // The critical-path lane paints every owner's colour somewhere.
      const laneColours = await v.page.$eval("canvas.cp-lane", (c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
        const seen = new Set<string>();
        for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200) seen.add(`rgb(${d[i]}, ${d[i + 1]}, ${d[i + 2]})`);
        return [...seen];
      });
      for (const c of chips.filter((x) => x.owner !== "gap"))
        assert.ok(laneColours.includes(c.colour), `lane paints ${c.owner} (${c.colour})`);
      // Clicking the lane on the idle stretch explains it.
      const idle = analysis.criticalPath.segments!.find((sg) => sg.kind === "idle")!;
      const box = (await v.page.locator("canvas.cp-lane").boundingBox())!;
      const mid = ((idle.startNs + idle.endNs) / 2 - detail.spans[0]!.startNs) / 1e6 / analysis.durationMs;
      await v.page.mouse.click(box.x + box.width * mid, box.y + box.height / 2);
      assert.match(await v.page.locator(".details h2").innerText(), /^idle — /);
      await v.screenshot("profiler-owners");
    });

    it("with few spans on the critical path, marks those on it (and none as off it)", async () => {
      // The same trace as a run where only the model calls are on the path (tools ran in parallel elsewhere).
      const llm = detail.spans.filter((sp) => sp.kind === "llm").map((sp) => sp.spanId);
      const few: TraceAnalysis = { ...analysis, criticalPath: { ...analysis.criticalPath, spanIds: llm } };
      assert.ok(llm.length < detail.spans.length / 2);
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis: few });
      const s = await v.rendered();
      assert.equal(await v.page.locator(".timeline.mark-off").count(), 0);
      const marked = await v.page.$$eval(".tl-row .cp-mark", (els) =>
        els.map((e) => (e.closest(".tl-row") as HTMLElement).dataset.spanId!),
      );
      assert.deepEqual(
        marked,
        s.spanIdsInDom.filter((id) => llm.includes(id)),
      );
      assert.equal(await v.page.locator(".tl-row .off-mark").count(), 0);
      assert.match(await v.page.locator(".legend").innerText(), /◆\s*critical path/);
      await v.screenshot("profiler-few-critical");
    });

    it("leads with the hotspots; picking one selects its span and highlights every span folded into it", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      // The panel comes before the timeline.
      const order = await v.page.$$eval(".timeline > *", (els) => els.map((e) => e.className));
      assert.ok(
        order.indexOf("hotspots") >= 0 && order.indexOf("hotspots") < order.indexOf("toolbar"),
        order.join(" | "),
      );
      const spots = analysis.hotspots;
      const items = await v.page.$$eval(".hot", (els) => els.map((e) => e.textContent!));
      assert.equal(items.length, Math.min(5, spots.length));
      items.forEach((text, i) => {
        // The why is shown after the name, without repeating the name it opens with.
        const why = spots[i]!.why.startsWith(spots[i]!.name)
          ? spots[i]!.why.slice(spots[i]!.name.length).replace(/^[,:;]\s*/, "")
          : spots[i]!.why;
        assert.ok(text.includes(spots[i]!.name) && text.includes(why.trim()), text);
        assert.ok(text.includes(share(spots[i]!.share)), text);
      });
      if (spots.length > 5) {
        await v.page.click(".hotspots button.link");
        assert.equal(await v.page.locator(".hot").count(), spots.length);
      }
      const folded = spots.find((sp) => sp.spanIds.length > 1)!;
      const i = spots.indexOf(folded);
      const n = (await v.outbox()).length;
      await v.page.click(`.hot[data-index="${i}"] .hot-btn`);
      const sel = await v.waitFor("spanSelected", n);
      assert.equal(sel.spanId, folded.spanId);
      assert.equal(
        await v.page.locator(`.tl-row[data-span-id="${folded.spanId}"]`).getAttribute("aria-selected"),
        "true",
      );
      const lit = await v.page.$$eval(".tl-row.highlight", (els) => els.map((e) => (e as HTMLElement).dataset.spanId!));
      assert.ok(lit.length >= 1 && lit.every((id) => folded.spanIds.includes(id)), `highlighted ${lit.join(",")}`);
      assert.match(await v.page.locator(".details").innerText(), new RegExp(folded.why.replace(/[()×]/g, ".")));
      await v.screenshot("profiler-hotspot");
    });

    it("writes every tick of a zoom level in one unit", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      await v.page.focus(".tl-scroll");
      const seen = new Set<string>();
      for (let z = 0; z < 14; z++) {
        const ticks = await v.page.$$eval(".axis .tick", (els) => els.map((e) => e.textContent!));
        assert.ok(ticks.length >= 2, `zoom ${z}: ${ticks.length} ticks`);
        const units = new Set(ticks.map((t) => t.split(" ")[1]));
        assert.equal(units.size, 1, `zoom ${z}: ${ticks.join(", ")}`);
        const unit = [...units][0]!;
        seen.add(unit);
        assert.equal(await v.page.locator(".axis").getAttribute("data-unit"), unit);
        // The window label uses the axis's unit too.
        assert.match(
          await v.page.locator(".toolbar > .muted").innerText(),
          new RegExp(`^showing [\\d.]+ ${unit} – [\\d.]+ ${unit} `),
        );
        if (z === 3) {
          // Spans wholly outside the window show no bar, only their duration with an arrow towards them.
          const m = (await v.page.locator(".toolbar > .muted").innerText()).match(
            /^showing ([\d.]+) (\S+) – ([\d.]+) \S+ /,
          )!;
          const per: Record<string, number> = { µs: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
          const [a, b] = [Number(m[1]) * per[m[2]!]!, Number(m[3]) * per[m[2]!]!];
          const slack = (b - a) * 0.02;
          const t0 = Math.min(...detail.spans.map((sp) => sp.startNs));
          const rows = await v.page.$$eval(".tl-row", (els) =>
            els.map(
              (e) =>
                [
                  (e as HTMLElement).dataset.spanId!,
                  (e.querySelector(".bar") as HTMLElement).hidden,
                  e.querySelector(".dur")!.textContent!,
                ] as const,
            ),
          );
          let outside = 0;
          for (const [id, hidden, dur] of rows) {
            const sp = detail.spans.find((x) => x.spanId === id)!;
            const [s0, s1] = [(sp.startNs - t0) / 1e6, (sp.endNs - t0) / 1e6];
            if (s1 < a - slack || s0 > b + slack) {
              outside++;
              assert.ok(
                hidden && /[←→]/.test(dur),
                `${sp.name} [${s0}, ${s1}] outside [${a}, ${b}] has no bar: ${dur}`,
              );
            } else if (s1 > a + slack && s0 < b - slack)
              assert.ok(!hidden, `${sp.name} [${s0}, ${s1}] inside [${a}, ${b}] has its bar`);
          }
          assert.ok(outside > 0, "some rows in view lie outside the zoomed window");
          await v.screenshot("profiler-zoomed");
        }
        const before = ticks.join();
        await v.page.keyboard.press("+");
        await v.page.waitForFunction(
          (b) => [...document.querySelectorAll(".axis .tick")].map((e) => e.textContent).join() !== b,
          before,
        );
      }
      assert.ok(seen.size >= 3, `units across zoom levels: ${[...seen].join(", ")}`);
    });

    it("shows a span's details on click and tells the host which span", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      const target = detail.spans.find(
        (sp) => sp.kind === "tool" && String(sp.attributes["gen_ai.tool.call.arguments"]).includes("file_path"),
      )!;
      const idx = detail.spans.indexOf(target);
      assert.ok(idx < 30, "the target row is in the first screen");
      const before = (await v.outbox()).length;
      await v.page.click(`.tl-row[data-span-id="${target.spanId}"] .label`);
      const sel = await v.waitFor("spanSelected", before);
      assert.equal(sel.spanId, target.spanId);
      assert.equal(await v.page.locator(".details h2").innerText(), target.name);
      assert.equal(
        await v.page.locator(`.tl-row[data-span-id="${target.spanId}"]`).getAttribute("aria-selected"),
        "true",
      );
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

    it("listing a group highlights its spans and selects the first; each group says how sure it is", async () => {
      const v = await open("profiler");
      await v.send({ type: "trace", detail, analysis });
      await v.rendered();
      const g = analysis.parallelGroups[0]!;
      const n = (await v.outbox()).length;
      await v.page.click(".groups .group[data-group='0'] .group-btn");
      const sel = await v.waitFor("spanSelected", n);
      assert.equal(sel.spanId, g.spanIds[0]);
      assert.equal(await v.page.locator(".tl-row.highlight").count(), g.spanIds.length);
      const badges = await v.page.$$eval(".groups .group", (els) =>
        els.map((e) => [(e as HTMLElement).dataset.group, e.querySelector(".badge")!.textContent]),
      );
      for (const [i, text] of badges) assert.equal(text, analysis.parallelGroups[Number(i)]!.confidence);
      await v.screenshot("profiler-group");
    });

    /** Renders spans through the daemon's own analysis and checks the page says what the analysis says. */
    async function renderThroughAnalysis(d: TraceDetail, name: string): Promise<{ v: ViewPage; a: TraceAnalysis }> {
      const a = analyzeTrace(d.spans, d.trace.traceId);
      const v = await open("profiler");
      await v.send({ type: "trace", detail: d, analysis: a });
      await v.rendered();
      const cp = new Set(a.criticalPath.spanIds);
      const mostOn = d.spans.filter((sp) => cp.has(sp.spanId)).length > d.spans.length / 2;
      assert.equal(await v.page.locator(".timeline.mark-off").count(), mostOn ? 1 : 0);
      const chips = await v.page.$$eval(".bykind .chip", (els) =>
        els.map((e) => [(e as HTMLElement).dataset.owner!, e.textContent!]),
      );
      const withTime = Object.entries(a.criticalPath.byKind)
        .filter(([, ms]) => ms > 0)
        .map(([k]) => k);
      assert.deepEqual(chips.map(([k]) => k).sort(), withTime.sort());
      for (const [k, text] of chips) if (OWNER_WORDS[k]) assert.ok(text.startsWith(OWNER_WORDS[k]!), text);
      const spots = a.hotspots ?? [];
      assert.equal(await v.page.locator(".hot").count(), Math.min(5, spots.length));
      if (spots[0]) {
        const n = (await v.outbox()).length;
        await v.page.click(`.hot[data-index="0"] .hot-btn`);
        assert.equal((await v.waitFor("spanSelected", n)).spanId, spots[0].spanId);
        await v.page.click(".toolbar button[title^='Show the whole trace']");
      }
      await v.screenshot(name);
      return { v, a };
    }

    it("shows what the daemon's own analysis says about a Claude-Code-shaped trace", async () => {
      const fresh = agentTrace(160, 13).detail;
      const { v, a } = await renderThroughAnalysis(fresh, "profiler-analysed");
      // The spans carry what the Claude Code importer records (a question, a compaction, a typed message), so the
      // analysis finds a person's, idle and compaction time, and the page names them.
      for (const k of ["human", "idle", "compaction"] as const)
        assert.ok(a.criticalPath.byKind[k] > 0, `analysis finds ${k} time`);
      const chips = await v.page.locator(".bykind").innerText();
      for (const w of ["waiting for a person", "idle", "compaction"]) assert.ok(chips.includes(w), chips);
    });

    it("shows what the daemon's own analysis says about a real Claude Code session (../shared fixture)", async function () {
      const file = traceFixture("claude-code", "session-3fe1b6bc.jsonl");
      skipWithoutFixture(this, file, "claude-code/session-3fe1b6bc.jsonl");
      const { traces } = parseTraceFile(file, readFileSync(file, "utf8"));
      const t = traces[0]!;
      const d: TraceDetail = {
        trace: {
          traceId: t.spans[0]!.traceId,
          name: "session-3fe1b6bc",
          source: "claude-code",
          startNs: Math.min(...t.spans.map((x) => x.startNs)),
          endNs: Math.max(...t.spans.map((x) => x.endNs)),
          spanCount: t.spans.length,
        },
        spans: t.spans,
      };
      await renderThroughAnalysis(d, "profiler-claude-code");
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
      const d = (c as HTMLCanvasElement)
        .getContext("2d")!
        .getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 100, `painted pixels: ${painted}`);
    // Labelled axes with units, one label per latency bucket, x ticks in one unit, and a colour scale.
    assert.equal(await v.page.locator(".heat-y > div").count(), analysis.heatmap.latencyBucketsMs.length);
    assert.match(await v.page.locator(".axis-title.y").innerText(), /latency/i);
    assert.match(await v.page.locator(".heat-grid .axis-title.x").innerText(), /time since the trace started/);
    const xt = await v.page.$$eval(".heat-x .tick", (els) => els.map((e) => e.textContent!));
    assert.ok(xt.length >= 3, xt.join());
    assert.equal(new Set(xt.map((t) => t.split(" ")[1])).size, 1, xt.join());
    const legends = await v.page.$$eval(".scale", (els) => els.map((e) => e.textContent!));
    assert.equal(legends.length, 2, "heatmap and name grid each have a colour scale");
    assert.match(legends[0]!, /spans per cell/);
    assert.match(legends[1]!, /median latency/);
    const maxCount = Math.max(...analysis.heatmap.counts.flat());
    const ends = await v.page.$$eval(".heat-grid .scale .scale-ticks span", (els) => els.map((e) => e.textContent));
    assert.deepEqual(
      [ends[0], ends.at(-1)],
      ["1", String(maxCount)],
      "the scale runs from 1 to the busiest cell's count",
    );
    // The scale runs dark → bright: the top of the range is lighter than the bottom.
    const [lo, hi] = await v.page.$eval("canvas.scale-bar", (c) => {
      const g = (c as HTMLCanvasElement).getContext("2d")!;
      return [1, (c as HTMLCanvasElement).width - 2].map((x) => [...g.getImageData(x, 5, 1, 1).data].slice(0, 3));
    });
    assert.ok(hi!.reduce((a, b) => a + b) > lo!.reduce((a, b) => a + b) + 200, `scale ${lo} → ${hi}`);
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
    const margins = await v.page.$$eval(".pgroup[data-group='0'] .lane.projected .pbar", (els) =>
      els.map((e) => (e as HTMLElement).style.marginLeft),
    );
    assert.ok(margins.every((m) => m === "0%"));
    assert.match(await v.page.locator(".totals").innerText(), /could be saved/);
    // Confidence per group, and the two sums apart: independent in the saving, speculative only as "more, if".
    const conf = await v.page.$$eval(".pgroup", (els) =>
      els.map((e) => [
        (e as HTMLElement).dataset.group,
        (e as HTMLElement).dataset.confidence,
        e.querySelector("h2 .badge")!.textContent,
      ]),
    );
    for (const [i, c, badge] of conf) {
      assert.equal(c, analysis.parallelGroups[Number(i)]!.confidence);
      assert.equal(badge, c);
    }
    const kinds = new Set(analysis.parallelGroups.map((g) => g.confidence));
    assert.ok(kinds.has("independent") && kinds.has("speculative"), "fixture has both kinds");
    assert.equal(conf[0]![1], "independent", "independent groups are listed first");
    const fmt = async (sel: string) => (await v.page.locator(sel).innerText()).split(" could")[0]!.split(" more")[0]!;
    assert.ok(analysis.speculativeSavingMs > 0);
    assert.match(await v.page.locator(".saving-sure").innerText(), /by running \d+ independent group/);
    assert.match(
      await v.page.locator(".saving-speculative").innerText(),
      /only by speculation.*Not counted in the saving above/,
    );
    const secs = (t: string) => parseFloat(t) * (/ min$/.test(t) ? 60 : / ms$/.test(t) ? 0.001 : 1);
    assert.ok(Math.abs(secs(await fmt(".saving-sure strong")) - analysis.projectedSavingMs / 1000) < 0.1);
    assert.ok(Math.abs(secs(await fmt(".saving-speculative strong")) - analysis.speculativeSavingMs / 1000) < 0.1);
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
        file: "prompts/system.md",
        model: "stories",
        mode: "ablation",
        tokenizer: "stories",
        totalTokens: 2310,
        baselineQuality: 82,
        sections: [
          {
            id: "s1",
            name: "Role",
            kind: "heading",
            verdict: "essential",
            tokens: 120,
            qualityDelta: { mean: -31, low: -40, high: -22 },
            range: range(0, 4),
          },
          {
            id: "s2",
            name: "Style guide",
            kind: "heading",
            verdict: "removable",
            tokens: 940,
            qualityDelta: { mean: 0.4, low: -1.2, high: 2 },
            promptTokensSaved: 930,
            latencyMsSaved: 41,
            range: range(4, 30),
          },
          {
            id: "s3",
            name: "Examples",
            kind: "example",
            verdict: "inconclusive — needs more samples",
            tokens: 1250,
            qualityDelta: { mean: -3, low: -9, high: 2 },
            range: range(30, 80),
          },
        ],
        findings: [
          { kind: "oversized-example", message: "Examples is 54% of the prompt", tokens: 1250, sectionIds: ["s3"] },
        ],
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
    // Removable is the good news (safe to cut): green, not the error red; essential (keep) is not red either.
    const [rr, rg] = rgb(
      await v.page.locator("tr.verdict-removable .badge").evaluate((e) => getComputedStyle(e).color),
    );
    assert.ok(rg! > rr! + 40, `removable reads as good, got rgb ${rr},${rg}`);
    const [er, , eb] = rgb(
      await v.page.locator("tr.verdict-essential .badge").evaluate((e) => getComputedStyle(e).color),
    );
    assert.ok(eb! > er!, "essential (keep) is not red");
    assert.match(await v.page.locator(".verdict-legend").innerText(), /removable safe to cut.*essential keep/);
    assert.equal(await v.page.locator(".finding .badge").innerText(), "oversized example");
    await v.screenshot("audit");
  });

  it("dashboard: live request events update the tiles and chart; stats render as tables", async () => {
    const v = await open("dashboard");
    const now = Date.now();
    const ev = (i: number, cache: string): DaemonEvent => ({
      type: "request.finished",
      requestId: `r${i}`,
      at: now - (10 - i) * 1000,
      endpoint: "/v1/chat/completions",
      model: "stories260K",
      route: "local",
      status: 200,
      durationMs: 80 + i * 10,
      cache,
      timings: {
        queue_ms: 1,
        prompt_n: 20,
        prompt_ms: 5,
        ttft_ms: 12 + i,
        predicted_n: 64,
        predicted_ms: 60,
        predicted_per_second: 900 + i * 10,
        draft_n: 10,
        draft_n_accepted: 7,
      },
      usage: {
        prompt_tokens: 100,
        completion_tokens: 64,
        total_tokens: 164,
        prompt_tokens_details: { cached_tokens: 75 },
      },
    });
    for (let i = 0; i < 10; i++) await v.send({ type: "event", event: ev(i, i % 2 ? "semantic-hit" : "miss") });
    const counters = {
      hits: 5,
      misses: 5,
      bypasses: 0,
      semanticHits: 2,
      normalizedHits: 1,
      guardRejections: 1,
      hitRate: 0.5,
      tokensSaved: 820,
      msSaved: 400,
      usdSaved: 0.0123,
    };
    const serving: ServingStats = {
      version: "0.1.0",
      uptimeS: 3720,
      models: [
        {
          alias: "stories260K",
          state: "ready",
          contextSize: 512,
          sequences: 4,
          busySequences: 1,
          queued: { interactive: 0, workflow: 2, background: 0 },
          speculation: { kind: "draft", enabled: true, drafted: 100, accepted: 70, acceptance: 0.7, draftLength: 4 },
        },
      ],
      window: {
        windowS: 300,
        requests: 10,
        errors: 0,
        ttftMs: { p50: 16, p95: 21 },
        decodeTokensPerSecond: { p50: 940 },
        promptTokens: 1000,
        cachedPromptTokens: 750,
        prefixReuse: 0.75,
        completionTokens: 640,
        cacheHits: 5,
        costUsd: 0,
      },
    };
    const cache: CacheStats = {
      enabled: true,
      embedder: "use-lite-512",
      embedderLoaded: true,
      threshold: 0.92,
      entries: 4,
      bytes: 18_432,
      maxEntries: 10_000,
      maxBytes: 268_435_456,
      evictions: 0,
      totals: counters,
      namespaces: [
        {
          ...counters,
          namespace: "default",
          label: "local · stories260K",
          route: "local",
          model: "stories260K",
          threshold: 0.92,
          entries: 4,
          bytes: 18_432,
        },
      ],
    };
    await v.send({ type: "stats", serving, cache, errors: [] });
    await v.send({ type: "connection", state: "running" });
    await v.page.waitForSelector(".uplot");
    assert.equal(await v.page.locator("[data-metric=hit] .big").innerText(), "50%");
    assert.equal(await v.page.locator("[data-metric=prefix] .big").innerText(), "75%");
    assert.equal(await v.page.locator("[data-metric=draft] .big").innerText(), "70%");
    assert.equal(await v.page.locator("table.recent tbody tr").count(), 10);
    assert.equal(await v.page.locator("[data-metric=semantic] .big").innerText(), "20%");
    assert.equal(await v.page.locator("[data-metric=usdSaved] .big").innerText(), "$0.0123");
    // Labels in words: no camelCase keys, no dotted paths, no snake_case in any header or tile.
    const labels = await v.page.$$eval(".dashboard-view th, .dashboard-view .tile .muted", (els) =>
      els.map((e) => e.textContent!),
    );
    for (const l of labels) assert.doesNotMatch(l, /[a-z][A-Z]|[a-z]\.[a-z]|_|\bttft\b|tok\/s/, `label "${l}"`);
    const stats = await v.page.locator(".stats").innerText();
    assert.match(stats, /since start › hits on a similar question\s+2/);
    assert.match(stats, /recent window › time to first token › median\s+16\.0 ms/);
    assert.match(stats, /recent window › decode speed \(tokens\/s\) › median\s+940/);
    assert.match(stats, /up for\s+1\.0 h/);
    assert.match(stats, /size limit\s+256\.0 MB/);
    assert.match(await v.page.locator("table.namespaces").innerText(), /local · stories260K/);
    assert.match(await v.page.locator("table.models").innerText(), /draft model, 70% accepted/);
    assert.equal(
      await v.page.locator("table.recent tbody tr").first().locator("td").last().innerText(),
      "semantic hit",
    );
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

  describe("a trace as the daemon's JSON bytes (traceJson: what the extension sends)", () => {
    /** Posts a traceJson message, its byte arrays made in the page from each JSON text. */
    const sendJson = (v: ViewPage, detail: string, analysis: string | null, analysisError?: string) =>
      v.page.evaluate(
        // No named function inside: tsx would wrap it in a helper the page does not have.
        ([d, a, e]) => {
          const encoder = new TextEncoder();
          window.postMessage(
            {
              type: "traceJson",
              detail: encoder.encode(d!),
              analysis: a === null ? null : encoder.encode(a!),
              analysisError: e,
            },
            "*",
          );
        },
        [detail, analysis, analysisError] as const,
      );
    /** Posts a traceJson message saying its bytes are gzip-compressed (as a remote extension host sends them). */
    const sendGzip = (v: ViewPage, detail: Buffer, analysis: Buffer | null) =>
      v.page.evaluate(
        ([d, a]) => {
          const [detail, analysis] = [d, a].map((b64) =>
            b64 === null ? null : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
          );
          window.postMessage({ type: "traceJson", detail, analysis, encoding: "gzip" }, "*");
        },
        [detail.toString("base64"), analysis === null ? null : analysis.toString("base64")] as const,
      );
    /** What the view renders of the trace as objects, as the daemon's bytes, and as those bytes gzip-compressed. */
    const renderedEachWay = async (
      view: "profiler" | "heatmap" | "parallelism" | "cacheBreakers",
      detail: TraceDetail,
      analysis: TraceAnalysis | null,
    ) => {
      const asObjects = await open(view);
      await asObjects.send({ type: "trace", detail, analysis });
      const asBytes = await open(view);
      await sendJson(asBytes, JSON.stringify(detail), analysis && JSON.stringify(analysis));
      const asGzip = await open(view);
      await sendGzip(asGzip, gzipSync(JSON.stringify(detail)), analysis && gzipSync(JSON.stringify(analysis)));
      return [await asObjects.rendered(), await asBytes.rendered(), await asGzip.rendered()];
    };

    it("renders as the parsed message does: every trace view of a generated trace, the profiler of shared fixtures", async function () {
      const traces: [string, TraceDetail, TraceAnalysis | null][] = [];
      const generated = agentTrace(300, 5);
      traces.push(["generated", generated.detail, generated.analysis]);
      // Where ../shared is beside the repository: real sessions' text (escapes, non-ASCII, long tool output).
      for (const parts of [
        ["claude-code", "session-3fe1b6bc.jsonl"],
        ["otlp-openinference", "smol_deep_research_agent.json"],
      ]) {
        const file = traceFixture(...parts);
        if (!file) continue;
        const t = parseTraceFile(file, readFileSync(file, "utf8")).traces[0]!;
        const d = {
          trace: {
            traceId: t.spans[0]!.traceId,
            name: t.name,
            source: t.source,
            startNs: Math.min(...t.spans.map((x) => x.startNs)),
            endNs: Math.max(...t.spans.map((x) => x.endNs)),
            spanCount: t.spans.length,
          },
          spans: t.spans,
        } as unknown as TraceDetail;
        traces.push([parts.join("/"), d, analyzeTrace(t.spans, t.spans[0]!.traceId)]);
      }
      for (const [what, detail, analysis] of traces)
        for (const view of what === "generated"
          ? (["profiler", "heatmap", "parallelism", "cacheBreakers"] as const)
          : (["profiler"] as const)) {
          const [objects, bytes, gzipped] = await renderedEachWay(view, detail, analysis);
          assert.deepEqual(bytes, objects, `${what}, ${view}`);
          assert.deepEqual(gzipped, objects, `${what}, ${view}, gzip`);
        }
    });

    it("a detail an older daemon sent whole (no attributeCaps) has its long attributes cut as the daemon cuts them", async () => {
      const { detail, analysis } = agentTrace(20, 3);
      const target = detail.spans[2]!;
      target.attributes = { ...target.attributes, "gen_ai.tool.call.result": "r".repeat(10_000) };
      delete (detail as { attributeCaps?: unknown }).attributeCaps;
      const cut: TraceDetail = { ...structuredClone(detail), attributeCaps: VIEW_ATTRIBUTE_CAPS };
      capSpanAttributes(cut.spans, VIEW_ATTRIBUTE_CAPS);
      /** The target span's details as the view shows them after a click. */
      const shown = async (v: ViewPage) => {
        await v.rendered();
        await v.page.click(`.tl-row[data-span-id="${target.spanId}"] .label`);
        return v.page.locator(".details").innerText();
      };
      const whole = await open("profiler");
      await sendJson(whole, JSON.stringify(detail), JSON.stringify(analysis));
      const daemonCut = await open("profiler");
      await daemonCut.send({ type: "trace", detail: cut, analysis });
      const uncut = await open("profiler");
      await uncut.send({ type: "trace", detail, analysis });
      const [a, b, c] = [await shown(whole), await shown(daemonCut), await shown(uncut)];
      assert.equal(a, b, "cut as the daemon cuts");
      assert.notEqual(a, c, "the cut shows in the view");
    });

    it("a trace message that comes while an earlier one is still being decompressed wins; the earlier is dropped", async () => {
      const first = agentTrace(20_000, 8);
      const second = agentTrace(40, 9);
      const v = await open("profiler");
      await sendGzip(v, gzipSync(JSON.stringify(first.detail)), gzipSync(JSON.stringify(first.analysis)));
      await sendJson(v, JSON.stringify(second.detail), JSON.stringify(second.analysis));
      const s1 = await v.rendered();
      assert.equal(s1.traceId, second.detail.trace.traceId);
      // Long enough for the first to have been decompressed and parsed (it renders in ~0.3 s when it is the last).
      await new Promise((r) => setTimeout(r, 3000));
      const rendered = (await v.outbox()).filter((m) => m.type === "rendered");
      assert.deepEqual(
        rendered.map((m) => m.type === "rendered" && m.summary.traceId),
        [second.detail.trace.traceId],
      );
    });

    it("bytes that are not a detail (not JSON, cut, not UTF-8 text) say so in the view; the next trace renders", async () => {
      const { detail, analysis } = agentTrace(30, 4);
      const whole = JSON.stringify(detail);
      const v = await open("profiler");
      for (const bad of ["{not json", whole.slice(0, whole.length / 2)]) {
        await sendJson(v, bad, null);
        await v.page.waitForFunction(() => /Could not render/.test(document.getElementById("app")!.textContent ?? ""));
      }
      await v.page.evaluate(() =>
        window.postMessage(
          { type: "traceJson", detail: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), analysis: null },
          "*",
        ),
      );
      await v.page.waitForFunction(() => /Could not render/.test(document.getElementById("app")!.textContent ?? ""));
      // JSON that parses but that the view cannot draw (a span that is null): said in the view, as for a "trace".
      await v.page.evaluate(() => document.getElementById("app")!.replaceChildren());
      await sendJson(v, JSON.stringify({ ...detail, spans: [null], attributeCaps: VIEW_ATTRIBUTE_CAPS }), null);
      await v.page.waitForFunction(() => /Could not render/.test(document.getElementById("app")!.textContent ?? ""));
      // Said to be gzip, and not: not gzip at all, or cut short.
      const gz = gzipSync(whole);
      for (const bad of [Buffer.from(whole), gz.subarray(0, gz.length - 9)]) {
        await v.page.evaluate(() => document.getElementById("app")!.replaceChildren());
        await sendGzip(v, bad, null);
        await v.page.waitForFunction(() => /Could not render/.test(document.getElementById("app")!.textContent ?? ""));
      }
      await sendJson(v, whole, JSON.stringify(analysis), undefined);
      const s = await v.rendered();
      assert.equal(s.traceId, detail.trace.traceId);
      // An analysis that does not parse leaves the trace unrendered too (said in the view), never half shown.
      const n = (await v.outbox()).length;
      await sendJson(v, whole, "{cut");
      await v.page.waitForFunction(() => /Could not render/.test(document.getElementById("app")!.textContent ?? ""));
      assert.equal((await v.outbox()).length, n, "nothing rendered");
    });
  });

  describe("artifacts", () => {
    it("wrote a screenshot of each view", () => {
      for (const n of [
        "profiler",
        "profiler-owners",
        "profiler-few-critical",
        "profiler-hotspot",
        "profiler-zoomed",
        "profiler-analysed",
        "profiler-details",
        "heatmap",
        "parallelism",
        "cache-breakers",
        "audit",
        "dashboard",
      ]) {
        assert.ok(existsSync(`test-results/webview-${n}.png`), n);
      }
    });
  });
});
