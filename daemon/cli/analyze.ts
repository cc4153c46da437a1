// `hotpath analyze <trace-id> [--json]`: critical path, parallelizable tool calls, prefix breaks, unused tools.
import type { Command } from "commander";
import type { TraceAnalysis } from "../api.js";
import { analyzeTrace } from "../traces/analysis/index.js";
import type { Span } from "../traces/span.js";
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
        const traceId = resolveTraceId(db, idArg);
        const spans = store.getSpans(traceId);
        const analysis = analyzeTrace(spans, traceId);
        process.stdout.write(opts.json ? `${JSON.stringify(analysis, null, 2)}\n` : render(analysis, spans));
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        db.close();
      }
    });
}

function resolveTraceId(db: import("../db.js").Db, idArg: string): string {
  const prefix = idArg.trim().toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(prefix)) throw new Error(`"${idArg}" is not a trace id (hex); list traces with \`hotpath import\` output or GET /hotpath/traces`);
  const rows = db.prepare("SELECT trace_id FROM traces WHERE trace_id >= ? AND trace_id < ? LIMIT 2").all(prefix, `${prefix}g`) as { trace_id: string }[];
  if (!rows.length) throw new Error(`no trace ${idArg} in this data dir`);
  if (rows.length > 1) throw new Error(`trace id prefix ${idArg} is ambiguous; give more characters`);
  return rows[0].trace_id;
}

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

function render(a: TraceAnalysis, spans: Span[]): string {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const lines: string[] = [];
  lines.push(`trace ${a.traceId}: ${ms(a.durationMs)}, ${a.spanCount} spans`);
  const kinds = Object.entries(a.criticalPath.byKind)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${ms(v)} (${a.durationMs ? Math.round((v / a.durationMs) * 100) : 0}%)`);
  lines.push(`critical path: ${a.criticalPath.spanIds.length} spans — ${kinds.join(", ")}`);
  lines.push(`parallelizable: ${a.parallelGroups.length} group(s), projected saving ${ms(a.projectedSavingMs)}`);
  for (const g of a.parallelGroups) {
    lines.push(`  ${ms(g.recordedMs)} → ${ms(g.projectedMs)}: ${g.reason}`);
    for (const id of g.spanIds) {
      const s = byId.get(id);
      const args = String(s?.attributes["gen_ai.tool.call.arguments"] ?? "").slice(0, 100);
      lines.push(`    ${s?.name ?? id} ${args}`);
    }
  }
  if (a.prefixBreaks.length) lines.push(`cache breakers: ${a.prefixBreaks.length}`);
  for (const b of a.prefixBreaks.slice(0, 10)) lines.push(`  ${b.spanId}: ${b.commonPrefix} ${b.unit} reused — ${b.cause ?? ""}`);
  if (a.unusedTools.length) lines.push(`unused tools: ${a.unusedTools.map((t) => `${t.name} (~${t.tokensPerCall} tok × ${t.callsSentWith})`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}
