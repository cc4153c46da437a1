// The acceptance path: import a Claude Code session through the daemon, open it in the profiler, find its spans,
// the critical path and the parallelizable group in the webview's DOM, click a span; every trace panel; audit.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ImportResult, TraceDetail } from "../../../daemon/api.js";
import type { PanelHost } from "../../../extension/panels/host.js";
import { generateClaudeSession } from "../../bench/_trace-generators.js";
import { clickInWebview, hasDriver, screenshot, waitFor } from "./driver.js";
import { daemonBundle, hotpath, sharedPath } from "./env.js";

const FIXTURE = ["fixtures", "traces", "claude-code", "incremental-subagents", "turn-2.jsonl"];

async function rendered(panel: PanelHost, traceId: string) {
  return waitFor(
    `the ${panel.view} webview to render ${traceId}`,
    () => (panel.lastRender?.traceId === traceId ? panel.lastRender : undefined),
    30_000,
  );
}

describe("traces in the webviews", function () {
  let imported: ImportResult;
  let detail: TraceDetail;

  before(async function () {
    const fixture = sharedPath(...FIXTURE);
    if (!existsSync(daemonBundle())) {
      console.log(`      skipped: no daemon bundle at ${daemonBundle()}`);
      this.skip();
    }
    if (!fixture) {
      console.log(`      skipped: the Claude Code fixture ../shared/${FIXTURE.join("/")} is absent`);
      this.skip();
    }
    const { ctx } = await hotpath();
    await vscode.commands.executeCommand("hotpath.startDaemon");
    const probe = await fetch(`${ctx.daemon.baseUrl}/hotpath/traces?limit=1`, {
      headers: { authorization: `Bearer ${readFileSync(path.join(ctx.config.dataDir, "token"), "utf8").trim()}` },
    });
    if (probe.status === 404) {
      console.log("      skipped: this daemon has no /hotpath/traces API yet (the traces branch is not merged)");
      this.skip();
    }
  });
  after(async () => {
    const { ctx } = await hotpath();
    await ctx.daemon.stop();
  });

  it("Import Trace File… imports the Claude Code session", async () => {
    const { ctx } = await hotpath();
    imported = (await vscode.commands.executeCommand<ImportResult>("hotpath.importTrace", sharedPath(...FIXTURE)))!;
    assert.ok(imported.traceIds.length >= 1, JSON.stringify(imported));
    assert.ok(imported.spanCount > 10, `spans: ${imported.spanCount}`);
    assert.equal(ctx.currentTraceId, imported.traceIds[0]);
    detail = await ctx.client.trace(imported.traceIds[0]!);
    const roots = await ctx.tree.getChildren();
    const traces = await ctx.tree.getChildren(roots[0]);
    assert.ok(
      traces.some((t) => t.kind === "trace" && t.trace.traceId === imported.traceIds[0]),
      "the tree lists the imported trace",
    );
  });

  it("Open Profiler shows the trace's spans with the critical path marked and its parallelizable group listed", async () => {
    const { ctx } = await hotpath();
    const panel = (await vscode.commands.executeCommand<PanelHost>("hotpath.openProfiler"))!;
    const s = await rendered(panel, imported.traceIds[0]!);
    const ids = new Set(detail.spans.map((x) => x.spanId));
    assert.ok(s.spanRowsInDom > 5, `rows: ${s.spanRowsInDom}`);
    for (const id of s.spanIdsInDom) assert.ok(ids.has(id), `row ${id} belongs to the trace`);
    assert.ok(s.criticalInDom > 0, "critical path marked");
    const analysis = await ctx.client.analysis(imported.traceIds[0]!);
    assert.ok(
      analysis.parallelGroups.length >= 1,
      "the fixture has a parallelizable group (ground truth: six consecutive find/ls calls)",
    );
    assert.equal(s.parallelGroupsListed, analysis.parallelGroups.length);
    // The detail and analysis went to the webview as the daemon's bytes; the title's name was read from their head.
    assert.ok(detail.trace.name, "the fixture's trace has a name");
    assert.ok(panel.panel.title.endsWith(` — ${detail.trace.name}`), panel.panel.title);
    // Read back from the DOM now, not from the render report.
    const now = await panel.query();
    assert.ok(now.spanRowsInDom > 5);
    assert.match(now.text, /Parallelizable tool calls \(\d+\)/);
    await screenshot("profiler");
  });

  it("clicking a span in the webview selects it and shows its details", async function () {
    if (!hasDriver) this.skip();
    const panel = ctx().panels.get("profiler")!;
    const target = panel.lastRender!.spanIdsInDom[3]!;
    await clickInWebview(`.tl-row[data-span-id="${target}"] .label`);
    const sel = await waitFor("the span selection", () =>
      panel.lastSelectedSpan?.spanId === target ? panel.lastSelectedSpan : undefined,
    );
    assert.equal(sel.name, detail.spans.find((x) => x.spanId === target)!.name);
    assert.equal((await panel.query()).selectedSpanId, target);
    await screenshot("profiler-span-details");
  });

  it("a span that names a file opens it in the editor (matched inside the workspace by its trailing path)", async function () {
    if (!hasDriver) this.skip();
    const read = detail.spans.find((x) =>
      String(x.attributes["gen_ai.tool.call.arguments"] ?? "").includes("src/cli/index.ts"),
    );
    assert.ok(read, "the fixture reads src/cli/index.ts");
    await clickInWebview(`.tl-row[data-span-id="${read.spanId}"] .label`);
    await clickInWebview(`.details button[data-file$="src/cli/index.ts"]`);
    const editor = await waitFor("the file to open", () =>
      vscode.window.activeTextEditor?.document.uri.path.endsWith("/src/cli/index.ts")
        ? vscode.window.activeTextEditor
        : undefined,
    );
    assert.match(editor.document.getText(), /stand-in for codemie-code/);
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });

  for (const [command, view, shot] of [
    ["hotpath.showParallelism", "parallelism", "parallelism"],
    ["hotpath.showHeatmap", "heatmap", "heatmap"],
    ["hotpath.showCacheBreakers", "cacheBreakers", "cache-breakers"],
  ] as const) {
    it(`${command} opens the ${view} panel for the trace`, async () => {
      const panel = (await vscode.commands.executeCommand<PanelHost>(command))!;
      assert.equal(panel.view, view);
      const s = await rendered(panel, imported.traceIds[0]!);
      assert.ok(s.text.length > 20, s.text);
      if (view === "parallelism") assert.ok(s.parallelGroupsListed >= 1);
      await screenshot(shot);
    });
  }

  it("Open Trace… with an id opens that trace in the profiler", async () => {
    const panel = (await vscode.commands.executeCommand<PanelHost>("hotpath.openTrace", imported.traceIds[0]))!;
    assert.equal(panel.view, "profiler");
    assert.equal((await panel.query()).traceId, imported.traceIds[0]);
  });

  it("Audit Prompt lists the open prompt's sections and findings in the audit panel (when the daemon has the audit API)", async function () {
    const { ctx } = await hotpath();
    const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? ctx.config.dataDir;
    mkdirSync(path.join(dir, "prompts"), { recursive: true });
    const file = path.join(dir, "prompts", "system.md");
    writeFileSync(
      file,
      "# Role\nYou are a careful coding agent. Always check your work.\n\n# Style\nAlways answer in haiku. Always check your work.\n\n# Tools\nUse Read before Edit.\n",
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    let report: { mode: string; sections: unknown[] } | undefined;
    try {
      report = await vscode.commands.executeCommand("hotpath.auditPrompt", { ablation: false });
    } catch (e) {
      if (/404|503|no endpoint|not enabled/.test((e as Error).message)) {
        console.log(`      skipped: this daemon has no audit API yet (${(e as Error).message.slice(0, 80)})`);
        this.skip();
      }
      throw e;
    }
    assert.equal(report!.mode, "sections");
    assert.deepEqual(
      (report!.sections as { name: string }[]).map((x) => x.name),
      ["Role", "Style", "Tools"],
    );
    // A static finding with a section lands as a diagnostic; every section gets a CodeLens.
    const uri = vscode.Uri.file(file);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri);
    assert.equal(lenses.filter((l) => l.command?.title.startsWith("Hotpath:")).length, 3);
    await waitFor("the audit panel", () => ctx.panels.get("audit")?.lastRender);
    await screenshot("audit");
  });
});

// The same views on a generated session, so a checkout without ../shared (a user's clone, a fresh CI clone) still
// sends a trace through the real VS Code: the daemon's bytes to the webview, gzip-compressed here (code-server's
// extension host is remote; extension/panels/webview-bytes.ts).
describe("a generated trace in every trace view (no ../shared needed)", function () {
  let traceId: string;
  let detail: TraceDetail;

  before(async function () {
    if (!existsSync(daemonBundle())) {
      console.log(`      skipped: no daemon bundle at ${daemonBundle()}`);
      this.skip();
    }
    const { ctx } = await hotpath();
    await vscode.commands.executeCommand("hotpath.startDaemon");
    // Tool results long enough to be cut to the views' caps; the first prompt (the trace's name) with characters JSON
    // escapes and characters beyond ASCII.
    const text = generateClaudeSession(3000)
      .replaceAll("bench-session", "vscode-generated")
      .replace("refactor the module", 'refactor \\"the\\" módulo \\\\ {now} ✓')
      .replaceAll("x".repeat(120), "x".repeat(6000));
    const imported = await ctx.client.importTrace("generated.jsonl", new Uint8Array(Buffer.from(text)));
    traceId = imported.traceIds[0]!;
    detail = await ctx.client.trace(traceId);
  });
  after(async () => {
    const { ctx } = await hotpath();
    await ctx.daemon.stop();
  });

  for (const [command, view] of [
    ["hotpath.openProfiler", "profiler"],
    ["hotpath.showParallelism", "parallelism"],
    ["hotpath.showHeatmap", "heatmap"],
    ["hotpath.showCacheBreakers", "cacheBreakers"],
  ] as const) {
    it(`${command} renders it, titled with the trace's name`, async () => {
      const panel = (await vscode.commands.executeCommand<PanelHost>(command, traceId))!;
      assert.equal(panel.view, view);
      const s = await rendered(panel, traceId);
      assert.ok(s.text.length > 20, s.text);
      assert.equal(detail.trace.name, 'refactor "the" módulo \\ {now} ✓');
      assert.ok(panel.panel.title.endsWith(` — ${detail.trace.name}`), panel.panel.title);
      if (view === "profiler") {
        const ids = new Set(detail.spans.map((x) => x.spanId));
        assert.ok(s.spanRowsInDom > 5, `rows: ${s.spanRowsInDom}`);
        for (const id of s.spanIdsInDom) assert.ok(ids.has(id), `row ${id} belongs to the trace`);
      }
    });
  }
});

function ctx() {
  return (
    vscode.extensions.getExtension("hotpath.hotpath")!.exports as { ctx: import("../../../extension/ctx.js").Ctx }
  ).ctx;
}
