// Remembers vectors of texts embedded before (bounded, least recently used out): repeated queries skip the model.
import type { Embedder } from "../embedder.js";

export class MemoEmbedder implements Embedder {
  private readonly memo = new Map<string, Float32Array>();
  constructor(
    private readonly inner: Embedder,
    private readonly capacity = 10_000,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  dimensions(): Promise<number> {
    return this.inner.dimensions();
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((t) => !this.memo.has(t)))];
    if (missing.length) {
      const vectors = await this.inner.embed(missing);
      missing.forEach((t, i) => this.memo.set(t, vectors[i]));
      while (this.memo.size > this.capacity) this.memo.delete(this.memo.keys().next().value as string);
    }
    return texts.map((t) => {
      const v = this.memo.get(t)!;
      this.memo.delete(t);
      this.memo.set(t, v);
      return v;
    });
  }

  dispose(): Promise<void> {
    return this.inner.dispose?.() ?? Promise.resolve();
  }
}
