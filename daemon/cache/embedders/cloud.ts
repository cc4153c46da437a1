// Embeddings from a route that speaks OpenAI's POST /v1/embeddings (OpenAI, or any compatible server).
import { z } from "zod";
import { normalize, type Embedder } from "../embedder.js";

/** The seam a cloud route implements; the router may provide its own later. */
export interface EmbeddingRoute {
  readonly id: string;
  embed(texts: string[]): Promise<number[][]>;
}

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })).min(1),
});

export class OpenAiEmbeddingRoute implements EmbeddingRoute {
  readonly id: string;
  constructor(private readonly opts: { baseUrl: string; model: string; apiKey?: string; timeoutMs?: number }) {
    this.id = `cloud:${new URL(opts.baseUrl).host}/${opts.model}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const res = await fetch(`${this.opts.baseUrl.replace(/\/$/, "")}/embeddings`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: this.opts.model, input: texts, encoding_format: "float" }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`embeddings route ${this.id} answered ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`embeddings route ${this.id} returned non-JSON: ${text.slice(0, 100)}`);
    }
    const parsed = EmbeddingsResponse.safeParse(body);
    if (!parsed.success)
      throw new Error(`embeddings route ${this.id} returned an unexpected shape: ${parsed.error.issues[0]?.message}`);
    const out: number[][] = [];
    for (const d of parsed.data.data) out[d.index] = d.embedding;
    if (out.length !== texts.length || out.some((v) => !v)) {
      throw new Error(
        `embeddings route ${this.id} returned ${parsed.data.data.length} vectors for ${texts.length} inputs`,
      );
    }
    const dims = out[0].length;
    if (out.some((v) => v.length !== dims))
      throw new Error(`embeddings route ${this.id} returned vectors of differing length`);
    return out;
  }
}

export class CloudEmbedder implements Embedder {
  readonly id: string;
  private dims?: number;
  constructor(private readonly route: EmbeddingRoute) {
    this.id = route.id;
  }

  async dimensions(): Promise<number> {
    if (this.dims === undefined) this.dims = (await this.embed(["dimension probe"]))[0].length;
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const out = (await this.route.embed(texts)).map(normalize);
    this.dims = out[0].length;
    return out;
  }
}
