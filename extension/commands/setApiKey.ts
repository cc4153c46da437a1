import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import { PROVIDERS, type ProviderId } from "../secrets.js";

/** Stores a provider key in SecretStorage (never settings or files); the daemon gets it in its environment at start. */
export function setApiKey(ctx: Ctx) {
  return async (providerArg?: string, keyArg?: string): Promise<boolean> => {
    let provider = PROVIDERS.find((p) => p.id === providerArg);
    if (!provider) {
      const items = await Promise.all(
        PROVIDERS.map(async (p) => ({
          label: p.label,
          description: (await ctx.keys.has(p.id)) ? "key stored" : p.env,
          id: p.id,
        })),
      );
      const pick = await vscode.window.showQuickPick(items, {
        title: "Hotpath: Set Provider API Key",
        placeHolder: "Which provider?",
      });
      provider = PROVIDERS.find((p) => p.id === pick?.id);
    }
    if (!provider) return false;
    const key =
      keyArg ??
      (await vscode.window.showInputBox({
        title: `${provider.label} API key`,
        prompt:
          "Kept in VS Code's secret storage and handed to the daemon as an environment variable. Leave empty to delete.",
        password: true,
        ignoreFocusOut: true,
      }));
    if (key === undefined) return false;
    if (key.trim() === "") await ctx.keys.delete(provider.id as ProviderId);
    else await ctx.keys.set(provider.id as ProviderId, key.trim());
    if (ctx.daemon.state === "running" && !ctx.daemon.external) {
      void vscode.window
        .showInformationMessage(`${provider.label} key saved. Restart the daemon to use it?`, "Restart")
        .then((a) => {
          if (a) void vscode.commands.executeCommand("hotpath.restartDaemon");
        });
    }
    return true;
  };
}
