// Shared by benchmarks: medians, the machine description, and writing one `## <name>` section of docs/benchmarks.md.
import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const BENCHMARKS_MD = join(root, "docs/benchmarks.md");

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A distribution-free confidence interval for the median of `xs`: the k-th smallest and k-th largest values, with k
 * the largest rank whose tail Binomial(n, ½) probability is ≤ 2.5% on each side (at least 1: with few values the
 * interval is min–max and covers less). `coverage` is its exact coverage for a continuous distribution.
 */
export function medianInterval(xs: number[]): { low: number; high: number; coverage: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (!n) return { low: NaN, high: NaN, coverage: 0 };
  // P(B ≤ j) for B ~ Binomial(n, ½), built up term by term.
  let term = 0.5 ** n;
  let cdf = term;
  let k = 1;
  for (let j = 1; j < n && cdf <= 0.025; j++) {
    k = j; // P(B ≤ k - 1) ≤ 2.5%: the interval may start at rank k
    term = (term * (n - j + 1)) / j;
    cdf += term;
  }
  // Coverage of [x_(k), x_(n+1-k)] is 1 − 2·P(B ≤ k − 1).
  let tail = 0;
  let t = 0.5 ** n;
  for (let j = 0; j < k; j++) {
    tail += t;
    t = (t * (n - j)) / (j + 1);
  }
  return { low: s[k - 1], high: s[n - k], coverage: Math.max(0, 1 - 2 * tail) };
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function machineDescription(): string {
  let cpu = cpus()[0]?.model ?? "unknown CPU";
  try {
    cpu = execSync("lscpu | grep 'Model name' | sed 's/.*: *//'", { encoding: "utf8" }).trim() || cpu;
  } catch {}
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  return `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}; load average at the end: ${load}`;
}

/** Replaces (or appends) the `## name` section of docs/benchmarks.md with `body`. */
export function writeSection(name: string, body: string): void {
  mkdirSync(dirname(BENCHMARKS_MD), { recursive: true });
  const header =
    "# Benchmarks\n\nEach section is written by `npm run bench -- <name>`; numbers are medians from one run on the machine named in it.\n";
  const text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, "utf8") : header;
  const section = `## ${name}\n\n${body.trim()}\n`;
  // The name is literal text ("cache (latency)" has regex characters) and the body may hold "$": no pattern meaning.
  const literal = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`## ${literal}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = pattern.test(text)
    ? text.replace(pattern, () => section.trimEnd() + "\n")
    : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(BENCHMARKS_MD, next);
}

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}
