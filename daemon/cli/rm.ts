// `hotpath rm <model>`: deletes a pulled model file from <data-dir>/models (and a partial download of it). With a
// daemon running it goes through the daemon, which unloads the model first; configured models are the user's files.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { dataPaths, loadConfig } from "../config.js";
import { knownModels } from "../models/registry.js";
import { findRunningDaemon } from "./running.js";

export function register(program: Command): void {
  program
    .command("rm")
    .description("delete a pulled model from <data-dir>/models (a running daemon unloads it first)")
    .argument("<model>", "the model's alias, as `hotpath list` shows it")
    .action(async (alias: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals();
      const config = loadConfig({ flags: { config: globals.config, dataDir: globals.dataDir } });
      const dir = dataPaths(config.dataDir).models;
      const partial = join(dir, `${alias}.gguf.ipull`);
      const daemon = await findRunningDaemon(cmd);
      const known = knownModels(config.models, dir).find((m) => m.alias === alias);
      if (!known && existsSync(partial)) {
        rmSync(partial, { force: true });
        process.stdout.write(`deleted the partial download ${partial}\n`);
        return;
      }
      if (!known) {
        const names = knownModels(config.models, dir).map((m) => m.alias);
        throw new Error(`no model "${alias}" here; known: ${names.join(", ") || "none"} (see \`hotpath list\`)`);
      }
      if (known.origin === "config")
        throw new Error(
          `"${alias}" comes from the configuration (${known.source}), not from a pull: remove it from the config or --model; its file is yours to delete`,
        );
      if (daemon) {
        const { deleted } = await daemon.call<{ deleted: string }>(
          "DELETE",
          `/hotpath/models/${encodeURIComponent(alias)}`,
        );
        process.stdout.write(`deleted ${deleted} (unloaded from the daemon at ${daemon.url})\n`);
      } else {
        rmSync(known.path!, { force: true });
        process.stdout.write(`deleted ${known.path}\n`);
      }
      rmSync(partial, { force: true });
    });
}
