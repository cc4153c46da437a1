import * as vscode from "vscode";
import type { LocalModelStatus } from "../../daemon/api.js";
import type { Ctx } from "../ctx.js";
import { modelAlias, type ModelArg } from "../models.js";

/** Loads a local model now (instead of on its first request), with progress while it loads. */
export function loadModel(ctx: Ctx) {
  return async (arg?: ModelArg): Promise<LocalModelStatus | undefined> => {
    const alias = await modelAlias(ctx, arg, "Hotpath: Load Model", (m) => m.state !== "ready");
    if (!alias) return undefined;
    const client = await ctx.ensureDaemon();
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Hotpath: loading ${alias}…` },
      () => client.loadModel(alias),
    );
    ctx.tree.refresh();
    return status;
  };
}
