// Route ids → ChatBackends: cloud providers from config (plus implicit `openai` and `anthropic` providers keyed by
// OPENAI_API_KEY / ANTHROPIC_API_KEY), and local models from the engine.
import type { ChatBackend } from "../chat.js";
import type { ProviderConfig, RouterConfig } from "../config.js";
import { AnthropicBackend } from "./providers/anthropic.js";
import type { ProviderBackendOptions } from "./providers/backend.js";
import { OpenAIBackend } from "./providers/openai.js";
import { OpenAICompatibleBackend } from "./providers/openai-compatible.js";
import type { Agent } from "undici";
import { createAgent, type Connection } from "./providers/upstream.js";
import { resolveSecret } from "./secrets.js";

/** What the router needs from the local engine (daemon/engine/engine.ts fits): a backend per model alias ("local:<alias>"). */
export interface LocalModels {
  aliases(): string[];
  /** Waits for a loading model; throws when the alias is unknown or failed to load. */
  backend(alias: string): Promise<ChatBackend>;
}

const IMPLICIT: Record<string, ProviderConfig> = {
  openai: { type: "openai", apiKey: "env:OPENAI_API_KEY", maxConcurrency: 16, anthropicVersion: "2023-06-01" },
  anthropic: { type: "anthropic", apiKey: "env:ANTHROPIC_API_KEY", maxConcurrency: 16, anthropicVersion: "2023-06-01" },
};

const DEFAULT_BASE: Record<ProviderConfig["type"], string | undefined> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  "openai-compatible": undefined,
};

interface Provider {
  name: string;
  config: ProviderConfig;
  baseURL: string;
  conn: Connection;
}

export class Backends {
  private providers = new Map<string, Provider>();
  private cache = new Map<string, ChatBackend>();

  constructor(
    config: RouterConfig,
    private readonly local: LocalModels | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.configure(config);
  }

  /** Applies a new config; providers whose settings did not change keep their pooled connections. */
  configure(config: RouterConfig): void {
    const next = new Map<string, Provider>();
    const all = { ...IMPLICIT, ...config.providers };
    for (const [name, pc] of Object.entries(all)) {
      const baseURL = pc.baseURL ?? DEFAULT_BASE[pc.type];
      if (!baseURL) continue; // config validation refuses an openai-compatible provider without one
      const old = this.providers.get(name);
      if (old && JSON.stringify(old.config) === JSON.stringify(pc) && old.baseURL === baseURL) next.set(name, old);
      else {
        if (old) retire(old.conn.agent);
        next.set(name, { name, config: pc, baseURL, conn: { name, agent: createAgent(pc.maxConcurrency) } });
      }
    }
    for (const [name, p] of this.providers) if (!next.has(name)) retire(p.conn.agent);
    this.providers = next;
    this.cache.clear();
  }

  /** Configured and implicit providers, with whether their key resolves now (never the key itself). */
  describe(): {
    name: string;
    type: ProviderConfig["type"];
    baseURL: string;
    maxConcurrency: number;
    keyPresent: boolean;
  }[] {
    return [...this.providers.values()].map((p) => ({
      name: p.name,
      type: p.config.type,
      baseURL: p.baseURL,
      maxConcurrency: p.config.maxConcurrency,
      keyPresent: resolveSecret(p.config.apiKey, this.env) !== undefined,
    }));
  }

  isRouteId(name: string): boolean {
    const i = name.indexOf(":");
    if (i <= 0 || i === name.length - 1) return false;
    const provider = name.slice(0, i);
    return provider === "local" || this.providers.has(provider);
  }

  localAliases(): string[] {
    return this.local?.aliases() ?? [];
  }

  /** A bare model name: a local model alias, or a vendor model family name routed to that vendor. */
  routeForModel(name: string): string | undefined {
    if (this.local?.aliases().includes(name)) return `local:${name}`;
    if (/^claude-/.test(name) && this.providers.get("anthropic")?.config.type === "anthropic")
      return `anthropic:${name}`;
    if (/^(gpt-|o\d|chatgpt-)/.test(name) && this.providers.get("openai")?.config.type === "openai")
      return `openai:${name}`;
    return undefined;
  }

  /** The backend of a route id; undefined when its provider does not exist; throws when a local model cannot serve. */
  async get(route: string, timeoutMs: number): Promise<ChatBackend | undefined> {
    const key = `${route}\u0000${timeoutMs}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const i = route.indexOf(":");
    const provider = route.slice(0, i);
    const model = route.slice(i + 1);
    let backend: ChatBackend | undefined;
    if (provider === "local") {
      if (!this.local?.aliases().includes(model)) return undefined;
      return this.local.backend(model);
    } else {
      const p = this.providers.get(provider);
      if (!p) return undefined;
      const opts: ProviderBackendOptions = {
        id: route,
        model,
        conn: p.conn,
        baseURL: p.baseURL,
        apiKey: () => resolveSecret(p.config.apiKey, this.env),
        apiKeyRef: p.config.apiKey,
        timeoutMs,
      };
      backend =
        p.config.type === "anthropic"
          ? new AnthropicBackend(opts, p.config.anthropicVersion)
          : p.config.type === "openai"
            ? new OpenAIBackend(opts)
            : new OpenAICompatibleBackend(opts);
      this.cache.set(key, backend);
    }
    return backend;
  }

  close(): void {
    for (const p of this.providers.values()) void p.conn.agent.destroy().catch(() => {});
  }
}

/** A replaced provider's connections: requests in flight on them finish; the pool closes a while later. */
function retire(agent: Agent): void {
  setTimeout(() => void agent.destroy().catch(() => {}), 10 * 60_000).unref();
}
