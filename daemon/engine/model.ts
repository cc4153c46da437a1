// One loaded local model: its weights, a context with several sequences (a pool), and its chat template.
import type { ChatWrapper, Llama, LlamaContext, LlamaEmbeddingContext, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { LlamaText } from "node-llama-cpp";
import { ChatWrapperResolution } from "../models/chat-wrapper.js";
import { validateGguf } from "./gguf/validate.js";
import { canonicalJson } from "../canonical.js";
import { gbnfForSchema, INLINE_SCHEMA_CHARS } from "./grammar/gbnf.js";
import { SequencePool } from "./pool.js";
import { modelFingerprint, PrefixSnapshots } from "./prefix/snapshots.js";
import { AdaptiveSpeculation } from "./speculative/adaptive.js";
import { createSpeculator, type Speculator } from "./speculative/speculator.js";
import { chooseThreads, contextThreads, type ModelThreads, type ThreadsSetting } from "./threads/choose.js";
import type { ThreadChoices } from "./threads/remembered.js";

export interface LocalModelOptions {
  alias: string;
  path: string;
  contextSize: number;
  sequences: number;
  /** A fixed count, or "auto": calibrated on first load (remembered in threadChoices). */
  threads: ThreadsSetting;
  threadChoices?: ThreadChoices;
  /** See BUSY_OTHERS_SHARE (threads/choose.ts); tests pin it. */
  busyOthersShare?: number;
  log?: (message: string) => void;
  maxQueued: number;
  gpuLayers?: "auto" | number;
  /** Speculative decoding: a draft GGUF path, or "lookup" for prompt lookup. */
  draft?: string;
  /** Prefix snapshots: root directory (<data-dir>/kv) and disk budget; none when budget is 0. */
  kv?: { dir: string; budgetBytes: number; log: (message: string) => void };
}

/** Compiled grammars kept per model (least recently used dropped first). */
const GRAMMAR_CACHE_ENTRIES = 32;

export class LocalModel {
  private embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  private constructor(
    readonly alias: string,
    readonly path: string,
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly pool: SequencePool,
    readonly chatWrapper: ChatWrapper,
    /** Prefill and decode thread counts, and where they came from (shown in /hotpath/stats). */
    readonly threads: ModelThreads,
    readonly speculator?: Speculator,
  ) {}

  /** Chooses, per request, whether to speculate (only when the model has a speculator). */
  readonly speculation = new AdaptiveSpeculation();

  /** What generate() needs to speculate; undefined without a draft model or prompt lookup. */
  get speculative(): { speculator: Speculator; adaptive: AdaptiveSpeculation } | undefined {
    return this.speculator ? { speculator: this.speculator, adaptive: this.speculation } : undefined;
  }

  static async load(llama: Llama, o: LocalModelOptions): Promise<LocalModel> {
    // llama.cpp aborts the whole process on some malformed files: the header is checked before it sees the file.
    const gguf = await validateGguf(o.path);
    // Off the event loop where it can be (seconds for some chat templates), meanwhile the weights load.
    const chatWrapperResolution = new ChatWrapperResolution(o.path, gguf.hasChatTemplate);
    const model = await llama.loadModel({ modelPath: o.path, gpuLayers: o.gpuLayers ?? "auto" });
    let speculator: Speculator | undefined;
    try {
      // Before the thread calibration: the resolving worker runs llama.cpp and Jinja on a core of its own, and a
      // calibration measuring meanwhile finds two threads several times slower than they are (it then chose one thread
      // for prefill on every model of the threads bench).
      const { wrapper: chatWrapper } = await chatWrapperResolution.wrapperFor(model, o.log);
      const trainContext = model.trainContextSize || o.contextSize;
      const contextSize = Math.min(o.contextSize, trainContext);
      const context = await model.createContext({
        contextSize,
        sequences: o.sequences,
        threads: contextThreads(o.threads),
      });
      // (model.dispose() below also disposes this context when anything after it fails.)
      const threads = await chooseThreads(o.threads, {
        llama,
        model,
        context,
        path: o.path,
        choices: o.threadChoices,
        log: o.log,
        busyOthersShare: o.busyOthersShare,
      });
      // A draft model decodes token by token: it gets the decode count.
      speculator = o.draft
        ? await createSpeculator(llama, model, o.draft, {
            contextSize,
            sequences: o.sequences,
            threads: threads.decode,
            gpuLayers: o.gpuLayers ?? "auto",
          })
        : undefined;
      const snapshots =
        o.kv && o.kv.budgetBytes > 0
          ? new PrefixSnapshots(o.kv.dir, `${modelFingerprint(o.path)}-c${contextSize}`, o.kv.budgetBytes, o.kv.log)
          : undefined;
      const pool = new SequencePool(context, {
        maxQueued: o.maxQueued,
        detokenize: (t) => model.detokenize(t),
        snapshots,
      });
      return new LocalModel(o.alias, o.path, llama, model, context, pool, chatWrapper, threads, speculator);
    } catch (e) {
      await speculator?.dispose();
      await model.dispose();
      throw e;
    }
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /**
   * Grammars are compiled once per schema (canonical JSON), since compiling costs more than a short generation. A large
   * schema's GBNF text is written in the grammar worker (see grammar/gbnf.ts); only the native compile runs here.
   */
  grammarFor(schema: Record<string, unknown> | "json"): Promise<LlamaGrammar> {
    const key = schema === "json" ? "json" : canonicalJson(schema);
    let grammar = this.grammars.get(key);
    if (grammar) {
      this.grammars.delete(key); // most recently used last
      this.grammars.set(key, grammar);
    } else {
      grammar =
        schema === "json"
          ? this.llama.getGrammarFor("json")
          : key.length <= INLINE_SCHEMA_CHARS
            ? this.llama.createGrammarForJsonSchema(schema as any)
            : // As sent, not the canonical key: the grammar writes properties in the schema's own order.
              gbnfForSchema(JSON.stringify(schema)).then((gbnf) =>
                // The options llama.createGrammarForJsonSchema gives the same text.
                this.llama.createGrammar({
                  grammar: gbnf,
                  stopGenerationTriggers: [LlamaText(["\n".repeat(4)])],
                  trimWhitespaceSuffix: true,
                }),
              );
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
      // Bounded: every distinct schema a client sends would otherwise stay compiled for the daemon's life.
      if (this.grammars.size > GRAMMAR_CACHE_ENTRIES) this.grammars.delete(this.grammars.keys().next().value!);
    }
    return grammar;
  }

  /** Tokens one embedding input may hold. */
  get embeddingContextSize(): number {
    return Math.min(this.contextSize, 2048);
  }

  embeddings(): Promise<LlamaEmbeddingContext> {
    this.embeddingContext ??= this.model.createEmbeddingContext({
      contextSize: this.embeddingContextSize,
      threads: this.threads.prefill,
    });
    return this.embeddingContext;
  }

  async dispose(): Promise<void> {
    if (this.embeddingContext) await (await this.embeddingContext.catch(() => undefined))?.dispose();
    await this.context.dispose();
    await this.speculator?.dispose();
    await this.model.dispose();
  }
}
