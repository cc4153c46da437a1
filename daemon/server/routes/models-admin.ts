// Models on demand: what is known and loaded (GET /hotpath/models), load/unload now (pull and delete: model-files.ts).
// State changes go out as model.state events.
import { z } from "zod";
import { type LocalModelList } from "../../api.js";
import { ModelUnavailableError } from "../../engine/engine.js";
import { KeepAliveSchema, parseKeepAlive } from "../../models/keep-alive.js";
import { HttpError, type Route } from "../route.js";
import type { Services } from "../services.js";

const LoadSchema = z.object({ keep_alive: KeepAliveSchema.optional() }).strict();

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/models",
    async handle(ctx, services) {
      const body: LocalModelList = { object: "list", data: await services.engine.describe() };
      ctx.send(200, body);
    },
  },
  {
    method: "POST",
    path: "/hotpath/models/:alias/load",
    async handle(ctx, services) {
      const body = ctx.req.headers["content-length"] === "0" ? {} : await ctx.readJson(LoadSchema.prefault({}));
      await answerFor(ctx.params.alias, () =>
        services.engine.load(
          ctx.params.alias,
          body.keep_alive === undefined ? undefined : parseKeepAlive(body.keep_alive),
        ),
      );
      ctx.send(200, await statusOf(services, ctx.params.alias));
    },
  },
  {
    method: "POST",
    path: "/hotpath/models/:alias/unload",
    async handle(ctx, services) {
      await answerFor(ctx.params.alias, () => services.engine.unload(ctx.params.alias));
      ctx.send(200, await statusOf(services, ctx.params.alias));
    },
  },
];

async function answerFor(alias: string, act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (e) {
    if (e instanceof ModelUnavailableError) {
      const status = e.code === "model_not_found" ? 404 : 503;
      throw new HttpError(
        status,
        e.message,
        status === 404 ? "invalid_request_error" : "server_error",
        e.code,
        "alias",
      );
    }
    throw e;
  }
}

async function statusOf(services: Services, alias: string) {
  return (await services.engine.describe()).find((m) => m.alias === alias);
}
