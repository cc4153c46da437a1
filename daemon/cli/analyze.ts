// `hotpath analyze <trace-id> [--json]`: critical path, parallelizable tool calls, prefix breaks, unused tools.
import type { Command } from "commander";
import type { TraceAnalysis } from "../api.js";
import { analyzeTrace } from "../traces/analysis/index.js";
import { humanDuration } from "../traces/analysis/duration.js";
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

const ms = humanDuration;
const pct = (part: number, whole: number) => `${whole ? Math.round((part / whole) * 100) : 0}%`;

function render(a: TraceAnalysis, spans: Span[]): string {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const lines: string[] = [];
  lines.push(`trace ${a.traceId}: ${ms(a.durationMs)}, ${a.spanCount} spans`);
  // What cost the most comes first: that is what a person acts on.
  if (a.hotspots.length) {
    lines.push("hotspots (critical path):");
    for (const h of a.hotspots) lines.push(`  ${ms(h.durationMs).padStart(9)}  ${pct(h.durationMs, a.criticalPath.durationMs).padStart(4)}  ${h.kind.padEnd(10)} ${h.why}`);
  }
  const kinds = (Object.entries(a.criticalPath.byKind) as [string, number][])
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${ms(v)} (${pct(v, a.criticalPath.durationMs)})`);
  lines.push(`critical path: ${a.criticalPath.spanIds.length} spans — ${kinds.join(", ")}`);
  const n = (c: string) => a.parallelGroups.filter((g) => g.confidence === c).length;
  lines.push(
    `parallelizable: ${a.parallelGroups.length} group(s) — ${n("independent")} independent, saving ${ms(a.projectedSavingMs)}; ` +
      `${n("speculative")} speculative, ${ms(a.speculativeSavingMs)} only if issued speculatively`,
  );
  for (const g of a.parallelGroups) {
    lines.push(`  ${ms(g.recordedMs)} → ${ms(g.projectedMs)} (${g.confidence}): ${g.reason}`);
    g.spanIds.forEach((id, i) => {
      const s = byId.get(id);
      const args = String(s?.attributes["gen_ai.tool.call.arguments"] ?? "").slice(0, 100);
      lines.push(`    ${s?.name ?? id} ${g.toolCallIds[i] ?? ""} ${args}`);
    });
  }
  if (a.prefixBreaks.length) lines.push(`cache breakers: ${a.prefixBreaks.length}`);
  for (const b of a.prefixBreaks.slice(0, 10)) lines.push(`  ${b.spanId}: ${b.commonPrefix} ${b.unit} reused — ${b.cause ?? ""}`);
  if (a.unusedTools.length) lines.push(`unused tools: ${a.unusedTools.map((t) => `${t.name} (~${t.tokensPerCall} tok × ${t.callsSentWith})`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}
