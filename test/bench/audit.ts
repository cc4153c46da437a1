// Planted-bloat benchmark for prompt audits, on a real local model at temperature 0.
//
// Each planted prompt forces one tool call (tool_choice names `record_label`, or "required" with it as the only
// tool) whose only argument is an enum with a single value. A JSON-schema grammar therefore fixes the checked output
// to [{"name":"record_label","arguments":{"label":"refund"}}] whatever else the prompt says: every prose section,
// few-shot example and other tool definition provably cannot change it (planted bloat). The `record_label`
// definition decides it by construction: without it the forced call cannot be made and the check fails.
// A control run audits a free-text prompt with exact match to the baseline, where nothing is constrained.
//
//   npm run bench -- audit [--samples N] [--threads N] [--model path.gguf] [--no-write]
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDb } from "../../daemon/db.js";
import { openLocalCompleter, type LocalCompleter } from "../../daemon/audit/completers/local.js";
import { buildJob } from "../../daemon/audit/job.js";
import { AuditRun } from "../../daemon/audit/runner.js";
import { loadSpec } from "../../daemon/audit/spec.js";
import type { AuditReport } from "../../daemon/api.js";
import { chatModelPath, testThreads } from "../fixtures/models.js";
import { machineDescription, median, writeSection } from "./_report.js";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const fixtures = join(repoRoot, "test/fixtures/audit");
/** stories260K when ../shared is beside the repo, else a generated random-weight model (the construction holds for any weights). */
export const defaultModel = (): string => chatModelPath();

export interface PlantedCase {
  name: string;
  spec: string;
  /** Sections that decide the checked output by construction; every other section is planted bloat. */
  essential: string[];
}

export const PLANTED: PlantedCase[] = [
  {
    name: "Markdown system prompt + 3 tools",
    spec: "triage-markdown.hotpath-audit.json",
    essential: ["tool:record_label"],
  },
  {
    name: "XML-tagged system prompt + 2 tools",
    spec: "triage-xml.hotpath-audit.json",
    essential: ["tool:record_label"],
  },
  {
    name: "paragraphs, bullets, few-shot turns + 1 tool",
    spec: "triage-fewshot.hotpath-audit.json",
    essential: ["tool:record_label"],
  },
];

export interface PlantedResult {
  c: PlantedCase;
  report: AuditReport;
  wallMs: number;
  bloat: string[];
  bloatRemovable: number;
  essentialKept: number;
  /** Every planted section removable, no essential one, and the combined removal verified. */
  correct: boolean;
}

export async function runPlanted(
  local: LocalCompleter,
  c: PlantedCase,
  opts: { samples?: number } = {},
): Promise<PlantedResult> {
  const loaded = loadSpec(join(fixtures, c.spec));
  if (opts.samples) loaded.spec.samples = opts.samples;
  const db = openDb(":memory:");
  const job = buildJob(loaded, { model: local.model, complete: local.complete, counter: local.counter, local: true });
  const started = performance.now();
  const report = await new AuditRun(db, job).run();
  const wallMs = performance.now() - started;
  db.close();
  const bloat = report.sections.map((s) => s.id).filter((id) => !c.essential.includes(id));
  const bloatRemovable = report.sections.filter((s) => bloat.includes(s.id) && s.verdict === "removable").length;
  const essentialKept = report.sections.filter((s) => c.essential.includes(s.id) && s.verdict !== "removable").length;
  const removedOk = [...report.combined.removed].sort().join() === [...bloat].sort().join();
  return {
    c,
    report,
    wallMs,
    bloat,
    bloatRemovable,
    essentialKept,
    correct:
      bloatRemovable === bloat.length && essentialKept === c.essential.length && report.combined.verified && removedOk,
  };
}

/** The control: a free-text prompt, exact match to the baseline's output, nothing constrained. */
export async function runControl(
  local: LocalCompleter,
  samples: number,
): Promise<{ report: AuditReport; wallMs: number }> {
  const loaded = loadSpec(join(fixtures, "support.md"));
  loaded.spec.samples = samples;
  loaded.spec.request = { max_tokens: 24 };
  const db = openDb(":memory:");
  const job = buildJob(loaded, { model: local.model, complete: local.complete, counter: local.counter, local: true });
  job.inputs = [
    { name: "q1", user: "When do you open?" },
    { name: "q2", user: "Are you open on Sunday?" },
  ];
  const started = performance.now();
  const report = await new AuditRun(db, job).run();
  db.close();
  return { report, wallMs: performance.now() - started };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const modelPath = resolve(flag(args, "--model") ?? defaultModel());
  if (!existsSync(modelPath)) {
    console.log(`audit bench skipped: no model at ${modelPath} (pass --model <gguf>)`);
    return;
  }
  const samples = Number(flag(args, "--samples") ?? 3);
  const threads = Number(flag(args, "--threads") ?? testThreads());
  const local = await openLocalCompleter(modelPath, { threads, gpu: false });
  const rows: string[] = [];
  const results: PlantedResult[] = [];
  try {
    for (const c of PLANTED) {
      const r = await runPlanted(local, c, { samples });
      results.push(r);
      const rep = r.report;
      console.log(
        `${c.name}: ${r.correct ? "correct" : "WRONG"} in ${(r.wallMs / 1000).toFixed(1)} s, ${rep.calls} calls`,
      );
      rows.push(
        `| ${c.name} | ${rep.sections.length} | ${r.bloatRemovable}/${r.bloat.length} | ${r.essentialKept}/${c.essential.length} | ` +
          `${rep.combined.verified ? "yes" : "no"} | ${rep.combined.tokensSaved} of ${rep.prompt.tokens} (${(rep.combined.share * 100).toFixed(1)}%) | ` +
          `${rep.baseline.promptTokens} → ${rep.baseline.promptTokens - rep.combined.promptTokensSaved} | ` +
          `${rep.baseline.latencyMs.toFixed(0)} → ${(rep.baseline.latencyMs - rep.combined.latencyMsSaved).toFixed(0)} | ` +
          `${rep.calls} | ${(r.wallMs / 1000).toFixed(1)} | ${rep.baseline.deterministic && rep.sections.every((s) => s.deterministic) ? "yes" : "no"} |`,
      );
    }
    const control = await runControl(local, samples);
    const verdicts = new Map<string, number>();
    for (const s of control.report.sections) verdicts.set(s.verdict, (verdicts.get(s.verdict) ?? 0) + 1);
    const controlLine = [...verdicts].map(([v, n]) => `${n} ${v}`).join(", ");
    console.log(`control (free text, exact match to baseline): ${controlLine}`);

    const latencies = results.map((r) => r.report.baseline.latencyMs);
    const section = [
      `Planted-bloat benchmark (\`npm run bench -- audit\`), ${new Date().toISOString().slice(0, 16)} UTC. Machine: ${machineDescription()}. ` +
        `Model: \`${modelPath.split("/").pop()}\` in-process (node-llama-cpp, CPU, ${threads} thread(s)), temperature 0, ${samples} samples per variant, 2 test inputs per prompt.`,
      "",
      "Construction: each prompt forces a call to `record_label`, whose only argument is an enum with one value, so a JSON-schema grammar fixes the " +
        "checked output (JSON-equal to `[{name: record_label, arguments: {label: refund}}]`, plus a regex or JS assertion) whatever the other sections say. " +
        "Every other section (prose, XML blocks, few-shot examples and turns, other tool definitions) is planted bloat that provably cannot change the check; " +
        "the `record_label` definition decides it (without it the forced call is refused, and the sample fails).",
      "",
      "| prompt | sections | bloat marked removable | essential kept | combined verified | counted tokens removed | measured prompt tokens / call | median latency ms | calls | wall s | all samples identical |",
      "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
      ...rows,
      "",
      `Median per-call latency at baseline: ${median(latencies).toFixed(0)} ms (one engine sequence with prefix reuse, so repeated samples of a variant reuse its KV cache; ` +
        "on a loaded shared machine the latency columns are indicative only — the token columns are exact). " +
        `Samples are deterministic: at temperature 0 each variant returned ${samples} identical outputs per input, ` +
        "so the bootstrap intervals are zero-width and come only from agreement across inputs; more samples add cost, not evidence, on a deterministic backend.",
      "",
      `Control — the same auditor on a free-text Markdown prompt (\`support.md\`, 7 sections) with exact match to the baseline output and nothing constrained: ${controlLine}. ` +
        "A greedy tiny model changes its text whenever any prompt token changes, so an exact-match check makes almost every section look decisive; " +
        "real audits need checks that measure what matters (JSON fields, regexes, assertions, embedding similarity, a judge).",
      "",
    ].join("\n");
    console.log(`\n## audit\n\n${section}`);
    if (!args.includes("--no-write")) writeSection("audit", section);
  } finally {
    await local.dispose();
  }
}
