import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import { daemonPackageSpec, installDaemonInTerminal } from "../install.js";

/** "Hotpath: Install the Daemon": npm install -g in a terminal, then start it. */
export function installDaemon(ctx: Ctx) {
  return async (): Promise<void> => {
    const version = String((ctx.extension.extension.packageJSON as { version?: string }).version ?? "latest");
    const spec = daemonPackageSpec(ctx.config.daemonPackage, version);
    const result = await installDaemonInTerminal(spec, ctx.log, ctx.config.nodePath);
    if (!result.ok) throw new Error(`Installing the Hotpath daemon failed: ${result.detail}`);
    await ctx.daemon.restart();
    vscode.window.setStatusBarMessage(`Hotpath daemon installed and running at ${ctx.daemon.baseUrl}`, 5000);
  };
}
