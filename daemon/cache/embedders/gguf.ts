// A GGUF embedding model run by node-llama-cpp (`--embedding-model`), threads from the core count.
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { usableGpu } from "../../engine/llama.js";
import { lazy, normalize, type Embedder } from "../embedder.js";

interface LoadedGguf {
  context: { getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }>; dispose(): Promise<void> };
  model: { dispose(): Promise<void>; trainContextSize: number };
}

export interface GgufEmbedderOptions {
  modelPath: string;
  threads?: number;
  gpu?: "auto" | "cuda" | "vulkan" | "metal" | false;
  contextSize?: number;
}

export class GgufEmbedder implements Embedder {
  readonly id: string;
  private dims?: number;
  private readonly loaded = lazy(async (): Promise<LoadedGguf> => {
    const { getLlama } = await import("node-llama-cpp");
    const threads = this.options.threads ?? Math.max(1, availableParallelism());
    // The backend checked in a child first (engine/gpu-check.ts): a GPU that aborts at its first kernel is not used.
    const gpu = await usableGpu(this.options.gpu === false ? "off" : (this.options.gpu ?? "auto"));
    const llama = await getLlama({ gpu, maxThreads: threads });
    const model = await llama.loadModel({ modelPath: this.options.modelPath });
    const context = await model.createEmbeddingContext({
      threads,
      contextSize: this.options.contextSize ?? Math.min(model.trainContextSize, 2048),
    });
    return { context, model };
  });
  // Serialize: one embedding context evaluates one input at a time.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: GgufEmbedderOptions,
    sizeBytes: number,
  ) {
    this.id = `gguf:${basename(options.modelPath)}#${sizeBytes}`;
  }

  static async open(options: GgufEmbedderOptions): Promise<GgufEmbedder> {
    const s = await stat(options.modelPath).catch(() => {
      throw new Error(
        `embedding model not found: ${options.modelPath} (set cache.embeddingModel / --embedding-model to a GGUF file)`,
      );
    });
    return new GgufEmbedder(options, s.size);
  }

  async dimensions(): Promise<number> {
    if (this.dims === undefined) [this.dims] = (await this.embed(["dimension probe"])).map((v) => v.length);
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const { context } = await this.loaded();
    const run = this.queue.then(async () => {
      const out: Float32Array[] = [];
      for (const t of texts) out.push(normalize((await context.getEmbeddingFor(t.trim() ? t : " ")).vector));
      return out;
    });
    this.queue = run.catch(() => undefined);
    const out = await run;
    if (out.length) this.dims = out[0].length;
    return out;
  }

  async dispose(): Promise<void> {
    const { context, model } = await this.loaded();
    await context.dispose();
    await model.dispose();
  }
}
