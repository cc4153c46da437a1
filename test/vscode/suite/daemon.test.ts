// The daemon's lifecycle from the extension: start, connect, live events, restart after a crash, stop, connect to
// an external daemon; the dashboard and the tree fed by it. A real daemon (dist/daemon/main.js) with a temp data dir.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { DaemonEvent } from "../../../daemon/api.js";
import type { AuditReportView } from "../../../webview/protocol.js";
import { screenshot, waitFor } from "./driver.js";
import { daemonBundle, hotpath, setSetting, sharedPath } from "./env.js";

describe("daemon lifecycle", function () {
  before(async function () {
    if (!existsSync(daemonBundle())) {
      console.log(`      skipped: no daemon bundle at ${daemonBundle()} (npm run build)`);
      this.skip();
    }
    // A real model makes real request events; the tiny stories260K is enough (absent in a user's clone: no events then).
    const model = sharedPath("models", "stories260K.gguf");
    if (model) await setSetting("models", [`stories=${model}`]);
    await setSetting("extraArgs", ["--threads", "1"]);
  });
  after(async () => {
    const { ctx } = await hotpath();
    await setSetting("models", undefined);
    await setSetting("extraArgs", undefined);
    await ctx.daemon.stop();
  });

  it("Start Daemon starts the bundled daemon and connects with the token from the data dir", async () => {
    const { ctx } = await hotpath();
    await vscode.commands.executeCommand("hotpath.startDaemon");
    assert.equal(ctx.daemon.state, "running");
    assert.equal(ctx.daemon.external, false);
    assert.ok(ctx.daemon.pid);
    assert.ok(existsSync(path.join(ctx.config.dataDir, "token")), "the daemon wrote its token");
    assert.equal((await ctx.client.health()).status, "ok");
    // Without the token the daemon refuses: the client really authenticates.
    const res = await fetch(`${ctx.daemon.baseUrl}/v1/models`);
    assert.equal(res.status, 401);
    assert.ok(Array.isArray((await ctx.client.models()).data));
    ctx.status.update();
    assert.match(ctx.status.text, /req\/s/);
    assert.match(ctx.status.text, /cache/);
  });

  it("receives live request events and shows them in the status bar and the dashboard", async function () {
    const { ctx } = await hotpath();
    if (!sharedPath("models", "stories260K.gguf")) this.skip();
    const seen: DaemonEvent[] = [];
    const sub = ctx.onDidReceiveEvent((e) => seen.push(e));
    try {
      const panel = await vscode.commands.executeCommand<{ view: string }>("hotpath.showCacheStats");
      assert.equal(panel.view, "dashboard");
      await waitFor(
        "the event socket",
        async () => {
          // Keep asking until the socket is up and an event for our request arrives.
          await ctx.client
            .request(
              "POST",
              "/v1/chat/completions",
              JSON.stringify({
                model: "stories",
                messages: [{ role: "user", content: "Once upon a time" }],
                max_tokens: 8,
              }),
              60_000,
            )
            .catch(() => undefined);
          return seen.find((e) => e.type === "request.finished");
        },
        90_000,
      );
      assert.ok(ctx.metrics.requestsPerSecond() > 0);
      ctx.status.update();
      assert.doesNotMatch(ctx.status.text, / 0\.0 req\/s/);
      const summary = await ctx.panels.get("dashboard")!.query();
      assert.match(summary.text, /stories/, "the request shows in the dashboard's table");
      await screenshot("dashboard");
    } finally {
      sub.dispose();
    }
  });

  it("Audit Prompt with a spec beside the prompt runs the ablation on a model and shows each section's verdict", async function () {
    const { ctx } = await hotpath();
    if (!sharedPath("models", "stories260K.gguf")) this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), "hotpath-ablation-"));
    const file = path.join(dir, "story.md");
    writeFileSync(file, "# Role\nYou tell short stories.\n\n# Style\nUse small words.\n\n# Ending\nEnd happily.\n");
    // The spec names the prompt by path, as a user writes it; the extension sends the open text (the daemon reads
    // no files named in requests).
    const spec = {
      prompt: "story.md",
      model: "stories",
      inputs: ["Once upon a time"],
      samples: 1,
      request: { temperature: 0, max_tokens: 8 },
      checks: [{ type: "exact" }],
    };
    writeFileSync(path.join(dir, "story.hotpath-audit.json"), JSON.stringify(spec));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const report = await vscode.commands.executeCommand<AuditReportView>("hotpath.auditPrompt", { ablation: true });
    assert.equal(report.mode, "ablation");
    assert.equal(report.model, "stories");
    assert.deepEqual(
      report.sections.map((s) => s.name),
      ["Role", "Style", "Ending"],
    );
    for (const s of report.sections) {
      assert.match(s.verdict, /^(removable|essential|inconclusive — needs more samples|not audited)$/, s.name);
      assert.ok(s.range, `${s.name} has a range in the file`);
    }
    assert.equal(typeof report.baselineQuality, "number");
    assert.match(report.combined ?? "", /^Removing \d+ section\(s\) together: /);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      "vscode.executeCodeLensProvider",
      vscode.Uri.file(file),
    );
    assert.equal(lenses.filter((l) => l.command?.title.startsWith("Hotpath:")).length, 3);
    assert.ok(ctx.panels.get("audit"), "the audit panel shows the report");
  });

  it("the tree lists the daemon's models", async function () {
    const { ctx } = await hotpath();
    const roots = await ctx.tree.getChildren();
    const models = await ctx.tree.getChildren(roots[1]);
    const labels = models.map((m) => String(ctx.tree.getTreeItem(m).label));
    if (sharedPath("models", "stories260K.gguf")) assert.ok(labels.includes("stories"), labels.join(","));
    else assert.ok(labels.length >= 1);
  });

  it("Restart Daemon replaces the process", async () => {
    const { ctx } = await hotpath();
    const before = ctx.daemon.pid;
    await vscode.commands.executeCommand("hotpath.restartDaemon");
    assert.equal(ctx.daemon.state, "running");
    assert.notEqual(ctx.daemon.pid, before);
  });

  it("restarts a daemon that died (with backoff) and reconnects", async () => {
    const { ctx } = await hotpath();
    const pid = ctx.daemon.pid!;
    const states: string[] = [];
    const sub = ctx.daemon.onDidChangeState((s) => states.push(s));
    try {
      process.kill(pid, "SIGKILL");
      await waitFor(
        "the daemon to come back",
        () => (ctx.daemon.state === "running" && ctx.daemon.pid !== pid ? true : undefined),
        60_000,
      );
      assert.ok(states.includes("restarting"), states.join(" → "));
      assert.equal((await ctx.client.health()).status, "ok");
    } finally {
      sub.dispose();
    }
  });

  it("Stop Daemon stops it", async () => {
    const { ctx } = await hotpath();
    const pid = ctx.daemon.pid!;
    await vscode.commands.executeCommand("hotpath.stopDaemon");
    assert.equal(ctx.daemon.state, "stopped");
    assert.throws(() => process.kill(pid, 0), "the process is gone");
    await assert.rejects(ctx.client.health(1000));
  });

  it("connects to a daemon that is already listening instead of starting another", async () => {
    const { ctx } = await hotpath();
    const outside = spawn(
      process.execPath,
      [daemonBundle(), "serve", "--port", String(ctx.config.port), "--data-dir", ctx.config.dataDir],
      { stdio: "ignore" },
    );
    try {
      await waitFor(
        "the outside daemon",
        () =>
          ctx.client.health(500).then(
            () => true,
            () => undefined,
          ),
        60_000,
      );
      await vscode.commands.executeCommand("hotpath.startDaemon");
      assert.equal(ctx.daemon.state, "running");
      assert.equal(ctx.daemon.external, true);
      assert.equal(ctx.daemon.pid, undefined, "no child of ours");
      await vscode.commands.executeCommand("hotpath.stopDaemon");
      assert.equal((await ctx.client.health()).status, "ok", "stopping does not kill a daemon we did not start");
    } finally {
      outside.kill("SIGTERM");
      await new Promise((r) => outside.once("exit", r));
    }
  });
});
