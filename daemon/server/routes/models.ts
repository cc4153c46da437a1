// GET /v1/models: the known local models clients can name in `model` (config and <data-dir>/models), with their
// load state: a model that is not loaded loads on its first request.
import type { ModelInfo } from "../../api.js";
import type { Route } from "../route.js";

export const routes: Route[] = [
  {
    method: "GET",
    path: "/v1/models",
    handle(ctx, services) {
      const created = Math.floor(services.startedAt / 1000);
      const data: ModelInfo[] = services.engine.aliases().map((alias) => {
        const s = services.engine.status(alias);
        return {
          id: alias,
          object: "model",
          created,
          owned_by: "hotpath",
          hotpath: {
            route: `local:${alias}`,
            loaded: s?.state === "ready",
            // Known but not in memory: it loads on its first request (and unloads after the keep-alive).
            state: s?.state ?? "unloaded",
            ...(s?.state === "ready"
              ? { path: s.model.path, contextSize: s.model.contextSize, sizeBytes: s.model.model.size }
              : {}),
          },
        };
      });
      ctx.send(200, { object: "list", data });
    },
  },
  {
    method: "GET",
    path: "/v1/models/:id",
    handle(ctx, services) {
      const status = services.engine.aliases().includes(ctx.params.id)
        ? services.engine.status(ctx.params.id)
        : undefined;
      if (!status) {
        ctx.send(404, {
          error: {
            message: `model "${ctx.params.id}" does not exist here`,
            type: "invalid_request_error",
            code: "model_not_found",
            param: "model",
          },
        });
        return;
      }
      ctx.send(200, {
        id: ctx.params.id,
        object: "model",
        created: Math.floor(services.startedAt / 1000),
        owned_by: "hotpath",
      });
    },
  },
];
