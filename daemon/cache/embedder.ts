// What turns text into a vector for the semantic lookup. Every embedder has a stable id (model + version) stored
// with each vector, so vectors from different embedders never meet in one search.
export interface Embedder {
  /** Stable identity of the vector space, e.g. "use-lite@0.2.0" or "gguf:nomic-embed.gguf#<size>". */
  readonly id: string;
  /** Vector length; known only after load for some embedders. */
  dimensions(): Promise<number>;
  /** Unit-length vectors, one per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose?(): Promise<void>;
}

export function normalize(v: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(v);
  let n = 0;
  for (let i = 0; i < out.length; i++) n += out[i] * out[i];
  n = Math.sqrt(n);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error("the embedder returned a zero or non-finite vector");
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}

/** Cosine of two unit vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Loads the real thing on first use, once, so starting the daemon stays fast; a failed load is retried next call. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((e) => {
      pending = undefined;
      throw e;
    });
    return pending;
  };
}
