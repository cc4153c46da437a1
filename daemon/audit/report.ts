// The audit's outputs: the JSON report (per-section verdicts with intervals, the verified combined saving, ranges
// for editor diagnostics and quick fixes) and a Markdown summary of it.
import type { AuditEstimate, AuditFinding, AuditReport, AuditSectionResult } from "../api.js";
import { modelPrice, tokensCostUsd } from "../router/pricing.js";
import type { AuditJob } from "./runner.js";
import type { Interval, Verdict } from "./stats.js";

export interface VariantSummary {
  /** Scores (0–1) per test input, per sample. */
  scores: number[][];
  /** Mean score in percent. */
  quality: number;
  /** Median measured prompt tokens (usage.prompt_tokens). */
  promptTokens: number;
  latencyMs: number;
  errors: number;
  firstError?: string;
  deterministic: boolean;
  samples: number;
}

interface Analysed {
  summary: VariantSummary;
  delta: Interval;
  verdict: Verdict;
}

const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const interval = (i: Interval) => ({ mean: round(i.mean), low: round(i.low), high: round(i.high) });

export function buildReport(a: {
  job: AuditJob;
  hash: string;
  sectionIds: string[];
  baseline: VariantSummary;
  sections: Map<string, Analysed>;
  combined?: Analysed & { removed: string[]; rounds: number };
  estimate: AuditEstimate;
  calls: number;
  findings: AuditFinding[];
}): AuditReport {
  const { job, baseline } = a;
  const { spec, doc } = job.loaded;
  const counter = job.target.counter;
  const price = modelPrice(job.target.model, job.target.local);
  const perCall = (tokensSaved: number) => (Number.isFinite(tokensSaved) ? tokensCostUsd(price, tokensSaved, 0) : null);
  const tokensOf = new Map(doc.sections.map((s) => [s.id, counter.count(s.text)]));
  const promptTokens = [...tokensOf.values()].reduce((x, y) => x + y, 0);

  const sections: AuditSectionResult[] = doc.sections.map((s) => {
    const r = a.sections.get(s.id);
    const saved = r ? baseline.promptTokens - r.summary.promptTokens : NaN;
    return {
      id: s.id,
      title: s.title,
      kind: s.kind,
      tokens: tokensOf.get(s.id)!,
      range: s.range,
      deleteRange: s.deleteRange,
      verdict: r ? r.verdict : "not audited",
      qualityDelta: r ? interval(r.delta) : { mean: NaN, low: NaN, high: NaN },
      quality: r ? round(r.summary.quality) : NaN,
      promptTokensSaved: saved,
      latencyMsSaved: r ? round(baseline.latencyMs - r.summary.latencyMs, 1) : NaN,
      costSavedUsdPerCall: perCall(saved),
      samples: r?.summary.samples ?? 0,
      errors: r?.summary.errors ?? 0,
      deterministic: r?.summary.deterministic ?? false,
      ...(r?.summary.firstError ? { firstError: r.summary.firstError } : {}),
    };
  });

  const c = a.combined;
  const removed = c && c.verdict === "removable" ? c.removed : [];
  const tokensSaved = removed.reduce((x, id) => x + tokensOf.get(id)!, 0);
  const measuredSaved = c && removed.length ? baseline.promptTokens - c.summary.promptTokens : 0;
  const notes: string[] = [];
  const allDeterministic = baseline.deterministic && [...a.sections.values()].every((s) => s.summary.deterministic);
  if (allDeterministic) {
    notes.push(
      `Every variant gave ${spec.samples} identical samples per input (temperature 0 on a deterministic backend): the intervals reflect variation across test inputs only, and more samples would add nothing.`,
    );
  }
  if (job.inputs.length < 5) {
    notes.push(
      `Only ${job.inputs.length} test input(s): verdicts hold for these inputs; add inputs (or inputs.fromTraces) to generalise.`,
    );
  }
  if (!counter.exact)
    notes.push(
      `Token counts are an estimate (${counter.tokenizer}); measured prompt-token savings come from the backend's usage.`,
    );
  if (c && c.verdict !== "removable") {
    notes.push(
      `Removing the removable sections together was not verified after ${c.rounds} round(s): quality fell by ${round(-c.delta.mean)} points.`,
    );
  }
  return {
    version: 1,
    runId: a.hash,
    createdAt: Date.now(),
    model: job.target.model,
    prompt: {
      ...(job.loaded.promptPath ? { path: job.loaded.promptPath } : {}),
      format: doc.format,
      tokens: promptTokens,
    },
    tokenizer: counter.tokenizer,
    exactTokens: counter.exact,
    inputs: job.inputs.length,
    samples: spec.samples,
    tolerance: spec.tolerance,
    confidence: spec.confidence,
    checks: job.checks.map((ch) => ch.type),
    baseline: {
      quality: round(baseline.quality),
      promptTokens: baseline.promptTokens,
      latencyMs: round(baseline.latencyMs, 1),
      errors: baseline.errors,
      deterministic: baseline.deterministic,
    },
    sections,
    combined: {
      removed,
      verified: removed.length > 0,
      verdict: c ? c.verdict : "nothing to remove",
      qualityDelta: c ? interval(c.delta) : { mean: 0, low: 0, high: 0 },
      tokensSaved,
      share: promptTokens ? round(tokensSaved / promptTokens, 4) : 0,
      promptTokensSaved: measuredSaved,
      latencyMsSaved: c && removed.length ? round(baseline.latencyMs - c.summary.latencyMs, 1) : 0,
      costSavedUsdPerCall: perCall(measuredSaved),
      rounds: c?.rounds ?? 0,
    },
    estimate: a.estimate,
    calls: a.calls,
    findings: a.findings,
    notes,
  };
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const signed = (x: number, d = 1) => (Number.isFinite(x) ? `${x > 0 ? "+" : ""}${x.toFixed(d)}` : "–");

export function toMarkdown(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(`# Prompt audit${r.prompt.path ? `: ${r.prompt.path}` : ""}`, "");
  lines.push(
    `Model \`${r.model}\` · ${r.inputs} input(s) × ${r.samples} sample(s) per variant · checks: ${r.checks.join(", ")} · ` +
      `tolerance ${r.tolerance} points at ${Math.round(r.confidence * 100)}% confidence · tokens: ${r.tokenizer}${r.exactTokens ? "" : " (estimate)"}`,
    "",
  );
  lines.push(
    `Baseline quality ${fmt(r.baseline.quality)}% · ${r.baseline.promptTokens} prompt tokens · median latency ${fmt(r.baseline.latencyMs, 0)} ms`,
    "",
  );
  lines.push(
    "| section | tokens | verdict | quality Δ (pts) | CI | prompt tokens saved |",
    "|---|---:|---|---:|---|---:|",
  );
  for (const s of r.sections) {
    lines.push(
      `| ${s.title.replace(/\|/g, "\\|")} | ${s.tokens} | ${s.verdict} | ${signed(s.qualityDelta.mean)} | ` +
        `[${signed(s.qualityDelta.low)}, ${signed(s.qualityDelta.high)}] | ${Number.isFinite(s.promptTokensSaved) ? s.promptTokensSaved : "–"} |`,
    );
  }
  lines.push("");
  const c = r.combined;
  if (c.verified) {
    lines.push(
      `**Verified combined saving:** removing ${c.removed.length} section(s) saves ${c.tokensSaved} tokens (${fmt(c.share * 100)}% of the prompt; ` +
        `${c.promptTokensSaved} measured prompt tokens per call), quality Δ ${signed(c.qualityDelta.mean)} points ` +
        `[${signed(c.qualityDelta.low)}, ${signed(c.qualityDelta.high)}].`,
    );
  } else {
    lines.push(`**Combined saving:** none verified (${c.verdict}).`);
  }
  if (r.findings.length) {
    lines.push("", "## Static findings", "");
    for (const f of r.findings) lines.push(`- ${f.kind}: ${f.message}`);
  }
  if (r.notes.length) {
    lines.push("", "## Notes", "");
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  return `${lines.join("\n")}\n`;
}
