// The ablation run: baseline, then one variant per removed section (N samples per test input each), then a
// verification run with every removable section removed together. Samples are persisted as they finish (keyed by
// the spec hash), so a cancelled run resumes where it stopped. Requests never use the response cache.
import type { AuditEstimate, AuditProgress, AuditReport, ChatCompletionRequest } from "../api.js";
import type { Db } from "../db.js";
import { CompletionError, outputText, scoreSample, type Completer, type Embed } from "./checks/index.js";
import { modelPrice, tokensCostUsd } from "../router/pricing.js";
import { buildReport, type VariantSummary } from "./report.js";
import { ablate } from "./sections/ablate.js";
import type { PromptDoc } from "./sections/index.js";
import { selectSections, specHash, type Check, type LoadedSpec, type TestInput } from "./spec.js";
import { bootstrapDelta, median, verdictOf, type Interval, type Verdict } from "./stats.js";
import { AuditStore, type Sample } from "./store.js";
import type { TokenCounter } from "./tokens.js";
import { findings } from "./static.js";

/** Where requests go, and how their prompts are counted. */
export interface AuditTarget {
  /** The `model` field sent (route, alias, or the GGUF's name for the in-process completer). */
  model: string;
  complete: Completer;
  counter: TokenCounter;
  /** Runs on this machine: calls cost nothing. */
  local: boolean;
}

export interface AuditJob {
  loaded: LoadedSpec;
  inputs: TestInput[];
  checks: Check[];
  target: AuditTarget;
  embed?: Embed;
}

const MAX_VERIFY_ROUNDS = 3;
const DEFAULT_MAX_TOKENS = 256;

function combinedKey(ids: string[]): string {
  return `combined:${[...ids].sort().join(",")}`;
}

export class AuditRun {
  readonly hash: string;
  readonly sectionIds: string[];
  private readonly store: AuditStore;
  private readonly doc: PromptDoc;
  private samples = new Map<string, Sample>();
  private done = 0;
  private total = 0;

  constructor(
    db: Db,
    private readonly job: AuditJob,
  ) {
    this.store = new AuditStore(db);
    this.doc = job.loaded.doc;
    this.sectionIds = selectSections(job.loaded.spec, this.doc);
    this.hash = specHash({
      spec: job.loaded.spec,
      source: this.doc.source,
      // A span's recorded user message is part of the prompt as written, beside the source text.
      messages: this.doc.format === "span" ? this.doc.messages : undefined,
      model: job.target.model,
      inputs: job.inputs,
      checks: job.checks,
    });
  }

  /** What the run will cost, before it starts (one verification round assumed; a failed one adds a round). */
  estimate(): AuditEstimate {
    const { spec } = this.job.loaded;
    const perVariant = this.job.inputs.length * spec.samples;
    const variants = 1 + this.sectionIds.length + 1;
    const judges = this.job.checks.filter((c) => c.type === "judge").length;
    const calls = variants * perVariant * (1 + judges);
    const counter = this.job.target.counter;
    const sectionTokens = new Map(this.doc.sections.map((s) => [s.id, counter.count(s.text)]));
    let promptTokens = 0;
    for (const input of this.job.inputs) {
      const base = countRequest(counter, ablate(this.doc, new Set(), input.user));
      promptTokens += base * spec.samples; // baseline
      for (const id of this.sectionIds) promptTokens += Math.max(0, base - sectionTokens.get(id)!) * spec.samples;
      promptTokens += base * spec.samples; // verification (upper bound: nothing removed)
    }
    const maxTokens = spec.request.max_tokens ?? this.doc.request.max_tokens ?? DEFAULT_MAX_TOKENS;
    const completionTokens = variants * perVariant * maxTokens;
    return {
      calls,
      promptTokens,
      completionTokens,
      costUsd: tokensCostUsd(modelPrice(this.job.target.model, this.job.target.local), promptTokens, completionTokens),
      callsDone: this.store.countSamples(this.hash),
    };
  }

  async run(
    opts: { signal?: AbortSignal; onProgress?: (p: AuditProgress) => void; fresh?: boolean } = {},
  ): Promise<AuditReport> {
    const signal = opts.signal ?? new AbortController().signal;
    const estimate = this.estimate();
    // A finished run of the same spec has every sample already: rerunning it makes no calls and re-analyses.
    this.store.begin(this.hash, this.job.target.model, this.job.loaded.promptPath, opts.fresh ?? false);
    this.samples = new Map(this.store.samples(this.hash).map((s) => [key(s.variant, s.inputIndex, s.sampleIndex), s]));
    const { spec } = this.job.loaded;
    const n = spec.samples;
    this.total = estimate.calls / (1 + this.job.checks.filter((c) => c.type === "judge").length);
    this.done = 0;
    const progress = (phase: AuditProgress["phase"], variant?: string) =>
      opts.onProgress?.({ phase, done: this.done, total: this.total, ...(variant ? { variant } : {}) });
    try {
      progress("baseline");
      await this.runVariant("baseline", new Set(), signal, () => progress("baseline", "baseline"));
      const baseline = this.summary("baseline");
      if (baseline.errors === this.job.inputs.length * n) {
        throw new Error(`every baseline call failed, so there is nothing to compare against: ${baseline.firstError}`);
      }
      const tasks = this.sectionIds.map(
        (id) => () => this.runVariant(id, new Set([id]), signal, () => progress("ablation", id)),
      );
      await pool(tasks, 1, signal); // variants in order; samples inside each are concurrent
      const sections = new Map<string, { summary: VariantSummary; delta: Interval; verdict: Verdict }>();
      for (const id of this.sectionIds) {
        const summary = this.summary(id);
        const delta = this.delta(baseline, summary, id);
        sections.set(id, { summary, delta, verdict: verdictOf(delta, spec.tolerance) });
      }
      // Verify the combination; when it fails, put back the section whose own interval was the most doubtful.
      let removed = this.sectionIds.filter((id) => sections.get(id)!.verdict === "removable");
      let combined: { summary: VariantSummary; delta: Interval; verdict: Verdict } | undefined;
      let rounds = 0;
      while (removed.length && rounds < MAX_VERIFY_ROUNDS) {
        rounds++;
        const k = combinedKey(removed);
        this.total += rounds > 1 ? this.job.inputs.length * n : 0;
        await this.runVariant(k, new Set(removed), signal, () => progress("verification", "combined"));
        const summary = this.summary(k);
        const delta = this.delta(baseline, summary, k);
        combined = { summary, delta, verdict: verdictOf(delta, spec.tolerance) };
        if (combined.verdict === "removable" || removed.length === 1) break;
        const worst = [...removed].sort((a, b) => sections.get(a)!.delta.low - sections.get(b)!.delta.low)[0];
        removed = removed.filter((id) => id !== worst);
      }
      this.done = this.total;
      progress("done");
      const report = buildReport({
        job: this.job,
        hash: this.hash,
        sectionIds: this.sectionIds,
        baseline,
        sections,
        combined: combined ? { ...combined, removed, rounds } : undefined,
        estimate,
        calls: this.samples.size,
        findings: findings(this.doc, this.job.target.counter, undefined, this.job.loaded.duplicates),
      });
      this.store.finish(this.hash, "done", report);
      return report;
    } catch (e) {
      this.store.finish(this.hash, signal.aborted ? "cancelled" : "failed");
      throw e;
    }
  }

  private delta(baseline: VariantSummary, variant: VariantSummary, variantKey: string): Interval {
    const { spec } = this.job.loaded;
    let seed = 0;
    for (const ch of this.hash.slice(0, 8) + variantKey) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) | 0;
    return bootstrapDelta(baseline.scores, variant.scores, {
      resamples: spec.resamples,
      confidence: spec.confidence,
      seed,
    });
  }

  private summary(variant: string): VariantSummary {
    const n = this.job.loaded.spec.samples;
    const scores: number[][] = [];
    const prompt: number[] = [];
    const latency: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    let deterministic = true;
    this.job.inputs.forEach((_, i) => {
      const row: number[] = [];
      const outputs = new Set<string | null>();
      for (let k = 0; k < n; k++) {
        const s = this.samples.get(key(variant, i, k));
        if (!s) continue;
        row.push(s.score);
        outputs.add(s.error ? `error:${s.error}` : s.output);
        if (s.promptTokens !== null) prompt.push(s.promptTokens);
        if (!s.error) latency.push(s.latencyMs);
        if (s.error) {
          errors++;
          firstError ??= s.error;
        }
      }
      if (outputs.size > 1) deterministic = false;
      scores.push(row);
    });
    const all = scores.flat();
    return {
      scores,
      quality: all.length ? (all.reduce((a, b) => a + b, 0) / all.length) * 100 : NaN,
      promptTokens: prompt.length ? median(prompt) : NaN,
      latencyMs: latency.length ? median(latency) : NaN,
      errors,
      firstError,
      deterministic: deterministic && n > 1,
      samples: all.length,
    };
  }

  private async runVariant(
    variant: string,
    removed: Set<string>,
    signal: AbortSignal,
    onSample: () => void,
  ): Promise<void> {
    const { spec } = this.job.loaded;
    const tasks: (() => Promise<void>)[] = [];
    this.job.inputs.forEach((input, i) => {
      for (let k = 0; k < spec.samples; k++) {
        tasks.push(async () => {
          if (!this.samples.has(key(variant, i, k))) {
            const s = await this.sample(variant, removed, input, i, k, signal);
            this.store.save(this.hash, s);
            this.samples.set(key(variant, i, k), s);
          }
          this.done++;
          onSample();
        });
      }
    });
    await pool(tasks, spec.concurrency, signal);
  }

  private request(removed: Set<string>, input: TestInput): ChatCompletionRequest {
    const { spec } = this.job.loaded;
    const fromDoc = this.doc.request;
    const r: ChatCompletionRequest = {
      ...fromDoc,
      ...(spec.request as Partial<ChatCompletionRequest>),
      model: this.job.target.model,
      stream: false,
      temperature: spec.request.temperature ?? fromDoc.temperature ?? 0,
      max_tokens: spec.request.max_tokens ?? fromDoc.max_tokens ?? DEFAULT_MAX_TOKENS,
      ...ablate(this.doc, removed, input.user),
    };
    return r;
  }

  private async sample(
    variant: string,
    removed: Set<string>,
    input: TestInput,
    i: number,
    k: number,
    signal: AbortSignal,
  ): Promise<Sample> {
    signal.throwIfAborted();
    const request = this.request(removed, input);
    const started = performance.now();
    // Each call gets its own signal, linked to the run's and unlinked after: backends may leave listeners behind on
    // a signal they are given, and one run-wide signal sees thousands of calls.
    const call = new AbortController();
    const onAbort = () => call.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const completion = await this.job.target.complete(request, call.signal);
      const latencyMs = performance.now() - started;
      const output = outputText(completion);
      // The baseline's first sample of an input is the reference for baseline-relative checks.
      const reference =
        variant === "baseline" && k === 0 ? output : (this.samples.get(key("baseline", i, 0))?.output ?? "");
      const { score, results } = await scoreSample(this.job.checks, {
        output,
        input,
        baseline: reference,
        model: this.job.target.model,
        signal: call.signal,
        embed: this.job.embed,
        complete: this.job.target.complete,
      });
      return {
        variant,
        inputIndex: i,
        sampleIndex: k,
        output,
        score,
        checks: results,
        promptTokens: completion.usage?.prompt_tokens ?? null,
        completionTokens: completion.usage?.completion_tokens ?? null,
        latencyMs,
        error: null,
      };
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      if (!(e instanceof CompletionError) || e.status < 400 || e.status >= 500 || e.status === 429) throw e;
      // The backend refused this variant's request (e.g. a forced tool whose definition was removed): a failed sample.
      return {
        variant,
        inputIndex: i,
        sampleIndex: k,
        output: null,
        score: 0,
        checks: [],
        promptTokens: null,
        completionTokens: null,
        latencyMs: performance.now() - started,
        error: (e as Error).message,
      };
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

function key(variant: string, input: number, sample: number): string {
  return `${variant}\u0000${input}\u0000${sample}`;
}

/** Counts what a request puts in front of the model: every message's text and every tool definition's JSON. */
export function countRequest(counter: TokenCounter, r: Pick<ChatCompletionRequest, "messages" | "tools">): number {
  let n = 0;
  for (const text of requestTexts(r)) n += counter.count(text);
  return n;
}

/** The texts countRequest counts: message text (string content, text parts) and each tool's JSON. */
export function requestTexts(r: Pick<ChatCompletionRequest, "messages" | "tools">): string[] {
  const texts: string[] = [];
  for (const m of r.messages) {
    const c = (m as { content?: unknown }).content;
    if (typeof c === "string") texts.push(c);
    else if (Array.isArray(c)) for (const p of c) if (p && typeof p.text === "string") texts.push(p.text);
  }
  for (const t of r.tools ?? []) texts.push(JSON.stringify(t));
  return texts;
}

/** Runs tasks with at most `limit` in flight; stops starting new ones once the signal aborts or a task fails. */
async function pool(tasks: (() => Promise<void>)[], limit: number, signal: AbortSignal): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < tasks.length && failed === undefined) {
      if (signal.aborted) {
        failed ??= signal.reason;
        return;
      }
      const task = tasks[next++];
      try {
        await task();
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed !== undefined) throw failed;
}
