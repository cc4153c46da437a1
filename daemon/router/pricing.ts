// Cost of one call from its usage and a price table (USD per 1M tokens): the shipped prices.json, overridden by
// config. Lookup is by route id prefix ("openai:gpt-4o-mini-2024-07-18" matches "openai:gpt-4o-mini").
import type { Usage } from "../api.js";
import type { Price as ConfigPrice } from "../config.js";
import shipped from "./prices.json" with { type: "json" };

export class PriceTable {
  private readonly entries: [string, ConfigPrice][];

  constructor(overrides: Record<string, ConfigPrice> = {}) {
    const table = new Map<string, ConfigPrice>();
    for (const [k, v] of Object.entries(shipped)) if (!k.startsWith("$")) table.set(k, v as ConfigPrice);
    for (const [k, v] of Object.entries(overrides)) table.set(k, v);
    // Longest key first, so the most specific prefix wins.
    this.entries = [...table].sort((a, b) => b[0].length - a[0].length);
  }

  /** The price of a route ("provider:model"); keys without a provider prefix match the model name of any provider. */
  lookup(route: string, override?: ConfigPrice): ConfigPrice | undefined {
    if (override) return override;
    const model = route.slice(route.indexOf(":") + 1);
    for (const [key, price] of this.entries)
      if (route.startsWith(key) || (!key.includes(":") && model.startsWith(key))) return price;
    return undefined;
  }
}

/** USD for one call; cached prompt tokens are billed at the cached-input price when the table has one. */
export function costUsd(usage: Usage, price: ConfigPrice): number {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const fresh = Math.max(0, usage.prompt_tokens - cached);
  const total =
    fresh * price.input + cached * (price.cachedInput ?? price.input) + usage.completion_tokens * price.output;
  return total / 1_000_000;
}

/** The shipped table alone: audits price a model they know by name, with no route config. */
const SHIPPED = new PriceTable();

/**
 * The price of a model named without its provider (an audit target): by route id or model-name prefix, else as an
 * OpenAI or Anthropic model. A local model costs nothing; an unknown cloud model is undefined, never a guess.
 */
export function modelPrice(model: string, local: boolean): ConfigPrice | undefined {
  if (local) return { input: 0, output: 0 };
  return SHIPPED.lookup(model) ?? SHIPPED.lookup(`openai:${model}`) ?? SHIPPED.lookup(`anthropic:${model}`);
}

/** USD for a call counted in tokens, none of them cached; null when the price is unknown. */
export function tokensCostUsd(
  price: ConfigPrice | undefined,
  promptTokens: number,
  completionTokens: number,
): number | null {
  if (!price) return null;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  return costUsd({ ...usage, prompt_tokens_details: { cached_tokens: 0 } }, price);
}
