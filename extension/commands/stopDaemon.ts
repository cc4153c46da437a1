import type { Ctx } from "../ctx.js";

export function stopDaemon(ctx: Ctx) {
  return async (): Promise<void> => {
    await ctx.daemon.stop();
  };
}
