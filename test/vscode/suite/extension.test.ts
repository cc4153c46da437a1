// Activation, contributions, settings, secrets and the commands that need no daemon.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { screenshot, waitFor } from "./driver.js";
import { EXTENSION_ID, hotpath, setSetting } from "./env.js";

describe("extension", () => {
  it("activates and registers every contributed command", async () => {
    const api = await hotpath();
    assert.ok(api.ctx, "activate returns the context");
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string; category: string }[] };
    };
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = pkg.contributes.commands;
    assert.ok(contributed.length >= 14);
    for (const c of contributed) {
      assert.equal(c.category, "Hotpath", c.command);
      assert.ok(all.has(c.command), `${c.command} is registered`);
    }
  });

  it("contributes settings, each with a description, and reads them typed", async () => {
    const { ctx } = await hotpath();
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> };
      };
    };
    const props = pkg.contributes.configuration.properties;
    for (const k of ["hotpath.nodePath", "hotpath.port", "hotpath.dataDir", "hotpath.models", "hotpath.autoStart"]) {
      assert.ok(props[k], k);
      assert.ok((props[k]!.description ?? props[k]!.markdownDescription ?? "").length > 20, `${k} has a description`);
    }
    // run.mjs wrote a port and a data dir into the user settings for this run.
    assert.equal(ctx.config.port, vscode.workspace.getConfiguration("hotpath").get("port"));
    assert.ok(path.isAbsolute(ctx.config.dataDir));
  });

  it("shows a status bar item with the daemon's state", async () => {
    const { ctx } = await hotpath();
    ctx.status.update();
    assert.match(ctx.status.text, /Hotpath/);
    assert.match(ctx.status.text, new RegExp(ctx.daemon.state));
  });

  it("the tree view has its three sections", async () => {
    const { ctx } = await hotpath();
    const roots = await ctx.tree.getChildren();
    assert.deepEqual(
      roots.map((r) => ctx.tree.getTreeItem(r).label),
      ["Recent traces", "Models", "Cache namespaces"],
    );
    await vscode.commands.executeCommand("workbench.view.extension.hotpath");
    await screenshot("tree-view");
  });

  it("Set Provider API Key… keeps the key in SecretStorage and hands it to the daemon's environment only", async () => {
    const { ctx } = await hotpath();
    const key = `sk-hotpath-test-${Date.now()}`;
    assert.equal(await vscode.commands.executeCommand("hotpath.setApiKey", "anthropic", key), true);
    assert.equal((await ctx.keys.env()).ANTHROPIC_API_KEY, key);
    assert.doesNotMatch(JSON.stringify(vscode.workspace.getConfiguration("hotpath")), new RegExp(key));
    const userSettings = process.env.HOTPATH_TEST_USER_SETTINGS;
    if (userSettings) assert.doesNotMatch(readFileSync(userSettings, "utf8"), new RegExp(key));
    // An empty key deletes it.
    await vscode.commands.executeCommand("hotpath.setApiKey", "anthropic", "");
    assert.equal((await ctx.keys.env()).ANTHROPIC_API_KEY, undefined);
  });

  it("Select Local Model… with a model sets the default model shown in the status bar", async () => {
    const { ctx } = await hotpath();
    assert.equal(await vscode.commands.executeCommand("hotpath.selectModel", "stories"), "stories");
    assert.equal(vscode.workspace.getConfiguration("hotpath").get("defaultModel"), "stories");
    assert.equal(ctx.config.defaultModel, "stories");
    await setSetting("defaultModel", undefined);
  });

  it("Copy OpenAI Base URL copies the daemon's /v1 URL", async () => {
    const { ctx } = await hotpath();
    const url = await vscode.commands.executeCommand<string>("hotpath.copyBaseUrl");
    assert.equal(url, `http://127.0.0.1:${ctx.config.port}/v1`);
    assert.equal(await vscode.env.clipboard.readText(), url);
  });

  it("Audit Prompt with no editor open asks for a prompt file instead of failing", async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    assert.equal(await vscode.commands.executeCommand("hotpath.auditPrompt"), undefined);
  });

  it("audit diagnostics mark a removable section and the quick fix deletes it", async () => {
    const api = await hotpath();
    const dir = mkdtempSync(path.join(tmpdir(), "hotpath-audit-"));
    const file = path.join(dir, "system.md");
    writeFileSync(file, "# Role\nYou are a coding agent.\n# Style\nAnswer in haiku.\n# Tools\nUse Read before Edit.\n");
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const range = (a: number, b: number) => ({
      startLine: a,
      startCharacter: 0,
      endLine: b,
      endCharacter: doc.lineAt(b).text.length,
    });
    // A report as the daemon's ablation run returns it (mapped to the view model): "Style" was removable.
    const diags = api.publishAuditDiagnostics(
      doc.uri,
      {
        mode: "ablation",
        findings: [],
        notes: [],
        sections: [
          { id: "a", name: "Role", verdict: "essential", tokens: 8, range: range(0, 1) },
          {
            id: "b",
            name: "Style",
            verdict: "removable",
            tokens: 6,
            qualityDelta: { mean: 0.2, low: -1, high: 1.5 },
            range: range(2, 3),
          },
          { id: "c", name: "Tools", verdict: "inconclusive — needs more samples", tokens: 7, range: range(4, 5) },
        ],
      },
      0,
    );
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.range.start.line, 2);
    assert.deepEqual(
      vscode.languages.getDiagnostics(doc.uri).map((d) => d.code),
      ["removable-section"],
    );
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.uri);
    const titles = lenses.map((l) => l.command?.title ?? "").filter((t) => t.startsWith("Hotpath:"));
    assert.equal(titles.length, 3);
    assert.match(titles[1]!, /removable · 6 tokens · quality \+0\.2 pp/);
    // The workbench may cancel a code-action request while it reacts to the new diagnostics — by throwing "Canceled"
    // or by answering with no actions: ask again then (bounded).
    let fix: vscode.CodeAction | undefined;
    for (let attempt = 0; attempt < 8 && !fix?.edit; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
      try {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
          "vscode.executeCodeActionProvider",
          doc.uri,
          diags[0]!.range,
          vscode.CodeActionKind.QuickFix.value,
        );
        fix = actions.find((a) => a.title.includes("Remove this prompt section"));
      } catch (e) {
        if (!/Canceled/.test(String(e))) throw e;
      }
    }
    assert.ok(fix?.edit, "a quick fix is offered");
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(doc.getText(), "# Role\nYou are a coding agent.\n# Tools\nUse Read before Edit.\n");
    await doc.save();
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });

  describe("a daemon that cannot run", () => {
    before(async () => {
      // With autoStart off the daemon starts when the Hotpath view is first shown (the tree test above showed it):
      // these tests need none running.
      const { ctx } = await hotpath();
      await waitFor(
        "a start in progress to settle",
        () => (ctx.daemon.state === "starting" ? undefined : true),
        90_000,
      );
      await ctx.daemon.stop();
    });
    afterEach(async () => {
      const { ctx } = await hotpath();
      await setSetting("daemonPath", undefined);
      await ctx.daemon.stop();
    });

    it("reports a missing daemon bundle with what to do", async () => {
      const { ctx } = await hotpath();
      await setSetting("daemonPath", "/nonexistent/hotpath/main.js");
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand("hotpath.startDaemon")),
        /does not exist.*hotpath\.daemonPath/,
      );
      assert.equal(ctx.daemon.state, "failed");
      ctx.status.update();
      assert.match(ctx.status.text, /failed/);
    });

    it("reports a daemon that exits before answering /healthz", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "hotpath-bad-daemon-"));
      const script = path.join(dir, "main.js");
      writeFileSync(script, "console.error('bad daemon: refusing to start'); process.exit(3);\n");
      chmodSync(script, 0o755);
      await setSetting("daemonPath", script);
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand("hotpath.startDaemon")),
        /exited with 3 before answering \/healthz \(bad daemon: refusing to start\)/,
      );
    });
  });
});
