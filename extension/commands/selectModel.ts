import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";

/** Picks the default local model from the daemon's list, or adds a GGUF file to hotpath.models. */
export function selectModel(ctx: Ctx) {
  return async (modelArg?: string): Promise<string | undefined> => {
    let model = modelArg;
    if (!model) {
      let models: { label: string; description?: string }[] = [];
      try {
        const client = await ctx.ensureDaemon();
        models = (await client.models()).data
          .filter((m) => !m.hotpath?.embedding)
          .map((m) => ({
            label: m.id,
            description: [m.hotpath?.route ?? m.owned_by, m.hotpath?.loaded ? "loaded" : ""]
              .filter(Boolean)
              .join(" · "),
          }));
      } catch (e) {
        ctx.log.appendLine(`[hotpath] could not list models: ${(e as Error).message}`);
      }
      const addFile = {
        label: "$(add) Add a GGUF file…",
        description: "adds it to hotpath.models and restarts the daemon",
      };
      const pick = await vscode.window.showQuickPick([...models, addFile], { title: "Hotpath: Select Local Model" });
      if (!pick) return undefined;
      if (pick === addFile) {
        const file = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "GGUF models": ["gguf"] } });
        if (!file?.[0]) return undefined;
        const p = file[0].fsPath;
        const alias = p
          .split(/[\\/]/)
          .pop()!
          .replace(/\.gguf$/i, "");
        const c = vscode.workspace.getConfiguration("hotpath");
        await c.update(
          "models",
          [...c.get<string[]>("models", []), `${alias}=${p}`],
          vscode.ConfigurationTarget.Global,
        );
        model = alias;
      } else model = pick.label;
    }
    await vscode.workspace.getConfiguration("hotpath").update("defaultModel", model, vscode.ConfigurationTarget.Global);
    return model;
  };
}
