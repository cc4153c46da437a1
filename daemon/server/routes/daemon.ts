// POST /hotpath/shutdown: a graceful exit of the daemon process (`hotpath stop`), answered before it begins.
import { HttpError, type Route } from "../route.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/hotpath/shutdown",
    handle(ctx, services) {
      const shutdown = services.requestShutdown;
      if (!shutdown)
        throw new HttpError(
          409,
          "this daemon is embedded in another program and cannot stop itself",
          "invalid_request_error",
          "not_stoppable",
        );
      ctx.res.once("finish", () => setImmediate(shutdown));
      ctx.send(202, { status: "stopping", pid: process.pid });
    },
  },
];
