// Models on demand: what is known and loaded (GET /hotpath/models), load/unload now, pull into <data-dir>/models,
// delete a pulled file. State changes and pull progress go out as model.state / model.pull events.
import { rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { PullRequestSchema, type LocalModelList } from "../../api.js";
import { dataPaths } from "../../config.js";
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
    path: "/hotpath/models/pull",
    async handle(ctx, services) {
      const request = await ctx.readJson(PullRequestSchema);
      const job = services.pulls.start(request.source, request.fileName);
      // ?wait=1 answers when the file is in place (the CLI's non-interactive use); by default at once, with events.
      if (ctx.url.searchParams.get("wait") === "1") {
        try {
          const pulled = await job.done;
          ctx.send(200, { id: job.id, ...pulled });
        } catch (e) {
          throw new HttpError(502, (e as Error).message, "server_error", "pull_failed", "source");
        }
        return;
      }
      job.done.catch(() => undefined);
      ctx.send(202, { id: job.id, source: job.source });
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
  {
    method: "DELETE",
    path: "/hotpath/models/:alias",
    async handle(ctx, services) {
      const alias = ctx.params.alias;
      const model = (await services.engine.describe()).find((m) => m.alias === alias);
      if (!model)
        throw new HttpError(
          404,
          `model "${alias}" does not exist here`,
          "invalid_request_error",
          "model_not_found",
          "alias",
        );
      const modelsDir = resolve(dataPaths(services.config.dataDir).models);
      // Only files Hotpath keeps (pulled or copied into the data dir); a config model's file is the user's own.
      if (model.origin !== "data-dir" || !model.path || dirname(resolve(model.path)) !== modelsDir)
        throw new HttpError(
          409,
          `model "${alias}" comes from the configuration (${model.source}); remove it there, Hotpath deletes only files in ${modelsDir}`,
          "invalid_request_error",
          "not_deletable",
          "alias",
        );
      await services.engine.unload(alias);
      rmSync(model.path, { force: true });
      services.engine.refresh();
      ctx.send(200, { deleted: model.path, alias });
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
