// `npm run bench -- traces-ab --base <checkout> [--ref <checkout>] [--rounds 3] [--iters 3] [--spans 100000]`:
// trace parse and analysis of this checkout against another one (e.g. a worktree of the commit before a change),
// side by side in one run.
//   --ref <checkout>: first check that this checkout's analysis is byte-identical to the ref's on every shared
//     fixture (../shared/fixtures/traces), generated 20k-span Claude Code and OTLP traces, two generated 20k-span
//     agent traces and 12 random agent traces (1.7k–4.5k spans: batches, data flow between calls, odd times, repeated
//     ids); any difference fails the run before anything is timed.
//   Speed: for Claude Code JSONL and OTLP JSON, --rounds rounds of one process per side, alternating which side
//     goes first (ABBA, so load drifting over the run hits both alike); each process parses and analyses the same
//     generated trace --iters times after a warm-up. CPU ms of the process per stage (the VM is shared: wall clock
//     moves with the neighbours), median per process, then the ratio of the medians over processes (new / base;
//     below 1 the new code is faster) and the pairwise ratios of each round.
//   --write adds the table as "### traces-ab" under "## traces" in docs/benchmarks.md (replacing an earlier one).
// A worktree for the base: `git worktree add --detach /tmp/base <commit> && ln -s $PWD/node_modules /tmp/base/`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BENCHMARKS_MD, fmt, machineDescription, median } from "./_report.js";

const here = import.meta.dirname;
const thisCheckout = resolve(here, "../..");
const child = join(here, "_traces-child.ts");

function runChild(code: string, args: string[]): string {
  return execFileSync(process.execPath, ["--import", "tsx", child, "--code", code, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** Compares this checkout's analyses with the ref's, line by line; returns the differing inputs. */
export function identity(ref: string): { compared: number; differing: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-traces-ab-"));
  try {
    const [a, b] = [join(dir, "ref.jsonl"), join(dir, "new.jsonl")];
    runChild(ref, ["identity", "--out", a]);
    runChild(thisCheckout, ["identity", "--out", b]);
    const [x, y] = [readFileSync(a, "utf8").split("\n"), readFileSync(b, "utf8").split("\n")];
    const differing: string[] = [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      differing.push((JSON.parse(x[i] || y[i]) as { what: string }).what);
    }
    return { compared: x.filter(Boolean).length, differing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Times {
  parseCpu: number[];
  analyzeCpu: number[];
  parseWall: number[];
  analyzeWall: number[];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      ref: { type: "string" },
      rounds: { type: "string", default: "3" },
      iters: { type: "string", default: "3" },
      spans: { type: "string", default: "100000" },
      formats: { type: "string", default: "claude,otlp" },
      write: { type: "boolean", default: false },
    },
  });
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ");
  const loadBefore = load();
  if (values.ref) {
    if (!existsSync(join(values.ref, "daemon/traces/analysis/index.ts")))
      throw new Error(`--ref ${values.ref}: no checkout`);
    const { compared, differing } = identity(values.ref);
    console.log(`identity against ${values.ref}: ${compared} analyses compared, ${differing.length} differ`);
    if (differing.length) throw new Error(`analysis differs from the ref on: ${differing.join(", ")}`);
  }
  if (!values.base) return;
  if (!existsSync(join(values.base, "daemon/traces/analysis/index.ts")))
    throw new Error(`--base ${values.base}: not a checkout of this project (see the comment at the top)`);
  const rounds = Number(values.rounds);
  const rows: string[] = [];
  for (const format of values.formats!.split(",")) {
    const per: Record<"base" | "new", Times[]> = { base: [], new: [] };
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 ? (["new", "base"] as const) : (["base", "new"] as const)) {
        const out = runChild(side === "base" ? resolve(values.base) : thisCheckout, [
          "speed",
          "--format",
          format,
          "--spans",
          values.spans!,
          "--iters",
          values.iters!,
        ]);
        per[side].push(JSON.parse(out.trim().split("\n").pop()!) as Times);
        console.log(`${format} round ${r + 1} ${side}: ${JSON.stringify(per[side].at(-1))}`);
      }
    }
    for (const stage of ["parse", "analyze"] as const) {
      const key = `${stage}Cpu` as const;
      const b = per.base.map((t) => median(t[key]));
      const n = per.new.map((t) => median(t[key]));
      const pairs = b.map((x, i) => fmt(n[i] / x, 2)).join(", ");
      const wall = fmt(median(per.new.map((t) => median(t[`${stage}Wall`]))), 0);
      rows.push(
        `| ${format === "otlp" ? "OTLP JSON" : "Claude Code JSONL"} | ${stage} | ${b.map((x) => fmt(x, 0)).join(" / ")} | ${n.map((x) => fmt(x, 0)).join(" / ")} | **${fmt(median(n) / median(b), 2)}×** (${pairs}) | ${wall} |`,
      );
    }
  }
  const table = [
    `| trace (${Number(values.spans).toLocaleString("en")} spans) | stage | base CPU ms (per process) | new CPU ms (per process) | new / base (pairwise) | new wall ms |`,
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  const body = `### traces-ab: parse and analyze against ${values.base}

\`npm run bench -- traces-ab --base <checkout of the base commit>\` (${new Date().toISOString().slice(0, 10)}). One
process per side and round, ${rounds} rounds alternating which side goes first; each process parses and analyses the
same generated trace ${values.iters} times after a warm-up (\`parseTraceFile\` → \`analyzeTrace\` of the parsed spans, in
memory); CPU ms of the process per stage, median per process; ratio of the medians over processes. Load average
${loadBefore} before, ${load()} after (1/5/15 min). Machine: ${machineDescription()}.${values.ref ? ` Analysis byte-identical to ${values.ref} on every shared fixture and generated 20k-span traces (checked in the same run).` : ""}

${table}
`;
  console.log(`\n${body}`);
  if (values.write) writeSubsection("traces-ab", body);
}

/** Replaces (or adds) the `### name` subsection under `## traces`, leaving every other section as it was. */
function writeSubsection(name: string, body: string): void {
  const text = readFileSync(BENCHMARKS_MD, "utf8");
  const own = new RegExp(`### ${name}[^\\n]*\\n[\\s\\S]*?(?=\\n##? |\\n### |$)`);
  if (own.test(text)) return writeFileSync(BENCHMARKS_MD, text.replace(own, body.trim() + "\n"));
  const after = /## traces\n[\s\S]*?(?=\n## |$)/;
  const m = after.exec(text);
  if (!m) throw new Error(`no "## traces" section in ${BENCHMARKS_MD}: run \`npm run bench -- traces --write\` first`);
  const at = m.index + m[0].length;
  writeFileSync(BENCHMARKS_MD, `${text.slice(0, at).trimEnd()}\n\n${body.trim()}\n${text.slice(at)}`);
}
