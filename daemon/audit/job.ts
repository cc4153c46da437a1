// Turns a loaded spec plus a model choice into a runnable audit job: which backend answers (a GGUF in-process, or
// the Hotpath daemon over HTTP), how prompts are counted, which test inputs and checks apply.
import { existsSync } from "node:fs";
import type { Config } from "../config.js";
import type { TraceStore } from "../traces/store.js";
import { defaultChecks, type Completer, type Embed } from "./checks/index.js";
import { daemonConnection, httpCompleter } from "./completers/http.js";
import { openLocalCompleter } from "./completers/local.js";
import { recordedUse } from "./recorded.js";
import type { AuditJob, AuditTarget } from "./runner.js";
import { inlineInputs, SpecError, type LoadedSpec, type TestInput } from "./spec.js";
import { counterForModelName, ggufVocabCounter, type TokenCounter } from "./tokens.js";

/**
 * Whether a model name has the form of a file path, decided without touching the filesystem — so a daemon that
 * refuses paths answers the same for files that exist and files that do not.
 */
export function looksLikePath(model: string): boolean {
  // Route names are provider:model (the model part may hold "/"); no route or alias holds a backslash.
  return /\.gguf$/i.test(model) || model.includes("\\") || (model.includes("/") && !model.includes(":"));
}

export function isGgufPath(model: string): boolean {
  return /\.gguf$/i.test(model) || (model.includes("/") && existsSync(model) && !model.includes(":"));
}

export interface TargetChoice {
  /** --model, else the spec's `model`, else the first configured model. */
  model?: string;
  config: Config;
  /** Overrides the HTTP completer (the daemon may pass its own in-process router). */
  complete?: Completer;
  threads?: number;
  /** A long-lived GGUF vocabulary counter per path (the daemon keeps one); without it each target loads its own. */
  vocabCounter?: (path: string) => Promise<TokenCounter>;
}

/** Opens the backend an audit talks to; call dispose() when done. */
export async function openTarget(choice: TargetChoice): Promise<AuditTarget & { dispose(): Promise<void> }> {
  const model = choice.model ?? choice.config.models[0]?.alias;
  if (!model)
    throw new SpecError("no model to audit with: pass --model <GGUF path | alias | route>, or set `model` in the spec");
  if (isGgufPath(model)) {
    if (!existsSync(model)) throw new SpecError(`--model ${model}: no such GGUF file`);
    const local = await openLocalCompleter(model, {
      threads: choice.threads ?? fixedThreads(choice.config.threads),
      gpu: choice.config.gpu === "off" ? false : choice.config.gpu,
    });
    return {
      model: local.model,
      complete: local.complete,
      counter: local.counter,
      local: true,
      dispose: () => local.dispose(),
    };
  }
  // A daemon alias of a local GGUF: count with that file's vocabulary; anything else by name.
  const ref = choice.config.models.find((m) => m.alias === model || `local:${m.alias}` === model);
  let counter: TokenCounter = counterForModelName(model);
  let disposeCounter = async () => {};
  if (ref && choice.vocabCounter && ref.source.toLowerCase().endsWith(".gguf")) {
    counter = await choice.vocabCounter(ref.source);
  } else if (ref && existsSync(ref.source)) {
    const vocab = await ggufVocabCounter(ref.source);
    counter = vocab.counter;
    disposeCounter = vocab.dispose;
  }
  const complete = choice.complete ?? httpCompleter(daemonConnection(choice.config));
  return { model, complete, counter, local: ref !== undefined, dispose: disposeCounter };
}

/** Test inputs: inline, or the last N user messages recorded with this system prompt. */
export function resolveInputs(loaded: LoadedSpec, traces?: TraceStore): TestInput[] {
  const inputs = loaded.spec.inputs;
  if (inputs && !Array.isArray(inputs)) {
    if (!traces) throw new SpecError("inputs.fromTraces needs the trace database");
    const recorded = recordedUse(traces, loaded.doc, undefined, loaded.systemText).inputs.slice(
      0,
      inputs.fromTraces.last,
    );
    if (!recorded.length) {
      throw new SpecError(
        "inputs.fromTraces: no recorded LLM call used this system prompt; give inputs inline or record some calls first",
      );
    }
    return recorded.map((user, i) => ({ name: `recorded ${i + 1}`, user }));
  }
  return inlineInputs(loaded.spec);
}

export function buildJob(
  loaded: LoadedSpec,
  target: AuditTarget,
  opts: { traces?: TraceStore; embed?: Embed } = {},
): AuditJob {
  const checks = loaded.spec.checks ?? defaultChecks(opts.embed !== undefined);
  if (!opts.embed && checks.some((c) => c.type === "similarity")) {
    throw new SpecError(
      "the similarity check needs a sentence embedder, and none is available here; use exact, json-equal, regex, js or judge",
    );
  }
  return {
    loaded,
    inputs: resolveInputs(loaded, opts.traces),
    checks,
    target,
    ...(opts.embed ? { embed: opts.embed } : {}),
  };
}

/** A fixed --threads count; "auto" leaves the in-process completer its own default. */
export function fixedThreads(threads: number | "auto"): number | undefined {
  return threads === "auto" ? undefined : threads;
}
