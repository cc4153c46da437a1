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
    for (const [key, price] of this.entries) if (route.startsWith(key) || (!key.includes(":") && model.startsWith(key))) return price;
    return undefined;
  }
}

/** USD for one call; cached prompt tokens are billed at the cached-input price when the table has one. */
export function costUsd(usage: Usage, price: ConfigPrice): number {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const fresh = Math.max(0, usage.prompt_tokens - cached);
  const total = fresh * price.input + cached * (price.cachedInput ?? price.input) + usage.completion_tokens * price.output;
  return total / 1_000_000;
}


