// Which local model a model command means: the tree item it was run on, an alias passed by a caller, or one the user
// picks from the daemon's known models.
import * as vscode from "vscode";
import type { LocalModelStatus, ModelInfo } from "../daemon/api.js";
import type { Ctx } from "./ctx.js";

/** What VS Code passes a command run from a model's tree item (see tree.ts), or an alias. */
export type ModelArg = string | { kind: "model"; model: ModelInfo } | undefined;

export async function modelAlias(
  ctx: Ctx,
  arg: ModelArg,
  title: string,
  offer: (m: LocalModelStatus) => boolean,
): Promise<string | undefined> {
  if (typeof arg === "string") return arg;
  if (arg?.kind === "model") return arg.model.id;
  const client = await ctx.ensureDaemon();
  const models = (await client.localModels()).data.filter(offer);
  if (models.length === 0) {
    void vscode.window.showInformationMessage(`${title}: no model to choose from`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({ label: m.alias, description: `${m.state}${m.quantization ? ` · ${m.quantization}` : ""}` })),
    { title },
  );
  return pick?.label;
}
