// `hotpath import <file|dir>…`: imports trace files and prints one imported trace id per line (stdout); problems go
// to stderr naming file, line and field, and a malformed file imports nothing (other files still do).
import type { Command } from "commander";
import { ImportError, importPath } from "../traces/importers/index.js";
import { openTraceStore } from "./traces-db.js";

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
        const refused = (file: string, e: Error) => {
          failed++;
          process.stderr.write(`${e instanceof ImportError ? e.message : `${file}: ${e.message}`}\n`);
        };
        for (const path of paths) {
          let imported;
          try {
            imported = importPath(store, path, refused);
          } catch (e) {
            refused(path, e as Error); // the path itself: missing, unreadable
            continue;
          }
          for (const r of imported) {
            for (const id of r.traceIds) process.stdout.write(`${id}\n`);
            if (!opts.quiet) process.stderr.write(`${r.file}: ${r.format}, ${r.traceIds.length} trace(s), ${r.spanCount} span(s)\n`);
          }
        }
      } finally {
        db.close();
      }
      if (failed) process.exitCode = 1;
    });
}
