// One loaded local model: its weights, a context with several sequences (a pool), and its chat template.
import type { ChatWrapper, Llama, LlamaContext, LlamaEmbeddingContext, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { resolveChatWrapper } from "node-llama-cpp";
import { canonicalJson } from "../canonical.js";
import { SequencePool } from "./pool.js";

export interface LocalModelOptions {
  alias: string;
  path: string;
  contextSize: number;
  sequences: number;
  threads: number;
  maxQueued: number;
  gpuLayers?: "auto" | number;
}

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
    private readonly threads: number,
  ) {}

  static async load(llama: Llama, o: LocalModelOptions): Promise<LocalModel> {
    const model = await llama.loadModel({ modelPath: o.path, gpuLayers: o.gpuLayers ?? "auto" });
    try {
      const trainContext = model.trainContextSize || o.contextSize;
      const context = await model.createContext({
        contextSize: Math.min(o.contextSize, trainContext),
        sequences: o.sequences,
        threads: o.threads,
      });
      const chatWrapper = resolveChatWrapper(model);
      return new LocalModel(o.alias, o.path, llama, model, context, new SequencePool(context, o.maxQueued), chatWrapper, o.threads);
    } catch (e) {
      await model.dispose();
      throw e;
    }
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /** Grammars are compiled once per schema (canonical JSON), since compiling costs more than a short generation. */
  grammarFor(schema: Record<string, unknown> | "json"): Promise<LlamaGrammar> {
    const key = schema === "json" ? "json" : canonicalJson(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = schema === "json" ? this.llama.getGrammarFor("json") : this.llama.createGrammarForJsonSchema(schema as any);
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
    }
    return grammar;
  }

  embeddings(): Promise<LlamaEmbeddingContext> {
    this.embeddingContext ??= this.model.createEmbeddingContext({ contextSize: Math.min(this.contextSize, 2048), threads: this.threads });
    return this.embeddingContext;
  }

  async dispose(): Promise<void> {
    if (this.embeddingContext) await (await this.embeddingContext.catch(() => undefined))?.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
