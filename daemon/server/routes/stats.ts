// GET /hotpath/stats?window=<seconds>: what the serving dashboard shows — each model's state, sequences and queues
// (engine/serving-stats.ts), and the last window's latency, throughput, prefix reuse and cache hits from the daemon's
// own request spans (traces/serving-window.ts).
import type { ServingStats } from "../../api.js";
import { modelServingStats } from "../../engine/serving-stats.js";
import { servingWindow } from "../../traces/serving-window.js";
import { HttpError, type Route } from "../route.js";

const MAX_WINDOW_S = 7 * 24 * 3600;

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/stats",
    handle(ctx, services) {
      const raw = ctx.url.searchParams.get("window") ?? "3600";
      const windowS = Number(raw);
      if (!Number.isInteger(windowS) || windowS < 1 || windowS > MAX_WINDOW_S) {
        const message = `window must be a whole number of seconds between 1 and ${MAX_WINDOW_S}, not "${raw}"`;
        throw new HttpError(400, message, "invalid_request_error", "invalid_value", "window");
      }
      const body: ServingStats = {
        version: services.version,
        uptimeS: Math.round((Date.now() - services.startedAt) / 1000),
        eventLoop: services.metrics.eventLoop.snapshot(),
        models: modelServingStats(services.engine),
        window: servingWindow(services.traces, windowS),
      };
      ctx.send(200, body);
    },
  },
];
