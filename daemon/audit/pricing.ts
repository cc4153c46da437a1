// Prices for estimating what an audit costs and what a removal saves per call: the router's price table (shipped
// prices.json, by route id or model-name prefix). Local models cost nothing; an unknown cloud model gives null
// ("unknown"), never a guess.
import { PriceTable } from "../router/pricing.js";

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

const table = new PriceTable();

/** `local`: the model runs on this machine (GGUF), so calls are free. */
export function priceOf(model: string, local: boolean): Price | null {
  if (local) return { inputPerMTok: 0, outputPerMTok: 0 };
  const p = table.lookup(model) ?? table.lookup(`openai:${model}`) ?? table.lookup(`anthropic:${model}`);
  return p ? { inputPerMTok: p.input, outputPerMTok: p.output } : null;
}

export function costUsd(price: Price | null, promptTokens: number, completionTokens: number): number | null {
  return price ? (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6 : null;
}
