// Picks the embedder the configuration names. Nothing is loaded here: models load on the first embed.
import type { CacheConfig } from "../../config.js";
import type { Embedder } from "../embedder.js";
import { CloudEmbedder, OpenAiEmbeddingRoute } from "./cloud.js";
import { GgufEmbedder } from "./gguf.js";
import { UseEmbedder } from "./use.js";

export async function embedderFromConfig(
  config: CacheConfig,
  opts: { threads?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Embedder> {
  const env = opts.env ?? process.env;
  switch (config.embedder) {
    case "use":
      return new UseEmbedder();
    case "gguf":
      if (!config.embeddingModel)
        throw new Error('cache.embedder is "gguf" but cache.embeddingModel (--embedding-model) is not set');
      return GgufEmbedder.open({ modelPath: config.embeddingModel, threads: opts.threads });
    case "cloud": {
      const c = config.cloudEmbeddings;
      if (!c) throw new Error('cache.embedder is "cloud" but cache.cloudEmbeddings {baseUrl, model} is not set');
      return new CloudEmbedder(
        new OpenAiEmbeddingRoute({
          baseUrl: c.baseUrl,
          model: c.model,
          apiKey: c.apiKeyEnv ? env[c.apiKeyEnv] : undefined,
        }),
      );
    }
  }
}
