// `hotpath list`: the models Hotpath knows — configured ones and the files in <data-dir>/models — with size and
// quantisation read from each GGUF's header. Works without a daemon.
import type { Command } from "commander";
import { dataPaths, loadConfig } from "../config.js";
import { describeFile, knownModels } from "../models/registry.js";
import { bytes } from "./human.js";
import { table } from "./models-table.js";

export function register(program: Command): void {
  program
    .command("list")
    .description("list the models this data dir and config know: alias, size, quantisation, where it comes from")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals();
      const config = loadConfig({ flags: { config: globals.config, dataDir: globals.dataDir } });
      const dir = dataPaths(config.dataDir).models;
      const models = [];
      for (const m of knownModels(config.models, dir)) {
        const file = m.path ? await describeFile(m.path) : {};
        models.push({ ...m, ...file });
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(models, null, 2) + "\n");
        return;
      }
      if (models.length === 0) {
        process.stdout.write(`no models yet: \`hotpath pull <https://…|hf:…>\` downloads one into ${dir}\n`);
        return;
      }
      const rows = models.map((m) => [
        m.alias,
        m.fileBytes !== undefined ? bytes(m.fileBytes) : "-",
        m.quantization ?? (m.error ? "unreadable" : "-"),
        m.origin === "config" ? `config: ${m.source}` : m.source,
      ]);
      process.stdout.write(table(["MODEL", "SIZE", "QUANT", "SOURCE"], rows));
    });
}
