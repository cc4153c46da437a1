// The local engine: which GGUF models are configured, their load state, and the backends serving them.
// Knows nothing of HTTP or routing (DESIGN.md layering).
import { createModelDownloader } from "node-llama-cpp";
import type { CompletionRequest } from "../api.js";
import type { ChatEvent, Priority } from "../chat.js";
import type { ModelRef } from "../config.js";
import { LocalChatBackend, DEFAULT_MAX_TOKENS, stopList } from "./chat-backend.js";
import { refuseUnfittable } from "./context-bound.js";
import { ContextOverflowError, doneEvent, generate } from "./generate.js";
import { llamaRuntime, type GpuChoice } from "./llama.js";
import { LocalModel } from "./model.js";
import { validateGguf } from "./gguf/validate.js";
import { contextThreads, describeThreads, type ThreadsSetting } from "./threads/choose.js";
import { ThreadChoices } from "./threads/remembered.js";

export interface EngineOptions {
  gpu: GpuChoice;
  /** A fixed CPU thread count, or "auto": calibrated per model on first load, remembered in threadsFile. */
  threads: ThreadsSetting;
  /** <data-dir>/threads.json; without it calibrations are not remembered. */
  threadsFile?: string;
  contextSize: number;
  sequences: number;
  maxQueued: number;
  modelsDir: string;
  /** Prefix snapshots: <data-dir>/kv and its disk budget (0 disables). */
  kvDir?: string;
  kvBudgetBytes?: number;
  /** Shows a download progress bar (interactive terminals only). */
  showProgress: boolean;
  log: (level: "info" | "warn" | "error", message: string) => void;
  /** How long a request waits for a model that is still loading before 503 (default 30 s). */
  loadWaitMs?: number;
}

const RESOLVE_TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export type ModelState =
  | { state: "loading" }
  | { state: "ready"; model: LocalModel; backend: LocalChatBackend }
  | { state: "error"; message: string };

export class ModelUnavailableError extends Error {
  constructor(
    message: string,
    readonly code: "model_not_found" | "model_loading" | "model_failed",
  ) {
    super(message);
  }
}

export class Engine {
  private readonly models = new Map<string, { ref: ModelRef; status: ModelState; ready: Promise<void> }>();
  private readonly threadChoices?: ThreadChoices;

  constructor(private readonly options: EngineOptions) {
    this.threadChoices = options.threadsFile ? new ThreadChoices(options.threadsFile) : undefined;
  }

  /** Starts loading every model; failures are recorded per model and never stop the daemon. */
  add(refs: ModelRef[]): void {
    for (const ref of refs) {
      const entry = { ref, status: { state: "loading" } as ModelState, ready: Promise.resolve() };
      entry.ready = this.load(ref).then(
        (model) => {
          entry.status = { state: "ready", model, backend: new LocalChatBackend(model) };
          this.options.log(
            "info",
            `model "${ref.alias}" ready (${model.path}, context ${model.contextSize}, ${model.pool.size} sequences, ${describeThreads(model.threads)})`,
          );
        },
        (e: Error) => {
          entry.status = { state: "error", message: e.message };
          this.options.log("error", `model "${ref.alias}" failed to load: ${e.message}`);
        },
      );
      this.models.set(ref.alias, entry);
    }
  }

  private async load(ref: ModelRef): Promise<LocalModel> {
    const path = ref.source.startsWith("hf:") ? await this.download(ref.source) : ref.source;
    // llama.cpp aborts the whole process on some malformed files: check the header before handing it over.
    await validateGguf(path);
    const llama = await llamaRuntime(this.options.gpu, contextThreads(this.options.threads));
    return LocalModel.load(llama, {
      alias: ref.alias,
      path,
      contextSize: ref.contextSize ?? this.options.contextSize,
      sequences: this.options.sequences,
      threads: this.options.threads,
      threadChoices: this.threadChoices,
      log: (m) => this.options.log("warn", `${ref.alias}: ${m}`),
      maxQueued: this.options.maxQueued,
      gpuLayers: this.options.gpu === "off" ? 0 : "auto",
      draft: ref.draft,
      kv: this.options.kvDir
        ? {
            dir: this.options.kvDir,
            budgetBytes: this.options.kvBudgetBytes ?? 0,
            log: (m) => this.options.log("warn", `${ref.alias}: ${m}`),
          }
        : undefined,
    });
  }

  private async download(uri: string): Promise<string> {
    try {
      // Offline, resolving the file can hang on DNS rather than fail: give up after a bounded wait.
      const downloader = await withTimeout(
        createModelDownloader({
          modelUri: uri,
          dirPath: this.options.modelsDir,
          showCliProgress: this.options.showProgress,
          skipExisting: true,
        }),
        RESOLVE_TIMEOUT_MS,
        `no answer from the model hub within ${RESOLVE_TIMEOUT_MS / 1000} s`,
      );
      return await downloader.download();
    } catch (e) {
      throw new Error(
        `could not download ${uri} (${(e as Error).message}); check the network, or download the file yourself and pass its path to --model`,
      );
    }
  }

  aliases(): string[] {
    return [...this.models.keys()];
  }

  status(alias: string): ModelState | undefined {
    return this.models.get(alias)?.status;
  }

  /** Waits for a model that is still loading; throws a typed error when it is unknown or failed. */
  async ready(alias: string): Promise<Extract<ModelState, { state: "ready" }>> {
    const entry = this.models.get(alias);
    if (!entry) {
      const known = this.aliases();
      throw new ModelUnavailableError(
        `model "${alias}" does not exist here; ${known.length ? `available: ${known.join(", ")}` : "no local model is configured (start with --model <file.gguf>)"}`,
        "model_not_found",
      );
    }
    // Wait for a model that is loading, but not forever (downloads take minutes): then 503 with Retry-After.
    await Promise.race([entry.ready, new Promise((r) => setTimeout(r, this.options.loadWaitMs ?? 30_000).unref())]);
    const status = entry.status;
    if (status.state === "error")
      throw new ModelUnavailableError(`model "${alias}" failed to load: ${status.message}`, "model_failed");
    if (status.state !== "ready")
      throw new ModelUnavailableError(
        `model "${alias}" is still loading (or downloading); retry shortly`,
        "model_loading",
      );
    return status;
  }

  async backend(alias: string): Promise<LocalChatBackend> {
    return (await this.ready(alias)).backend;
  }

  /** /v1/completions: raw text in, text out, through the same token loop as chat. */
  async *complete(
    alias: string,
    request: CompletionRequest,
    o: { signal: AbortSignal; priority: Priority },
  ): AsyncIterable<ChatEvent> {
    const { model: local } = await this.ready(alias);
    const prompt = Array.isArray(request.prompt) ? request.prompt[0] : request.prompt;
    refuseUnfittable(local.model, prompt.length, local.contextSize, "prompt");
    const tokens = local.model.tokenize(prompt);
    const bos = local.model.tokens.bos;
    if (bos !== null && local.model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    if (tokens.length === 0) tokens.push(bos ?? local.model.tokens.eos!);
    const stream = generate(
      local.model,
      local.pool,
      local.contextSize,
      {
        tokens,
        maxTokens: request.max_tokens ?? 16,
        temperature: request.temperature ?? 1,
        topP: request.top_p ?? undefined,
        seed: request.seed ?? undefined,
        stopStrings: stopList(request.stop),
        stopTokenSequences: [],
        priority: o.priority,
        signal: o.signal,
      },
      local.speculative,
    );
    if (request.echo) yield { type: "text", text: prompt };
    for (;;) {
      const step = await stream.next();
      if (!step.done) {
        yield { type: "text", text: step.value };
        continue;
      }
      const r = step.value;
      yield doneEvent(r);
      return;
    }
  }

  async embed(alias: string, inputs: string[]): Promise<{ vectors: number[][]; tokens: number }> {
    const { model: local } = await this.ready(alias);
    const limit = local.embeddingContextSize;
    inputs.forEach((input, i) =>
      refuseUnfittable(local.model, input.length, limit, inputs.length > 1 ? `input.${i}` : "input"),
    );
    const context = await local.embeddings();
    const vectors: number[][] = [];
    let tokens = 0;
    for (const [i, input] of inputs.entries()) {
      const count = local.model.tokenize(input).length;
      if (count > limit) {
        const param = inputs.length > 1 ? `input.${i}` : "input";
        throw new ContextOverflowError(
          `the input is ${count} tokens but one embedding holds at most ${limit}; split it`,
          param,
        );
      }
      tokens += count;
      vectors.push([...(await context.getEmbeddingFor(input)).vector]);
    }
    return { vectors, tokens };
  }

  async dispose(): Promise<void> {
    for (const entry of this.models.values()) {
      await entry.ready;
      if (entry.status.state === "ready") await entry.status.model.dispose().catch(() => undefined);
    }
  }
}

export { DEFAULT_MAX_TOKENS };
