// One side of `npm run bench -- traces-ab`: loads the trace importers and analysis from the checkout given by --code
// (this one, or another build such as the pre-#13 commit) and either
//   identity: writes each analysis of every shared fixture and of generated traces, one JSON line per trace, to --out;
//   speed:    times parse and analyze of a generated trace (--format claude|otlp, --spans N) per stage, in CPU and wall
//             ms, --iters times after one warm-up, and prints the numbers as one JSON line.
// The inputs always come from this checkout's generators, so both sides see the same bytes.
//   node --import tsx test/bench/_traces-child.ts --code <checkout> identity --out <file>
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { agentTrace } from "../fixtures/agent-trace.js";
import { TRACE_FIXTURES } from "../support/trace-fixtures.js";
import { generateClaudeSession, generateOtlpRequests } from "./_trace-generators.js";

type Analysis = unknown;
interface Importers {
  parseTraceFile: (name: string, text: string, ctx?: object) => { traces: { spans: { traceId: string }[] }[] };
  diskContext: (file: string) => object;
  traceFilesUnder: (dir: string) => string[];
}
interface Analyses {
  analyzeTrace: (spans: never[], traceId?: string) => Analysis;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    code: { type: "string" },
    out: { type: "string" },
    format: { type: "string", default: "claude" },
    spans: { type: "string", default: "100000" },
    iters: { type: "string", default: "3" },
    input: { type: "string" },
    bundle: { type: "string" },
  },
});
const code = resolve(values.code ?? ".");
const load = async <T>(rel: string) => (await import(pathToFileURL(join(code, rel)).href)) as T;
const importers = await load<Importers>("daemon/traces/importers/index.ts");
const { analyzeTrace } = await load<Analyses>("daemon/traces/analysis/index.ts");

/** Spans by trace, in the order the importer gave them (as the import path analyses them). */
function byTrace(traces: { spans: { traceId: string }[] }[]): Map<string, never[]> {
  const out = new Map<string, never[]>();
  for (const t of traces)
    for (const s of t.spans) {
      let list = out.get(s.traceId);
      if (!list) out.set(s.traceId, (list = []));
      list.push(s as never);
    }
  return out;
}

if (positionals[0] === "identity") {
  const lines: string[] = [];
  const add = (what: string, text: string, ctx: object = {}) => {
    let traces;
    try {
      traces = importers.parseTraceFile(what, text, ctx).traces;
    } catch (e) {
      lines.push(JSON.stringify({ what, error: (e as Error).message }));
      return;
    }
    for (const [id, spans] of byTrace(traces))
      lines.push(JSON.stringify({ what, traceId: id, analysis: analyzeTrace(spans, id) }));
  };
  if (existsSync(TRACE_FIXTURES))
    for (const file of importers.traceFilesUnder(TRACE_FIXTURES))
      add(relative(TRACE_FIXTURES, file), readFileSync(file, "utf8"), importers.diskContext(file));
  add("generated-claude-code-20k.jsonl", generateClaudeSession(20_000));
  add("generated-otlp-20k.json", JSON.stringify(generateOtlpRequests(20_000, 512, "3d".repeat(16))));
  for (const seed of [3, 11]) {
    const { detail } = agentTrace(20_000, seed);
    lines.push(
      JSON.stringify({
        what: `agentTrace(20000, ${seed})`,
        analysis: analyzeTrace(detail.spans as never[], detail.trace.traceId),
      }),
    );
  }
  // The tree's odd cases on a generated trace: LLM calls recorded twice (a second instrumentation's child span),
  // repeated span ids, parent cycles, orphans, spans that end before they start.
  const { detail } = agentTrace(3000, 5);
  const odd = detail.spans.map((s) => ({ ...s, attributes: { ...s.attributes } }));
  const extra: typeof odd = [];
  odd.forEach((s, i) => {
    if (s.kind === "llm" && i % 3 === 0)
      extra.push({
        ...s,
        spanId: `dup${i}`,
        parentSpanId: s.spanId,
        attributes: { "otel.scope.name": "second", "llm.provider": "second" },
      });
    if (i % 97 === 5) extra.push({ ...s, name: `${s.name} again` }); // same id, later recording
    if (i % 89 === 7 && i > 10) s.parentSpanId = odd[i + 1]?.spanId ?? s.parentSpanId; // may close a cycle
    if (i % 83 === 3) s.parentSpanId = `missing${i}`;
    if (i % 79 === 2) s.endNs = s.startNs - 5e6;
  });
  const all = [...odd, ...extra];
  lines.push(JSON.stringify({ what: "odd tree", analysis: analyzeTrace(all as never[], detail.trace.traceId) }));
  writeFileSync(values.out!, lines.join("\n") + "\n");
} else if (positionals[0] === "speed") {
  const spans = Number(values.spans);
  const [name, text] =
    values.format === "otlp"
      ? ["export.json", JSON.stringify(generateOtlpRequests(spans))]
      : ["session.jsonl", generateClaudeSession(spans)];
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const out = {
    parseCpu: [] as number[],
    analyzeCpu: [] as number[],
    parseWall: [] as number[],
    analyzeWall: [] as number[],
  };
  for (let i = 0; i < Number(values.iters) + 1; i++) {
    const [c0, w0] = [cpu(), performance.now()];
    const { traces } = importers.parseTraceFile(name, text);
    const [c1, w1] = [cpu(), performance.now()];
    for (const [id, list] of byTrace(traces)) analyzeTrace(list, id);
    const [c2, w2] = [cpu(), performance.now()];
    if (i === 0) continue; // warm-up: JIT, first allocations
    out.parseCpu.push(c1 - c0);
    out.analyzeCpu.push(c2 - c1);
    out.parseWall.push(w1 - w0);
    out.analyzeWall.push(w2 - w1);
  }
  console.log(JSON.stringify(out));
} else if (positionals[0] === "shipped") {
  // The import worker's parse thread (daemon/traces/import/worker.ts, role "parse"), once, in a fresh process as the
  // daemon's fresh worker: the file's bytes in 1 MiB blocks (a new block per kept one, one reused block otherwise, as
  // the daemon's thread does) → streamedParse, or the whole text's parseTraceFile when it needs the whole file; then
  // toRow + packRows per 2,048 spans (buffers reused). Cold on purpose: first-touch memory is most of the cost here.
  // The parse stage's modules, bundled as the daemon bundles them (trace-parse.ts), or from source.
  const code = (
    values.bundle
      ? await import(pathToFileURL(resolve(values.bundle)).href)
      : {
          ...(await load("daemon/traces/import/stream.ts")),
          ...(await load("daemon/traces/importers/index.ts")),
          ...(await load("daemon/traces/store.ts")),
          ...(await load("daemon/traces/import/rows.ts")),
        }
  ) as {
    streamedParse: (name: string) => {
      push(b: Uint8Array): void;
      readonly needsWholeFile: boolean;
      end(): { traces: { spans: object[] }[] } | undefined;
    };
    parseTraceFile: Importers["parseTraceFile"];
    toRow: (s: object, max: number) => (string | number | null)[];
    packRows: (rows: unknown[][], spare: object[]) => object;
  };
  const { streamedParse, toRow, packRows } = code;
  const name = values.format === "otlp" ? "export.json" : "session.jsonl";
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const faults = () => process.resourceUsage().minorPageFault;
  const fd = openSync(values.input!, "r");
  const [c0, w0, f0] = [cpu(), performance.now(), faults()];
  const streamed = streamedParse(name);
  const kept: Uint8Array[] = [];
  let block = new Uint8Array(1 << 20);
  for (;;) {
    const n = readSync(fd, block, 0, block.length, null);
    if (n === 0) break;
    streamed.push(block.subarray(0, n));
    if (streamed.needsWholeFile) {
      kept.push(block.subarray(0, n));
      block = new Uint8Array(1 << 20);
    }
  }
  closeSync(fd);
  const parsed =
    streamed.end() ??
    code.parseTraceFile(
      name,
      new TextDecoder("utf-8", { fatal: true }).decode(kept.length === 1 ? kept[0] : Buffer.concat(kept)),
    );
  const keptBlocks = kept.length;
  kept.length = 0;
  const [c1, w1, f1] = [cpu(), performance.now(), faults()];
  let spans = 0;
  const spare: object[] = [];
  for (const t of parsed.traces)
    for (let i = 0; i < t.spans.length; i += 2048) {
      const batch = t.spans.slice(i, i + 2048).map((s) => toRow(s, 1_000_000));
      spare.push(packRows(batch, spare));
      spans += batch.length;
    }
  const [c2, w2, f2] = [cpu(), performance.now(), faults()];
  console.log(
    JSON.stringify({
      spans,
      parseCpu: c1 - c0,
      parseWall: w1 - w0,
      parseFaults: f1 - f0,
      rowsCpu: c2 - c1,
      rowsWall: w2 - w1,
      rowsFaults: f2 - f1,
      keptBlocks,
    }),
  );
} else {
  console.error("usage: _traces-child.ts --code <checkout> identity --out <file> | speed [--format claude|otlp]");
  process.exit(2);
}
