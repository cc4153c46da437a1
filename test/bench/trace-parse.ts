// `npm run bench -- trace-parse [--base <checkout>] [--runs 5] [--spans 100000] [--formats claude,otlp]`: the PARSE
// stage of a trace import as the daemon's parse thread runs it (bytes in 1 MiB blocks → streamedParse or the whole
// text's parseTraceFile → packSpans, as the worker packs rows), one fresh process per run as the daemon starts a fresh
// worker per import: CPU ms, wall ms and minor page faults (first-touch memory) per stage. With --base (a checkout of
// another commit, e.g. `git worktree add --detach /tmp/base <rev> && ln -s $PWD/node_modules /tmp/base/`) both sides
// parse the same bytes, alternating which goes first (ABBA); medians per side and the ratios new / base (pairwise too)
// — after checking that both make the same spans and rows, or the same refusal, of every shared fixture, generated
// traces and 60 random edits of a real OpenInference export (sameSpans; any difference fails the run before timing).
// The inner loop for parse work: the decisive number is the HTTP import (`npm run bench -- traces --only import
// --base-rev …`).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fmt, median } from "./_report.js";
import { generateClaudeSession, generateOtlpRequests } from "./_trace-generators.js";
import { TRACE_FIXTURES } from "../support/trace-fixtures.js";

const here = import.meta.dirname;
const thisCheckout = resolve(here, "../..");
const child = join(here, "_traces-child.ts");

interface Shipped {
  spans: number;
  parseCpu: number;
  parseWall: number;
  parseFaults: number;
  rowsCpu: number;
  rowsWall: number;
  rowsFaults: number;
  keptBlocks: number;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      runs: { type: "string", default: "5" },
      spans: { type: "string", default: "100000" },
      formats: { type: "string", default: "claude,otlp" },
      profile: { type: "string" },
    },
  });
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ");
  const loadBefore = load();
  if (values.base && !existsSync(join(values.base, "daemon/traces/import/stream.ts")))
    throw new Error(`--base ${values.base}: not a checkout of this project (see the comment at the top)`);
  const dir = mkdtempSync(join(tmpdir(), "hotpath-trace-parse-"));
  const sides = await Promise.all(
    [{ label: "new", code: thisCheckout }, ...(values.base ? [{ label: "base", code: resolve(values.base) }] : [])].map(
      async (s) => ({ ...s, bundle: await bundle(s.code, join(s.code, "dist", `trace-parse-bench-${s.label}.mjs`)) }),
    ),
  );
  const spans = Number(values.spans);
  const lines: string[] = [];
  try {
    if (sides.length === 2) {
      // First: both sides make the same spans and rows (and refuse the same inputs with the same errors).
      const { compared, differ } = await sameSpans(sides[0].bundle, sides[1].bundle);
      console.log(`identity: ${compared} parses compared (new vs base), ${differ.length} differ`);
      if (differ.length) throw new Error(`spans or rows differ from the base on: ${differ.join(", ")}`);
    }
    for (const format of values.formats!.split(",")) {
      const input = join(dir, format);
      // The inputs the HTTP import bench sends (test/bench/traces.ts shippedImports).
      writeFileSync(
        input,
        format === "otlp"
          ? JSON.stringify(generateOtlpRequests(spans, 512, "01".repeat(16)))
          : generateClaudeSession(spans),
      );
      const per = new Map<string, Shipped[]>(sides.map((s) => [s.label, []]));
      for (let r = 0; r < Number(values.runs); r++) {
        for (const side of r % 2 ? [...sides].reverse() : sides) {
          const prof = values.profile
            ? [
                "--cpu-prof",
                "--cpu-prof-dir",
                resolve(values.profile),
                "--cpu-prof-name",
                `${format}-${side.label}-${r}.cpuprofile`,
              ]
            : [];
          const out = execFileSync(
            process.execPath,
            [
              ...prof,
              "--import",
              "tsx",
              child,
              "--code",
              side.code,
              "shipped",
              "--bundle",
              side.bundle,
              "--format",
              format,
              "--input",
              input,
            ],
            { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] },
          );
          const t = JSON.parse(out.trim().split("\n").pop()!) as Shipped;
          per.get(side.label)!.push(t);
          console.log(`${format} run ${r + 1} ${side.label}: ${JSON.stringify(t)}`);
        }
      }
      const n = per.get("new")!;
      const b = per.get("base");
      for (const key of ["parseCpu", "parseWall", "parseFaults", "rowsCpu", "rowsWall", "rowsFaults"] as const) {
        const nm = median(n.map((t) => t[key]));
        let row = `| ${format} | ${key} | ${fmt(nm, 0)}`;
        if (b) {
          const bm = median(b.map((t) => t[key]));
          const pairs = n.map((t, i) => fmt(t[key] / b[i][key], 2)).join(", ");
          row += ` | ${fmt(bm, 0)} | **${fmt(nm / bm, 2)}×** (${pairs})`;
        }
        lines.push(`${row} |`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\ntrace-parse, ${spans.toLocaleString("en")} spans, ${values.runs} runs per side, one process each; load ${loadBefore} before, ${load()} after\n` +
      `| format | stage | new (median)${values.base ? " | base (median) | new / base (pairwise)" : ""} |\n` +
      `|---|---|---|${values.base ? "---|---|" : ""}\n${lines.join("\n")}`,
  );
}

/**
 * The parse stage's code of a checkout bundled as the daemon bundles it (esbuild.mjs: no kept names, packages
 * external), so that what is timed is the daemon's code and not tsx's transform of it. Written into the checkout's
 * dist/ (its packages resolve from there).
 */
async function bundle(code: string, out: string): Promise<string> {
  await build({
    stdin: {
      contents: [
        `export { streamedParse } from "./daemon/traces/import/stream.ts";`,
        `export { parseTraceFile } from "./daemon/traces/importers/index.ts";`,
        `export { toRow } from "./daemon/traces/store.ts";`,
        // packSpans where the checkout has it (the worker's path), packRows before that.
        `export * from "./daemon/traces/import/rows.ts";`,
      ].join("\n"),
      resolveDir: code,
      loader: "ts",
    },
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    mainFields: ["module", "main"],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: "warning",
  });
  return out;
}

interface ParseCode {
  streamedParse(name: string): { push(b: Uint8Array): void; readonly needsWholeFile: boolean; end(): unknown };
  parseTraceFile(name: string, text: string): { traces: { spans: object[] }[] };
  toRow(s: object, max: number): unknown[];
}

/**
 * The spans and rows each bundle makes of the same inputs through the parse thread's path (blocks → streamedParse, or
 * the whole text's parseTraceFile), hashed, or the error it refuses them with: every shared trace fixture, generated
 * Claude Code and OTLP traces (20k spans, non-ASCII text added) and 60 random edits of a real OpenInference export,
 * each in 1 MiB and 4,093-byte blocks.
 */
async function sameSpans(newBundle: string, baseBundle: string): Promise<{ compared: number; differ: string[] }> {
  const load = async (f: string) => (await import(pathToFileURL(f).href)) as ParseCode;
  const [a, b] = [await load(newBundle), await load(baseBundle)];
  const inputs: [string, Buffer][] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jsonl?|ndjson)$/.test(e)) inputs.push([e, readFileSync(p)]);
    }
  };
  if (existsSync(TRACE_FIXTURES)) walk(TRACE_FIXTURES);
  const odd = (t: string) => t.replace(/refactor the module|line 1/g, "línea ✓ 😀");
  inputs.push(["generated.jsonl", Buffer.from(odd(generateClaudeSession(20_000)))]);
  inputs.push(["generated.json", Buffer.from(odd(JSON.stringify(generateOtlpRequests(20_000, 512, "5c".repeat(16)))))]);
  const real = join(TRACE_FIXTURES, "otlp-openinference", "quo_tav_agent.json");
  if (existsSync(real)) {
    const text = readFileSync(real, "utf8");
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 8) % n;
    for (let k = 0; k < 60; k++) {
      let t = text;
      for (let m = 0; m < 3; m++) {
        const at = rand(t.length);
        t = t.slice(0, at) + ["ü", '\\"', "😀", "x", "llm.", '"', ",", " "][rand(8)] + t.slice(at);
      }
      inputs.push([`quo_tav_agent edit ${k}.json`, Buffer.from(t)]);
    }
  }
  const parse = (code: ParseCode, name: string, bytes: Buffer, block: number) => {
    try {
      const s = code.streamedParse(name);
      const kept: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += block) {
        const piece = bytes.subarray(i, i + block);
        s.push(piece);
        if (s.needsWholeFile) kept.push(piece);
      }
      const r = (s.end() ??
        code.parseTraceFile(name, new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(kept)))) as {
        traces: { spans: object[] }[];
      };
      const rows = r.traces.flatMap((t) => t.spans.map((span) => code.toRow(span, 1_000_000)));
      return createHash("sha256").update(JSON.stringify(r)).update(JSON.stringify(rows)).digest("hex");
    } catch (e) {
      return `refused: ${(e as Error).message}`;
    }
  };
  const differ: string[] = [];
  let compared = 0;
  for (const [name, bytes] of inputs)
    for (const block of [1 << 20, 4093]) {
      compared++;
      if (parse(a, name, bytes, block) !== parse(b, name, bytes, block)) differ.push(`${name} (blocks of ${block})`);
    }
  return { compared, differ };
}
