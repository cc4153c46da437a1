// Audits for the daemon's HTTP API: static sectioning on demand, and background runs the extension starts, polls
// and cancels. Runs are keyed by their spec hash, so starting the same spec again resumes (or returns) it.
import type {
  AuditProgress,
  AuditRunRequest,
  AuditRunStarted,
  AuditRunStatus,
  AuditSectionsRequest,
  AuditSectionsResponse,
} from "../api.js";
import type { Config } from "../config.js";
import type { Db } from "../db.js";
import type { TraceStore } from "../traces/store.js";
import type { Completer, Embed } from "./checks/index.js";
import { buildJob, isGgufPath, looksLikePath, openTarget } from "./job.js";
import { docSystemText, recordedUse } from "./recorded.js";
import { toMarkdown } from "./report.js";
import { AuditRun, requestTexts } from "./runner.js";
import { ablate } from "./sections/ablate.js";
import { PromptError } from "./sections/index.js";
import { promptFactsOffLoop } from "./prompt-thread.js";
import { factsOffLoop, spanDoc, SpecError, validateSpec, type LoadedSpec } from "./spec.js";
import { duplicateSentences, findings, sectionDtos, staticTexts } from "./static.js";
import { withCounts } from "./token-count.js";
import { AuditStore } from "./store.js";
import { counterForModelName, ggufVocabCounter, type TokenCounter } from "./tokens.js";

/** Runs at once; more are refused (each one keeps a backend busy for minutes). */
const MAX_RUNNING = 2;

interface Live {
  status: AuditRunStatus;
  controller: AbortController;
}

export class AuditService {
  private readonly live = new Map<string, Live>();
  private readonly counters = new Map<string, Promise<{ counter: TokenCounter; dispose(): Promise<void> }>>();
  private readonly store: AuditStore;

  constructor(
    private readonly deps: {
      db: Db;
      traces: TraceStore;
      config: Config;
      complete?: Completer;
      embed?: Embed;
      /** Accept GGUF paths as `model` (load them in-process). Off in the daemon: requests name configured models. */
      allowModelPaths?: boolean;
    },
  ) {
    this.store = new AuditStore(deps.db);
  }

  /** Exact counts where the model is a local GGUF (vocabulary loaded once), a labelled estimate otherwise. */
  private async counterFor(model: string | undefined): Promise<TokenCounter> {
    if (!model) return counterForModelName("");
    const ref = this.deps.config.models.find((m) => m.alias === model || `local:${m.alias}` === model);
    const path = ref?.source ?? (this.deps.allowModelPaths && isGgufPath(model) ? model : undefined);
    if (!path || !path.toLowerCase().endsWith(".gguf")) return counterForModelName(model);
    return this.vocabCounter(path).catch(() => counterForModelName(model));
  }

  /** One vocabulary per GGUF for the daemon's life: loading it reads the file (seconds on a busy machine). */
  private async vocabCounter(path: string): Promise<TokenCounter> {
    let entry = this.counters.get(path);
    if (!entry) this.counters.set(path, (entry = ggufVocabCounter(path)));
    try {
      return (await entry).counter;
    } catch (e) {
      this.counters.delete(path);
      throw e;
    }
  }

  async sections(req: AuditSectionsRequest): Promise<AuditSectionsResponse> {
    // A request's prompt text is read (and its sentences compared) off the event loop; a span's is bounded by the store.
    const { doc, duplicates, systemText } =
      req.span !== undefined
        ? this.spanFacts(req.span, req.granularity)
        : await promptFactsOffLoop(req.text!, { fileName: req.fileName, granularity: req.granularity });
    const model = await this.counterFor(req.model);
    refuseUnfittable(model, doc.sections, req.model);
    const counter = await withCounts(model, staticTexts(doc, duplicates));
    const recorded = recordedUse(this.deps.traces, doc, undefined, systemText);
    const { sections, totalTokens } = sectionDtos(doc, counter);
    return {
      format: doc.format,
      ...(doc.format === "span" ? { source: doc.source } : {}),
      tokenizer: counter.tokenizer,
      exactTokens: counter.exact,
      totalTokens,
      sections,
      findings: findings(doc, counter, recorded, duplicates),
      ...(recorded.stats.calls ? { recorded: recorded.stats } : {}),
    };
  }

  private spanFacts(span: { traceId: string; spanId: string }, granularity: AuditSectionsRequest["granularity"]) {
    const ref = `${span.traceId}/${span.spanId}`;
    const doc = spanDoc(ref, this.deps.traces, validateSpec({ span: ref, granularity: granularity ?? "auto" }));
    return { doc, duplicates: duplicateSentences(doc), systemText: docSystemText(doc) };
  }

  async start(req: AuditRunRequest): Promise<AuditRunStarted> {
    const spec = validateSpec(req.spec);
    // The daemon never reads files named in a request: the editor sends the text it has open.
    if (spec.prompt !== undefined) {
      throw new SpecError(
        "send the prompt's text as `promptText` (and its file name as `fileName`); the daemon does not read files named in requests",
      );
    }
    const loaded: LoadedSpec =
      spec.span !== undefined
        ? { spec, doc: spanDoc(spec.span, this.deps.traces, spec) }
        : {
            spec,
            ...(await factsOffLoop(spec.promptText!, req.fileName, spec)),
            ...(req.fileName ? { promptPath: req.fileName } : {}),
          };
    const model = req.model ?? spec.model;
    const configured = this.deps.config.models.some((m) => m.alias === model);
    if (model && !configured && !this.deps.allowModelPaths && looksLikePath(model)) {
      throw new SpecError(
        `model "${model}" looks like a file path; name a model alias or route this daemon serves (GGUF paths are for the CLI)`,
      );
    }
    const target = await openTarget({
      model,
      config: this.deps.config,
      complete: this.deps.complete,
      vocabCounter: (path) => this.vocabCounter(path),
    });
    let run: AuditRun;
    try {
      const job = buildJob(loaded, target, { traces: this.deps.traces, embed: this.deps.embed });
      // The longest request the run sends: the whole prompt plus its longest test input.
      const longestInput = job.inputs.reduce((m, i) => Math.max(m, i.user?.length ?? 0), 0);
      refuseUnfittable(target.counter, loaded.doc.sections, model, longestInput);
      // Every text the run counts (its estimate now, its findings at the end), counted off the event loop where the
      // counter is a BPE: a cloud model's prompt has no context bound here, and 1 MB held the loop for seconds.
      const texts = staticTexts(loaded.doc, loaded.duplicates);
      for (const input of job.inputs) texts.push(...requestTexts(ablate(loaded.doc, new Set(), input.user)));
      job.target = { ...target, counter: await withCounts(target.counter, texts) };
      run = new AuditRun(this.deps.db, job);
    } catch (e) {
      await target.dispose();
      throw e;
    }
    const id = run.hash;
    const estimate = run.estimate();
    const existing = this.live.get(id);
    if (existing?.status.status === "running") {
      await target.dispose();
      return { id, estimate: existing.status.estimate };
    }
    if ([...this.live.values()].filter((l) => l.status.status === "running").length >= MAX_RUNNING) {
      await target.dispose();
      throw new SpecError(`${MAX_RUNNING} audits are already running; wait for one to finish or cancel it`);
    }
    const controller = new AbortController();
    const status: AuditRunStatus = {
      id,
      status: "running",
      progress: { phase: "baseline", done: 0, total: estimate.calls },
      estimate,
    };
    this.live.set(id, { status, controller });
    run
      .run({ signal: controller.signal, fresh: req.fresh, onProgress: (p: AuditProgress) => (status.progress = p) })
      .then((report) => {
        status.status = "done";
        status.report = report;
        status.markdown = toMarkdown(report);
      })
      .catch((e: unknown) => {
        status.status = controller.signal.aborted ? "cancelled" : "failed";
        if (!controller.signal.aborted) status.error = (e as Error).message;
      })
      .finally(() => void target.dispose());
    return { id, estimate };
  }

  status(id: string): AuditRunStatus | undefined {
    const live = this.live.get(id);
    if (live) return live.status;
    const stored = this.store.status(id);
    if (!stored) return undefined;
    const done = stored.report !== undefined;
    return {
      id,
      status: stored.status === "running" ? "cancelled" : stored.status, // a run left "running" by a dead daemon
      progress: {
        phase: done ? "done" : "baseline",
        done: stored.report?.calls ?? this.store.countSamples(id),
        total: stored.report?.estimate.calls ?? 0,
      },
      estimate: stored.report?.estimate ?? {
        calls: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: null,
        callsDone: this.store.countSamples(id),
      },
      ...(stored.report ? { report: stored.report, markdown: toMarkdown(stored.report) } : {}),
    };
  }

  cancel(id: string): AuditRunStatus | undefined {
    const live = this.live.get(id);
    if (live?.status.status === "running") live.controller.abort(new Error("cancelled"));
    return this.status(id);
  }

  async dispose(): Promise<void> {
    for (const l of this.live.values()) l.controller.abort(new Error("daemon stopping"));
    for (const c of this.counters.values()) await c.then((x) => x.dispose()).catch(() => undefined);
  }
}

/** Text longer than the model's context can hold is refused before it is tokenized (see TokenCounter.fitChars). */
function refuseUnfittable(
  counter: TokenCounter,
  sections: { text: string }[],
  model: string | undefined,
  extraChars = 0,
): void {
  if (counter.fitChars === undefined) return;
  let chars = extraChars;
  for (const s of sections) chars += s.text.length;
  if (chars > counter.fitChars) {
    throw new SpecError(
      `the prompt${extraChars ? " with its longest test input" : ""} is ${chars} characters, more than ${model ? `model "${model}"` : "the model"}'s context can hold (at most ${counter.fitChars}); audit a shorter prompt or a model with a longer context`,
    );
  }
}

export { PromptError, SpecError };
