// `hotpath import <file|dir>…`: imports trace files and prints one imported trace id per line (stdout); problems go
// to stderr naming file, line and field, and a malformed file imports nothing (other files still do).
import type { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import { diskContext, ImportError, importText } from "../traces/importers/index.js";
import { openTraceStore } from "./traces-db.js";
import { traceFilesUnder } from "../traces/importers/index.js";

export function register(program: Command): void {
  program
    .command("import")
    .description("import agent traces: OTLP JSON, Claude Code / Codex session JSONL, OpenAI Agents SDK exports, Hotpath exports")
    .argument("<paths...>", "trace files or directories")
    .option("--quiet", "print only trace ids, no summary on stderr")
    .action((paths: string[], opts: { quiet?: boolean }, cmd: Command) => {
      const { db, store } = openTraceStore(cmd);
      let failed = 0;
      try {
        for (const path of paths) {
          let files: string[];
          try {
            files = statSync(path).isDirectory() ? traceFilesUnder(path) : [path];
          } catch (e) {
            process.stderr.write(`${path}: ${(e as Error).message}\n`);
            failed++;
            continue;
          }
          for (const file of files) {
            try {
              const r = importText(store, file, readFileSync(file, "utf8"), diskContext(file));
              for (const id of r.traceIds) process.stdout.write(`${id}\n`);
              if (!opts.quiet) process.stderr.write(`${file}: ${r.format}, ${r.traceIds.length} trace(s), ${r.spanCount} span(s)\n`);
            } catch (e) {
              failed++;
              process.stderr.write(`${e instanceof ImportError ? e.message : `${file}: ${(e as Error).message}`}\n`);
            }
          }
        }
      } finally {
        db.close();
      }
      if (failed) process.exitCode = 1;
    });
}
