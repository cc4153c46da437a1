import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";

export function restartDaemon(ctx: Ctx) {
  return async (): Promise<void> => {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Restarting the Hotpath daemon…" },
      () => ctx.daemon.restart(),
    );
  };
}
