// GET /healthz (no auth: status and version only) and GET /metrics (Prometheus text).
import type { Health } from "../../api.js";
import type { Route } from "../route.js";

export const routes: Route[] = [
  {
    method: "GET",
    path: "/healthz",
    public: true,
    handle(ctx, services) {
      const body: Health = { status: "ok", version: services.version, pid: process.pid };
      ctx.send(200, body);
    },
  },
  {
    method: "GET",
    path: "/metrics",
    async handle(ctx, services) {
      for (const alias of services.engine.aliases()) {
        const s = services.engine.status(alias);
        if (s?.state !== "ready") continue;
        for (const priority of ["interactive", "workflow", "background"] as const) {
          services.metrics.queueDepth.set({ model: alias, priority }, s.model.pool.queueDepth(priority));
        }
      }
      const text = await services.metrics.registry.metrics();
      ctx.res.writeHead(200, { "content-type": services.metrics.registry.contentType });
      ctx.res.end(text);
    },
  },
];
