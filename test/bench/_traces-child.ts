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
  // Random agent traces nobody shaped for the analysis: agents and subagents issuing tool calls (reads, searches,
  // shell, writes) whose arguments name files earlier results named, calls issued together or overlapping, equal and
  // odd times (fractions, reversed), calls without recorded arguments or results, ids left to infer from the response,
  // people's prompts and waits, and repeated span ids.
  for (let seed = 1; seed <= 12; seed++) {
    const spans = randomAgentTrace(seed, 1500 + seed * 250);
    lines.push(JSON.stringify({ what: `random agent trace ${seed}`, analysis: analyzeTrace(spans as never[]) }));
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
  // packSpans per 2,048 spans as the worker packs them (toRow + packRows in a checkout without it; buffers reused).
  // Cold on purpose: first-touch memory is most of the cost here.
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
    /** The worker's way (since 55f9c06): each span's row packed as it is made. */
    packSpans?: (spans: object[], from: number, to: number, maxAttributeChars: number, spare: object[]) => object;
  };
  const { streamedParse, toRow, packRows, packSpans } = code;
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
      const to = Math.min(t.spans.length, i + 2048);
      if (packSpans) spare.push(packSpans(t.spans, i, to, 1_000_000, spare));
      else
        spare.push(
          packRows(
            t.spans.slice(i, to).map((s) => toRow(s, 1_000_000)),
            spare,
          ),
        );
      spans += to - i;
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

function randomAgentTrace(seed: number, count: number): object[] {
  let x = seed * 2654435761;
  const rand = () => ((x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const traceId = "5e".repeat(16);
  const files = Array.from(
    { length: 40 },
    (_, i) => `src/${pick(["app", "lib", "test"])}/m${i}.${pick(["ts", "py", "md"])}`,
  );
  const spans: Record<string, unknown>[] = [];
  const agents = ["a0"];
  spans.push({
    traceId,
    spanId: "a0",
    name: "invoke_agent",
    kind: "agent",
    startNs: 1e18,
    endNs: 1e18 + 1e13,
    status: "ok",
    attributes: {},
  });
  let t = 1e18 + 1e6;
  let llm: Record<string, unknown> | undefined;
  for (let i = 0; spans.length < count; i++) {
    const parent = pick(agents);
    const r = rand();
    if (r < 0.03 && agents.length < 6) {
      const id = `a${i}`;
      agents.push(id);
      spans.push({
        traceId,
        spanId: id,
        parentSpanId: parent,
        name: "invoke_agent sub",
        kind: "agent",
        startNs: t,
        endNs: t + 5e10,
        status: "ok",
        attributes: {},
      });
    } else if (r < 0.25) {
      const dur = Math.floor(rand() * 3e9);
      const attributes: Record<string, unknown> = { "gen_ai.request.model": "m" };
      if (rand() < 0.1) attributes["hotpath.user_prompt"] = "do the next thing";
      llm = {
        traceId,
        spanId: `l${i}`,
        parentSpanId: parent,
        name: "chat m",
        kind: "llm",
        startNs: t,
        endNs: t + dur,
        status: "ok",
        attributes,
      };
      spans.push(llm);
      t += dur + Math.floor(rand() * 2e6);
    } else {
      // A batch of 1–4 tool calls: one after another, issued together, or overlapping.
      const n = 1 + Math.floor(rand() * 4);
      const together = rand() < 0.3;
      const ids: string[] = [];
      const names: string[] = [];
      for (let k = 0; k < n; k++) {
        const name = pick(["Read", "Grep", "Glob", "Bash", "Edit", "read_file", "AskUserQuestion"]);
        const file = pick(files);
        const args =
          name === "Bash"
            ? { command: pick([`cat ${file}`, `rg -n foo ${file}`, `git status`, `rm ${file}`, `ls src`]) }
            : name === "Grep"
              ? { pattern: pick(["foo", "bar"]), path: pick(["src", file]) }
              : { file_path: file };
        const result = pick([
          `${pick(files)}:3: foo\n${pick(files)}`,
          "No matches found",
          "",
          `contents of ${file}`,
          "ok",
        ]);
        const start = together ? t : t + Math.floor(rand() * 3) * 1e6;
        const dur = pick([0, 1e6, Math.floor(rand() * 4e9)]);
        const attributes: Record<string, unknown> = { "gen_ai.tool.name": name };
        if (rand() < 0.9) attributes["gen_ai.tool.call.arguments"] = JSON.stringify(args);
        if (rand() < 0.85) attributes["gen_ai.tool.call.result"] = result;
        const callId = `c${i}_${k}`;
        if (rand() < 0.7) attributes["gen_ai.tool.call.id"] = callId;
        if (llm && rand() < 0.5) attributes["hotpath.llm_span_id"] = llm.spanId;
        if (rand() < 0.05) attributes["hotpath.tool.denied"] = true;
        if (rand() < 0.05) attributes["process.exit.code"] = 1;
        ids.push(callId);
        names.push(name);
        let startNs: number = start;
        let endNs: number = start + dur;
        if (rand() < 0.01) startNs = start - 0.4; // a fraction: stores rounded
        if (rand() < 0.02) endNs = start - 1e6;
        const spanId = rand() < 0.01 && spans.length > 2 ? (pick(spans).spanId as string) : `t${i}_${k}`;
        spans.push({
          traceId,
          spanId,
          parentSpanId: parent,
          name: `execute_tool ${name}`,
          kind: "tool",
          startNs,
          endNs,
          status: rand() < 0.05 ? "error" : "ok",
          attributes,
        });
        if (!together) t = start + dur + Math.floor(rand() * 5e6);
      }
      if (llm)
        Object.assign(llm.attributes as object, { "hotpath.tool_call_ids": ids, "hotpath.tool_call_names": names });
      if (together) t += 5e9;
    }
  }
  return spans;
}
