// `hotpath audit <spec|prompt-file>`: ablates each section of a prompt, prints per-section verdicts and the verified
// combined saving. Shows the estimate first; Ctrl-C cancels cleanly and the same command later resumes.
import { Command, InvalidArgumentError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { createInterface } from "node:readline/promises";
import { writeFileSync } from "node:fs";
import { ConfigError, dataPaths, loadConfig } from "../config.js";
import { openDb } from "../db.js";
import { TraceStore } from "../traces/store.js";
import { embedderFromConfig } from "../cache/embedders/index.js";
import { buildJob, fixedThreads, openTarget } from "../audit/job.js";
import { toMarkdown } from "../audit/report.js";
import { AuditRun } from "../audit/runner.js";
import { loadSpec, SpecError } from "../audit/spec.js";
import "../audit/store.js";

interface AuditFlags {
  json?: boolean;
  model?: string;
  samples?: number;
  yes?: boolean;
  fresh?: boolean;
  markdown?: string;
  threads?: number;
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};

export function register(program: Command): void {
  program
    .command("audit")
    .description(
      "find prompt sections that can be removed without measurable quality loss (ablation with bootstrap CIs)",
    )
    .argument(
      "<spec>",
      "a *.hotpath-audit.json|yaml spec, a prompt file (Markdown, text, XML-tagged, JSON chat), or span:<traceId>/<spanId>",
    )
    .option("--json", "print the JSON report on stdout")
    .option("--model <model>", "GGUF path (runs in-process), or a route/alias served by the running daemon")
    .option("--samples <n>", "samples per variant and input", positiveInt)
    .option("--threads <n>", "CPU threads for an in-process GGUF", positiveInt)
    .option("-y, --yes", "start without asking after the estimate")
    .option("--fresh", "start over instead of resuming or reusing an earlier run of the same spec")
    .option("--markdown <file>", "also write the Markdown summary to a file")
    .action(async (specPath: string, flags: AuditFlags, cmd: Command) => {
      process.exitCode = await audit(specPath, flags, cmd.optsWithGlobals() as { dataDir?: string });
    });
}

async function audit(specPath: string, flags: AuditFlags, globals: { dataDir?: string }): Promise<number> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let config;
  try {
    config = loadConfig({ flags: { ...(globals.dataDir ? { dataDir: globals.dataDir } : {}) } });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`hotpath audit: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const db = openDb(dataPaths(config.dataDir).db);
  let loaded;
  try {
    // The trace store serves span:<traceId>/<spanId> prompts and inputs.fromTraces.
    loaded = loadSpec(specPath, new TraceStore(db));
  } catch (e) {
    db.close();
    if (e instanceof SpecError) {
      err(`hotpath audit: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (flags.samples) loaded.spec.samples = flags.samples;
  let target;
  try {
    target = await openTarget({ model: flags.model ?? loaded.spec.model, config, threads: flags.threads });
  } catch (e) {
    err(`hotpath audit: ${(e as Error).message}`);
    db.close();
    return 2;
  }
  const controller = new AbortController();
  let bar: SingleBar | undefined;
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error("cancelled"));
  };
  process.on("SIGINT", onSigint);
  try {
    // The cache's sentence embedder serves similarity checks (and makes similarity the default check); it loads
    // on first use, so audits with other checks never pay for it.
    const needsEmbedder = !loaded.spec.checks || loaded.spec.checks.some((c) => c.type === "similarity");
    const embedder = needsEmbedder
      ? await embedderFromConfig(config.cache, { threads: fixedThreads(config.threads) }).catch(() => undefined)
      : undefined;
    const embed = embedder ? (text: string) => embedder.embed([text]).then((v) => v[0]) : undefined;
    const job = buildJob(loaded, target, { traces: new TraceStore(db), ...(embed ? { embed } : {}) });
    const run = new AuditRun(db, job);
    const est = run.estimate();
    const cost = est.costUsd === null ? "cost unknown (no price for this model)" : `~$${est.costUsd.toFixed(4)}`;
    err(
      `audit of ${loaded.promptPath ?? "inline prompt"}: ${run.sectionIds.length} sections × ${job.inputs.length} input(s) × ${loaded.spec.samples} sample(s) ` +
        `on ${target.model}\nestimate: ${est.calls} calls, ≤${est.promptTokens} prompt + ≤${est.completionTokens} completion tokens, ${cost}` +
        (est.callsDone ? `\nresuming: ${est.callsDone} calls already recorded` : ""),
    );
    if (!flags.yes && process.stdin.isTTY && !(await confirm("start? [y/N] "))) {
      err("not started");
      return 1;
    }
    if (process.stderr.isTTY) {
      bar = new SingleBar(
        { format: "{bar} {value}/{total} calls · {phase} {variant}", hideCursor: true, stream: process.stderr },
        Presets.shades_classic,
      );
      bar.start(est.calls, 0, { phase: "baseline", variant: "" });
    }
    const report = await run.run({
      signal: controller.signal,
      fresh: flags.fresh,
      onProgress: (p) => {
        if (bar) {
          bar.setTotal(p.total);
          bar.update(p.done, { phase: p.phase, variant: p.variant ?? "" });
        } else if (p.phase === "done" || p.done % 10 === 0) err(`${p.phase} ${p.done}/${p.total}`);
      },
    });
    bar?.stop();
    const md = toMarkdown(report);
    if (flags.markdown) writeFileSync(flags.markdown, md);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : md);
    return 0;
  } catch (e) {
    bar?.stop();
    if (controller.signal.aborted) {
      err("cancelled: the calls made so far are saved; run the same command again to resume");
      return 130;
    }
    if (e instanceof SpecError) {
      err(`hotpath audit: ${e.message}`);
      return 2;
    }
    err(
      `hotpath audit failed: ${(e as Error).message}\nthe calls made so far are saved; fix the cause and rerun to resume`,
    );
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
    await target.dispose();
    db.close();
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
