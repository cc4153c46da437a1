import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";

export function startDaemon(ctx: Ctx) {
  return async (): Promise<void> => {
    try {
      await ctx.ensureDaemon();
      vscode.window.setStatusBarMessage(`Hotpath daemon running at ${ctx.daemon.baseUrl}`, 4000);
    } catch (e) {
      ctx.log.show(true);
      throw new Error(`Hotpath daemon did not start: ${(e as Error).message}`);
    }
  };
}
