// The extension as users get it (run.mjs's packaged session): only the .vsix, no daemon anywhere the extension looks,
// hotpath.daemonPackage = the daemon's npm tarball. It must say the daemon is missing, install it from the
// notification, start it, and then import and profile a trace with it.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ImportResult } from "../../../daemon/api.js";
import type { PanelHost } from "../../../extension/panels/host.js";
import { clickInWorkbench, hasDriver, screenshot, waitFor } from "../suite/driver.js";
import { hotpath } from "../suite/env.js";

/** An OTLP/JSON trace of a small agent run: one model call, then two tool calls that did not depend on each other. */
function otlpTrace(): string {
  const traceId = "5b8aa5a2d2c872e8321cf37308d69df2";
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const ms = (n: number) => String(t0 + BigInt(n) * 1_000_000n);
  const span = (
    spanId: string,
    parent: string | undefined,
    name: string,
    start: number,
    end: number,
    attrs: Record<string, string>,
  ) => ({
    traceId,
    spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    name,
    kind: 1,
    startTimeUnixNano: ms(start),
    endTimeUnixNano: ms(end),
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value: { stringValue: value } })),
  });
  const spans = [
    span("a1a1a1a1a1a1a1a1", undefined, "invoke_agent packaged-test", 0, 9000, {
      "gen_ai.operation.name": "invoke_agent",
    }),
    span("b2b2b2b2b2b2b2b2", "a1a1a1a1a1a1a1a1", "chat gpt-4o", 100, 2100, {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o",
    }),
    span("c3c3c3c3c3c3c3c3", "a1a1a1a1a1a1a1a1", "execute_tool read_file", 2200, 5200, {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "read_file",
    }),
    span("d4d4d4d4d4d4d4d4", "a1a1a1a1a1a1a1a1", "execute_tool list_dir", 5300, 8800, {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "list_dir",
    }),
  ];
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "packaged-test" } }] },
        scopeSpans: [{ scope: { name: "test" }, spans }],
      },
    ],
  });
}

describe("the packaged extension brings its daemon", function () {
  this.timeout(45 * 60_000);

  it("with no daemon anywhere, it says so and offers to install it", async () => {
    const { ctx } = await hotpath();
    await waitFor("the not-installed state", () => (ctx.daemon.state === "not-installed" ? true : undefined), 120_000);
    ctx.status.update();
    assert.match(ctx.status.text, /daemon not installed/);
    assert.deepEqual(await ctx.tree.getChildren(), [], "an empty tree: the view shows its install welcome text");
    assert.match(ctx.daemon.lastError ?? "", /not installed/);
  });

  it("Install the Hotpath daemon installs hotpath.daemonPackage, starts it, and goes green", async () => {
    const { ctx } = await hotpath();
    if (hasDriver) {
      // The notification itself, clicked in the workbench (toast or notification centre).
      await vscode.commands.executeCommand("notifications.showList");
      await clickInWorkbench('.notification-list-item .monaco-button:has-text("Install the Hotpath daemon")');
    } else {
      void vscode.commands.executeCommand("hotpath.installDaemon");
    }
    await waitFor(
      "the installed daemon to run",
      () => (ctx.daemon.state === "running" ? true : ctx.daemon.state === "failed" ? "failed" : undefined),
      40 * 60_000,
    );
    assert.equal(ctx.daemon.state, "running", ctx.daemon.lastError);
    assert.equal(ctx.daemon.external, false);
    assert.ok(
      ctx.daemon.launch?.entry.script.includes(path.join("npm-global", "lib", "node_modules", "hotpath")),
      ctx.daemon.launch?.entry.script,
    );
    ctx.status.update();
    assert.match(ctx.status.text, /^\$\(pulse\) Hotpath/);
    await screenshot("packaged-daemon-installed");
  });

  it("Import Trace File… then Open Profiler shows the spans", async () => {
    const { ctx } = await hotpath();
    const file = path.join(mkdtempSync(path.join(tmpdir(), "hotpath-packaged-")), "agent-run.json");
    writeFileSync(file, otlpTrace());
    const imported = (await vscode.commands.executeCommand<ImportResult>("hotpath.importTrace", file))!;
    assert.equal(imported.traceIds.length, 1, JSON.stringify(imported));
    assert.equal(imported.spanCount, 4);
    const panel = (await vscode.commands.executeCommand<PanelHost>("hotpath.openProfiler"))!;
    const traceId = imported.traceIds[0]!;
    const shown = await waitFor(
      "the profiler to render the trace",
      () => (panel.lastRender?.traceId === traceId ? panel.lastRender : undefined),
      60_000,
    );
    assert.ok(shown.spanRowsInDom >= 4, `rows: ${shown.spanRowsInDom}`);
    await screenshot("packaged-profiler");
    await ctx.daemon.stop();
  });
});
