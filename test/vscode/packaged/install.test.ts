// The extension as users get it (run.mjs's first packaged session): only the .vsix, no daemon anywhere the extension
// looks, hotpath.daemonPackage = the daemon's npm tarball. It must say the daemon is missing, install it from the
// notification, start it and go green. (The second session, path.test.ts, uses the daemon this one installed.)
import assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import { clickInWorkbench, hasDriver, screenshot, waitFor } from "../suite/driver.js";
import { hotpath } from "../suite/env.js";

describe("the packaged extension brings its daemon", function () {
  this.timeout(30 * 60_000);

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
      25 * 60_000,
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
    await ctx.daemon.stop();
  });
});
