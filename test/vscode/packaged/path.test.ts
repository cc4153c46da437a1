// The extension as users get it, with the daemon already installed (run.mjs's second packaged session): only the .vsix,
// and `hotpath` from the daemon's npm tarball on the PATH of the user's login shell (VS Code's extension host takes
// its environment from `$SHELL -i -l`; not in npm's prefix, not in any setting). The extension must find it there and
// start it; Import Trace File… then Open Profiler shows the spans.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ImportResult } from "../../../daemon/api.js";
import type { PanelHost } from "../../../extension/panels/host.js";
import { screenshot, waitFor } from "../suite/driver.js";
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

describe("the packaged extension with the daemon on PATH", function () {
  this.timeout(5 * 60_000);

  it("finds `hotpath` on PATH and starts it", async () => {
    const { ctx } = await hotpath();
    const onPath = process.env.HOTPATH_TEST_DAEMON_BIN;
    assert.ok(onPath, "run.mjs names the bin folder it put on PATH");
    await waitFor(
      "the daemon on PATH to run",
      () => (["running", "failed", "not-installed"].includes(ctx.daemon.state) ? true : undefined),
      180_000,
    );
    assert.equal(ctx.daemon.state, "running", `${ctx.daemon.lastError}; PATH=${process.env.PATH}`);
    assert.equal(ctx.daemon.external, false);
    assert.equal(ctx.daemon.launch?.entry.source, path.join(onPath, "hotpath"));
    ctx.status.update();
    assert.match(ctx.status.text, /^\$\(pulse\) Hotpath/);
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
