// `hotpath import <file|dir>…`: imports trace files and prints one imported trace id per line (stdout); problems go
// to stderr naming file, line and field, and a malformed file imports nothing (other files still do). A path with
// nothing importable in it is an error. On a terminal, a progress bar counts bytes and spans across the files.
import type { Command } from "commander";
import { statSync } from "node:fs";
import { SingleBar } from "cli-progress";
import { ImportError, importPath, traceFilesAt } from "../traces/importers/index.js";
import { openTraceStore } from "./traces-db.js";
import { humanDuration } from "../traces/analysis/duration.js";
import { bytes } from "./human.js";

export function register(program: Command): void {
  program
    .command("import")
    .description(
      "import agent traces: OTLP JSON, Claude Code / Codex session JSONL, OpenAI Agents SDK exports, Hotpath exports",
    )
    .argument("<paths...>", "trace files or directories")
    .option("--quiet", "print only trace ids, no summary or progress on stderr")
    .action((paths: string[], opts: { quiet?: boolean }, cmd: Command) => {
      let failed = 0;
      // Sized up front: the progress bar counts bytes across every file.
      const files: { path: string; size: number }[] = [];
      const readable: string[] = [];
      for (const path of paths) {
        try {
          const found = traceFilesAt(path);
          if (found.length === 0) {
            process.stderr.write(`${path}: no trace files in this folder (looked for *.json, *.jsonl and *.ndjson)\n`);
            failed++;
          } else readable.push(path);
          for (const file of found) files.push({ path: file, size: statSync(file).size });
        } catch (e) {
          process.stderr.write(`${path}: ${(e as Error).message}\n`);
          failed++;
        }
      }
      const totalBytes = files.reduce((n, f) => n + f.size, 0);
      const sizes = new Map(files.map((f) => [f.path, f.size]));
      const bar =
        !opts.quiet && process.stderr.isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: "importing [{bar}] {percentage}% | {done} of {size} | {spans} spans | {file}",
              hideCursor: true,
              clearOnComplete: true,
            })
          : undefined;
      // Lines written while the bar is drawn would be overwritten by it: keep them for after.
      const notes: string[] = [];
      const note = (line: string) => (bar ? notes.push(line) : process.stderr.write(`${line}\n`));
      const { db, store } = openTraceStore(cmd);
      const started = Date.now();
      let doneBytes = 0;
      let spans = 0;
      let traces = 0;
      bar?.start(totalBytes, 0, { done: bytes(0), size: bytes(totalBytes), spans: 0, file: "" });
      try {
        const fileDone = (file: string) => {
          doneBytes += sizes.get(file) ?? 0;
          bar?.update(doneBytes, { done: bytes(doneBytes), spans });
        };
        for (const path of readable) {
          importPath(store, path, {
            onFile: (file) => bar?.update(doneBytes, { file: file.length > 50 ? `…${file.slice(-49)}` : file }),
            onImported: (r) => {
              for (const id of r.traceIds) process.stdout.write(`${id}\n`);
              spans += r.spanCount;
              traces += r.traceIds.length;
              if (!opts.quiet && !bar)
                note(`${r.file}: ${r.format}, ${r.traceIds.length} trace(s), ${r.spanCount} span(s)`);
              fileDone(r.file);
            },
            onFailure: (file, e) => {
              failed++;
              note(e instanceof ImportError ? e.message : `${file}: ${e.message}`);
              fileDone(file);
            },
          });
        }
      } finally {
        bar?.stop();
        db.close();
      }
      for (const line of notes) process.stderr.write(`${line}\n`);
      if (!opts.quiet && files.length > 0) {
        const took = humanDuration(Date.now() - started);
        process.stderr.write(
          `imported ${traces} trace(s), ${spans} span(s) from ${files.length} file(s), ${bytes(totalBytes)} in ${took}\n`,
        );
      }
      if (failed || traces === 0) process.exitCode = 1;
    });
}
