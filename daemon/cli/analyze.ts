// `hotpath analyze <trace-id> [--json]`: critical path, parallelizable tool calls, prefix breaks, unused tools.
import type { Command } from "commander";
import { analyzeTrace } from "../traces/analysis/index.js";
import type { TraceStore } from "../traces/store.js";
import { renderAnalysis } from "./analysis-text.js";
import { openTraceStore } from "./traces-db.js";

export function register(program: Command): void {
  program
    .command("analyze")
    .description("analyze a stored trace: critical path, tool calls that could run in parallel, cache breakers")
    .argument("<trace-id>", "a trace id (as printed by `hotpath import`), or a unique prefix of one")
    .option("--json", "print the full analysis as JSON")
    .action((idArg: string, opts: { json?: boolean }, cmd: Command) => {
      const { db, store } = openTraceStore(cmd);
      try {
        const traceId = resolveTraceId(store, idArg);
        const spans = store.getSpans(traceId);
        const analysis = analyzeTrace(spans, traceId);
        process.stdout.write(opts.json ? `${JSON.stringify(analysis, null, 2)}\n` : renderAnalysis(analysis, spans));
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        db.close();
      }
    });
}

function resolveTraceId(store: TraceStore, idArg: string): string {
  const prefix = idArg.trim().toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(prefix))
    throw new Error(
      `"${idArg}" is not a trace id (hex); list traces with \`hotpath import\` output or GET /hotpath/traces`,
    );
  const ids = store.traceIdsStartingWith(prefix, 2);
  if (!ids.length) throw new Error(`no trace ${idArg} in this data dir`);
  if (ids.length > 1) throw new Error(`trace id prefix ${idArg} is ambiguous; give more characters`);
  return ids[0];
}
