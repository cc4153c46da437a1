// `hotpath pull <https://…|hf:…>`: downloads a GGUF into <data-dir>/models (resuming a pull that was interrupted),
// after which a running daemon knows it by its file name and loads it on the first request.
import type { Command } from "commander";
import { dataPaths, loadConfig } from "../config.js";
import { pullModel } from "../models/pull.js";
import { bytes } from "./human.js";

export function register(program: Command): void {
  program
    .command("pull")
    .description(
      "download a GGUF model into <data-dir>/models (an interrupted pull resumes); the daemon serves it by its file name",
    )
    .argument("<source>", "https://…/model.gguf, hf:owner/repo/file.gguf or hf:owner/repo:quant")
    .option("--file-name <name.gguf>", "save under this file name (its alias is the name without .gguf)")
    .action(async (source: string, opts: { fileName?: string }, cmd: Command) => {
      if (!/^(https?:\/\/|hf:)/.test(source))
        throw new Error(
          `"${source}" is not a model source: give an https://…/file.gguf URL or hf:owner/repo/file.gguf (a local file needs no pull: copy it into the data dir's models folder, or use serve --model)`,
        );
      if (opts.fileName && !/^[\w.-]+\.gguf$/.test(opts.fileName))
        throw new Error(`--file-name ${opts.fileName}: give a plain file name ending in .gguf`);
      const globals = cmd.optsWithGlobals();
      const config = loadConfig({ flags: { config: globals.config, dataDir: globals.dataDir } });
      const dir = dataPaths(config.dataDir).models;
      const interactive = process.stderr.isTTY === true;
      // Without a terminal (scripts, CI), a line per tenth instead of a redrawn bar.
      let reported = -1;
      const pulled = await pullModel({
        source,
        dir,
        fileName: opts.fileName,
        showProgress: interactive,
        onProgress: interactive
          ? undefined
          : ({ downloadedBytes, totalBytes }) => {
              const tenth = totalBytes > 0 ? Math.floor((downloadedBytes / totalBytes) * 10) : 0;
              if (tenth <= reported) return;
              reported = tenth;
              process.stderr.write(`pulling ${source}: ${bytes(downloadedBytes)} of ${bytes(totalBytes)}\n`);
            },
      });
      process.stdout.write(
        `pulled ${source}\n  → ${pulled.path} (${bytes(pulled.bytes)})\n  model "${pulled.alias}": use it as "model": "${pulled.alias}"; a running daemon loads it on the first request\n`,
      );
    });
}
