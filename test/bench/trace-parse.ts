// `npm run bench -- trace-parse [--base <checkout>] [--runs 5] [--spans 100000] [--formats claude,otlp]`: the PARSE
// stage of a trace import as the daemon's parse thread runs it (bytes in 1 MiB blocks → streamedParse or the whole
// text's parseTraceFile → toRow + packRows), one fresh process per run as the daemon starts a fresh worker per import:
// CPU ms, wall ms and minor page faults (first-touch memory) per stage. With --base (a checkout of another commit, e.g.
// `git worktree add --detach /tmp/base <rev> && ln -s $PWD/node_modules /tmp/base/`) both sides parse the same bytes,
// alternating which goes first (ABBA); medians per side and the ratios new / base (pairwise too). The inner loop for
// parse work: the decisive number is the HTTP import (`npm run bench -- traces --only import --base-rev …`).
import { execFileSync } from "node:child_process";
import { build } from "esbuild";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fmt, median } from "./_report.js";
import { generateClaudeSession, generateOtlpRequests } from "./_trace-generators.js";

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
        `export { packRows } from "./daemon/traces/import/rows.ts";`,
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
