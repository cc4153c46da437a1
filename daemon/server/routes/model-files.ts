// Model files in <data-dir>/models: pull one (POST /hotpath/models/pull, progress as model.pull events) and delete a
// pulled one (DELETE /hotpath/models/:alias). Loading and unloading: models-admin.ts.
import { rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PullRequestSchema } from "../../api.js";
import { dataPaths } from "../../config.js";
import { HttpError, type Route } from "../route.js";

export const routes: Route[] = [
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
