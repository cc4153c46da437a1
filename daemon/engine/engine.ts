// The local engine: which GGUF models are known, which are in memory (loaded on first use, unloaded when idle), and
// the backends serving them.
// Knows nothing of HTTP or routing (DESIGN.md layering).
import { createModelDownloader } from "node-llama-cpp";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { CompletionRequest, LocalModelStatus } from "../api.js";
import type { ChatBackend, ChatEvent, Priority } from "../chat.js";
import type { ModelRef } from "../config.js";
import { LocalChatBackend, DEFAULT_MAX_TOKENS, stopList } from "./chat-backend.js";
import { refuseUnfittable } from "./context-bound.js";
import { doneEvent, generate } from "./generate.js";
import { gpuFallback, llamaRuntime, type GpuChoice } from "./llama.js";
import { LocalModel } from "./model.js";
import { embedInputs, type Embeddings } from "./embed.js";
import { contextThreads, describeThreads, type ThreadsSetting } from "./threads/choose.js";
import { ThreadChoices } from "./threads/remembered.js";
import { FOREVER, parseKeepAlive } from "../models/keep-alive.js";
import { describeFile, isRemote, knownModels, type KnownModel } from "../models/registry.js";
import { Residency, type ResidencyReason, type ResidencyState } from "../models/residency.js";

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
  /**
   * How long a request waits for a model that is still loading before 503 (default 30 s). Infinity: until it is
   * loaded or fails (a one-shot command whose user waits for the model anyway, e.g. `hotpath audit`).
   */
  loadWaitMs?: number;
  /** How long a model stays loaded after its last request (default: for ever; the daemon passes --keep-alive). */
  keepAliveMs?: number;
  /** Also know the GGUF files in modelsDir (the daemon; not in-process users such as audits). */
  discover?: boolean;
  /** A model was loaded, unloaded or failed (events for views). */
  onModelState?: (change: { alias: string; state: ResidencyState; reason: ResidencyReason; error?: string }) => void;
}

/** A request's keep_alive in ms (already validated by the request schema), undefined for the default. */
function keepAliveOf(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseKeepAlive(value);
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
  | { state: "unloaded" }
  | { state: "loading" }
  | { state: "ready"; model: LocalModel; backend: ChatBackend }
  | { state: "unloading" }
  | { state: "error"; message: string };

export class ModelUnavailableError extends Error {
  constructor(
    message: string,
    readonly code: "model_not_found" | "model_loading" | "model_failed",
  ) {
    super(message);
  }
}

interface Loaded {
  model: LocalModel;
  backend: LocalChatBackend;
  dispose(): Promise<void>;
}

interface Entry {
  known: KnownModel;
  ref: ModelRef;
  residency: Residency<Loaded>;
}

export class Engine {
  private readonly models = new Map<string, Entry>();
  private readonly threadChoices?: ThreadChoices;
  /** The models dir's mtime at the last scan: a pull or rm changes it, and only then is it read again. */
  private scannedMtimeMs = -1;
  private readonly configRefs: ModelRef[] = [];

  constructor(private readonly options: EngineOptions) {
    this.threadChoices = options.threadsFile ? new ThreadChoices(options.threadsFile) : undefined;
  }

  /** Makes models known (config models) without loading them: each loads on its first request. */
  register(refs: ModelRef[]): void {
    for (const ref of refs) {
      this.configRefs.push(ref);
      if (this.models.has(ref.alias)) continue;
      const known = knownModels([ref], this.options.modelsDir)[0];
      this.models.set(ref.alias, this.entry(known, ref));
    }
  }

  /** Makes models known and starts loading them; failures are recorded per model and never stop the daemon. */
  add(refs: ModelRef[]): void {
    this.register(refs);
    for (const ref of refs) void this.models.get(ref.alias)!.residency.load("startup");
  }

  private entry(known: KnownModel, ref: ModelRef): Entry {
    const entry: Entry = {
      known,
      ref,
      residency: new Residency<Loaded>({
        load: () => this.loadModel(entry),
        defaultKeepAliveMs: this.options.keepAliveMs ?? FOREVER,
        onChange: (state, reason, detail) => {
          if (state === "ready" && detail?.loaded) {
            const m = detail.loaded.model;
            this.options.log(
              "info",
              `model "${ref.alias}" ready (${m.path}, context ${m.contextSize}, ${m.pool.size} sequences, ${describeThreads(m.threads)})`,
            );
          } else if (state === "error") {
            this.options.log("error", `model "${ref.alias}" failed to load: ${detail?.error}`);
          } else if (state === "unloaded" && reason === "idle") {
            this.options.log("info", `model "${ref.alias}" unloaded after its keep-alive`);
          }
          this.options.onModelState?.({ alias: ref.alias, state, reason, error: detail?.error });
        },
      }),
    };
    return entry;
  }

  /** Picks up GGUF files added to or removed from <data-dir>/models (pull, rm, a copy) when discovery is on. */
  refresh(): void {
    if (!this.options.discover) return;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.options.modelsDir).mtimeMs;
    } catch {
      mtimeMs = 0;
    }
    if (mtimeMs === this.scannedMtimeMs) return;
    this.scannedMtimeMs = mtimeMs;
    const known = knownModels(this.configRefs, this.options.modelsDir).filter((k) => k.origin === "data-dir");
    const present = new Set(known.map((k) => k.alias));
    for (const [alias, entry] of this.models) {
      // A file that is gone is forgotten once nothing holds it in memory.
      if (entry.known.origin === "data-dir" && !present.has(alias) && entry.residency.state === "unloaded")
        this.models.delete(alias);
    }
    for (const k of known) {
      const taken = [...this.models.values()].some((e) => e.known.path === k.path);
      if (!this.models.has(k.alias) && !taken)
        this.models.set(k.alias, this.entry(k, { alias: k.alias, source: k.path! }));
    }
  }

  private async loadModel(entry: Entry): Promise<Loaded> {
    const { ref } = entry;
    const path = isRemote(ref.source) ? await this.download(ref.source) : ref.source;
    entry.known.path = resolve(path);
    // (LocalModel.load checks the GGUF header before llama.cpp sees the file.)
    const llama = await llamaRuntime(this.options.gpu, contextThreads(this.options.threads), this.options.log);
    const model = await LocalModel.load(llama, {
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
    return { model, backend: new LocalChatBackend(model), dispose: () => model.dispose() };
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
    this.refresh();
    return [...this.models.keys()];
  }

  status(alias: string): ModelState | undefined {
    const entry = this.models.get(alias);
    if (!entry) return undefined;
    const r = entry.residency;
    if (r.state === "ready") return { state: "ready", model: r.value!.model, backend: this.residentBackend(alias) };
    if (r.state === "error") return { state: "error", message: r.error! };
    return { state: r.state };
  }

  /** Everything `hotpath ps` / `list` and the extension's model tree show about each known model. */
  async describe(): Promise<LocalModelStatus[]> {
    this.refresh();
    const out: LocalModelStatus[] = [];
    for (const [alias, entry] of this.models) {
      const r = entry.residency;
      const file = entry.known.path ? await describeFile(entry.known.path) : {};
      const loaded = r.value?.model;
      out.push({
        alias,
        source: entry.ref.source,
        origin: entry.known.origin,
        ...(entry.known.path ? { path: entry.known.path } : {}),
        fileBytes: file.fileBytes,
        quantization: file.quantization,
        ...(file.error ? { fileError: file.error } : {}),
        state: r.state,
        ...(r.error ? { error: r.error } : {}),
        inUse: r.inUse,
        loadedAt: r.loadedAt,
        lastUsedAt: r.lastUsedAt,
        idleS: loaded && r.inUse === 0 && r.lastUsedAt ? Math.round((Date.now() - r.lastUsedAt) / 1000) : undefined,
        expiresAt: r.expiresAt,
        keepAliveMs: r.keepAlive,
        ...(loaded
          ? {
              memoryBytes: loaded.model.size,
              contextBytes: loaded.context.stateSize,
              contextSize: loaded.contextSize,
              sequences: loaded.pool.size,
              gpu: loaded.llama.gpu,
              gpuLayers: loaded.model.gpuLayers,
              gpuFallback: loaded.llama.gpu === false ? gpuFallback(this.options.gpu) : undefined,
              threads: { prefill: loaded.threads.prefill, decode: loaded.threads.decode },
            }
          : {}),
      });
    }
    return out;
  }

  /** Loads a model now (an explicit load retries one that failed); resolves once it is ready, throws if it failed. */
  async load(alias: string, keepAliveMs?: number): Promise<void> {
    const entry = this.find(alias);
    await entry.residency.load("admin", true);
    if (entry.residency.state === "error")
      throw new ModelUnavailableError(`model "${alias}" failed to load: ${entry.residency.error}`, "model_failed");
    // A load asked for with a keep-alive holds it that long from now, as a request would.
    if (keepAliveMs !== undefined) entry.residency.begin()?.end(keepAliveMs);
  }

  /** Unloads a model once no request uses it. */
  async unload(alias: string): Promise<void> {
    await this.find(alias).residency.unload("admin");
  }

  private find(alias: string): Entry {
    let entry = this.models.get(alias);
    if (!entry) {
      this.refresh();
      entry = this.models.get(alias);
    }
    if (!entry) {
      const known = this.aliases();
      throw new ModelUnavailableError(
        `model "${alias}" does not exist here; ${known.length ? `available: ${known.join(", ")}` : "no local model is configured (start with --model <file.gguf>, or `hotpath pull <url>`)"}`,
        "model_not_found",
      );
    }
    return entry;
  }

  /** Loads a model on its first request (or waits for one loading); throws a typed error when unknown or failed. */
  async ready(alias: string): Promise<Extract<ModelState, { state: "ready" }>> {
    const entry = this.find(alias);
    const r = entry.residency;
    // Wait for a model that is loading, but not forever (downloads take minutes): then 503 with Retry-After.
    const deadline = Date.now() + (this.options.loadWaitMs ?? 30_000);
    for (;;) {
      if (r.state === "ready") return { state: "ready", model: r.value!.model, backend: this.residentBackend(alias) };
      if (r.state === "error")
        throw new ModelUnavailableError(`model "${alias}" failed to load: ${r.error}`, "model_failed");
      if (deadline === Infinity) {
        await r.load("request");
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new ModelUnavailableError(
          `model "${alias}" is still loading (or downloading); retry shortly`,
          "model_loading",
        );
      await Promise.race([r.load("request"), new Promise((res) => setTimeout(res, left).unref())]);
    }
  }

  /** A request's hold on a loaded model: the model stays in memory until `end`, then for the keep-alive. */
  async use(
    alias: string,
  ): Promise<{ model: LocalModel; backend: LocalChatBackend; end: (keepAliveMs?: number) => void }> {
    for (;;) {
      await this.ready(alias);
      const lease = this.find(alias).residency.begin();
      if (lease) return { model: lease.value.model, backend: lease.value.backend, end: lease.end };
    }
  }

  async backend(alias: string): Promise<ChatBackend> {
    await this.ready(alias);
    return this.residentBackend(alias);
  }

  /** The chat backend of a model alias: each request holds the model while it answers, loading it again if needed. */
  private residentBackend(alias: string): ChatBackend {
    const use = (keepAlive?: string | number) =>
      this.use(alias).then((lease) => ({ ...lease, keepAliveMs: keepAliveOf(keepAlive) }));
    return {
      id: `local:${alias}`,
      async *chat(request, options) {
        const lease = await use(request.keep_alive);
        try {
          yield* lease.backend.chat(request, options);
        } finally {
          lease.end(lease.keepAliveMs);
        }
      },
      async countTokens(request) {
        const lease = await use(request.keep_alive);
        try {
          return await lease.backend.countTokens(request);
        } finally {
          lease.end(lease.keepAliveMs);
        }
      },
    };
  }

  /**
   * /v1/completions: raw text in, text out, through the same token loop as chat. One generator from the token loop to
   * the caller (each async generator between them costs every token a few promise hops on the event loop).
   */
  async *complete(
    alias: string,
    request: CompletionRequest,
    o: { signal: AbortSignal; priority: Priority },
  ): AsyncIterable<ChatEvent> {
    const lease = await this.use(alias);
    try {
      const local = lease.model;
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
        if (step.done) {
          yield doneEvent(step.value);
          return;
        }
        yield { type: "text", text: step.value };
      }
    } finally {
      lease.end(keepAliveOf(request.keep_alive));
    }
  }

  async embed(alias: string, inputs: string[], keepAlive?: string | number, signal?: AbortSignal): Promise<Embeddings> {
    const lease = await this.use(alias);
    try {
      return await embedInputs(lease.model, inputs, signal);
    } finally {
      lease.end(keepAliveOf(keepAlive));
    }
  }

  async dispose(): Promise<void> {
    for (const entry of this.models.values()) await entry.residency.close();
  }
}

export { DEFAULT_MAX_TOKENS };
