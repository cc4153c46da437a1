// Provider API keys live in VS Code's SecretStorage only. They reach the daemon as environment variables of its
// process at start; they are never written to settings, files or the log.
import type * as vscode from "vscode";

export const PROVIDERS = [
  { id: "openai", label: "OpenAI", env: "OPENAI_API_KEY" },
  { id: "anthropic", label: "Anthropic", env: "ANTHROPIC_API_KEY" },
  { id: "openrouter", label: "OpenRouter", env: "OPENROUTER_API_KEY" },
  { id: "groq", label: "Groq", env: "GROQ_API_KEY" },
  { id: "gemini", label: "Google Gemini", env: "GEMINI_API_KEY" },
  { id: "mistral", label: "Mistral", env: "MISTRAL_API_KEY" },
] as const;

export type ProviderId = (typeof PROVIDERS)[number]["id"];

const secretKey = (id: string) => `hotpath.apiKey.${id}`;

export class ProviderKeys {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async set(id: ProviderId, key: string): Promise<void> {
    await this.secrets.store(secretKey(id), key);
  }
  async delete(id: ProviderId): Promise<void> {
    await this.secrets.delete(secretKey(id));
  }
  async has(id: ProviderId): Promise<boolean> {
    return (await this.secrets.get(secretKey(id))) !== undefined;
  }
  /** The daemon's environment additions: one variable per stored key. */
  async env(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const p of PROVIDERS) {
      const v = await this.secrets.get(secretKey(p.id));
      if (v) env[p.env] = v;
    }
    return env;
  }
}
