import type { Ctx } from "../ctx.js";
import type { PanelHost } from "../panels/host.js";

const REFRESH_MS = 5000;

/** The serving and cache dashboard: polled stats plus the daemon's live request events. */
export function showCacheStats(ctx: Ctx) {
  return async (): Promise<PanelHost> => {
    const client = await ctx.ensureDaemon().catch(() => ctx.client);
    const refresh = async (p: PanelHost) => {
      const errors: string[] = [];
      const [serving, cache] = await Promise.all([
        client.servingStats().catch((e: Error) => (errors.push(e.message), null)),
        client.cacheStats().catch((e: Error) => (errors.push(e.message), null)),
      ]);
      // The view still reads every field defensively: an older daemon may lack some.
      p.post({ type: "stats", serving, cache, errors });
    };
    const panel = ctx.panel("dashboard", (p) => {
      const timer = setInterval(() => {
        if (p.panel.visible) void refresh(p);
      }, REFRESH_MS);
      p.onDidDispose(() => clearInterval(timer));
    });
    panel.post({ type: "connection", state: ctx.daemon.state });
    await refresh(panel);
    return panel;
  };
}
