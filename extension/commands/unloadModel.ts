import type { LocalModelStatus } from "../../daemon/api.js";
import type { Ctx } from "../ctx.js";
import { modelAlias, type ModelArg } from "../models.js";

/** Frees a local model's memory (after the requests using it finish); it loads again on its next request. */
export function unloadModel(ctx: Ctx) {
  return async (arg?: ModelArg): Promise<LocalModelStatus | undefined> => {
    const alias = await modelAlias(ctx, arg, "Hotpath: Unload Model", (m) => m.state === "ready");
    if (!alias) return undefined;
    const status = await (await ctx.ensureDaemon()).unloadModel(alias);
    ctx.tree.refresh();
    return status;
  };
}
