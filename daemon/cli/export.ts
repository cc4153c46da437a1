// `hotpath export [trace-id…] [-o file]`: Hotpath's JSONL export (header, then {"trace"} and {"span"} lines), which
// `hotpath import` reads back with the same ids.
import type { Command } from "commander";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { openTraceStore } from "./traces-db.js";

export function register(program: Command): void {
  program
    .command("export")
    .description("export stored traces as JSON Lines (re-importable with `hotpath import`)")
    .argument("[trace-ids...]", "traces to export (default: all)")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .option("--since <iso-time>", "only traces that ended after this time")
    .action(async (traceIds: string[], opts: { output?: string; since?: string }, cmd: Command) => {
      const { db, store } = openTraceStore(cmd);
      const out = opts.output ? createWriteStream(opts.output) : process.stdout;
      try {
        let sinceNs: number | undefined;
        if (opts.since) {
          const ms = Date.parse(opts.since);
          if (!Number.isFinite(ms)) throw new Error(`--since: not an ISO-8601 time: ${opts.since}`);
          sinceNs = ms * 1e6;
        }
        for (const line of store.exportJsonl({ traceIds: traceIds.length ? traceIds : undefined, sinceNs })) {
          if (!out.write(`${line}\n`)) await once(out, "drain");
        }
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        if (out !== process.stdout) {
          out.end();
          await once(out, "finish");
        }
        db.close();
      }
    });
}
