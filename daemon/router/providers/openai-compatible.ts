// Any server speaking OpenAI Chat Completions at its own base URL: vLLM, SGLang, llama-server, Ollama, LM Studio,
// OpenRouter. The key is optional (local servers rarely want one).
import { OpenAIBackend } from "./openai.js";
import type { ProviderBackendOptions } from "./backend.js";

export class OpenAICompatibleBackend extends OpenAIBackend {
  constructor(opts: ProviderBackendOptions) {
    super(opts);
    this.requireKey = false;
    this.speaksResponses = false;
  }
}
