// List prices (USD per million tokens) for estimating what an audit costs and what a removal saves per call.
// Local models cost nothing; an unknown cloud model gives null ("unknown"), never a guess.
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

// Published list prices, 2025. The router's pricing table supersedes this one once it is wired in.
const PRICES: [RegExp, Price][] = [
  [/gpt-4o-mini/, { inputPerMTok: 0.15, outputPerMTok: 0.6 }],
  [/gpt-4o/, { inputPerMTok: 2.5, outputPerMTok: 10 }],
  [/gpt-4\.1-nano/, { inputPerMTok: 0.1, outputPerMTok: 0.4 }],
  [/gpt-4\.1-mini/, { inputPerMTok: 0.4, outputPerMTok: 1.6 }],
  [/gpt-4\.1/, { inputPerMTok: 2, outputPerMTok: 8 }],
  [/claude-3-5-haiku|claude-haiku-3-5/, { inputPerMTok: 0.8, outputPerMTok: 4 }],
  [/claude-(sonnet-4|3-7-sonnet|3-5-sonnet)/, { inputPerMTok: 3, outputPerMTok: 15 }],
  [/claude-opus-4/, { inputPerMTok: 15, outputPerMTok: 75 }],
];

/** `local`: the model runs on this machine (GGUF), so calls are free. */
export function priceOf(model: string, local: boolean): Price | null {
  if (local) return { inputPerMTok: 0, outputPerMTok: 0 };
  const m = model.toLowerCase();
  return PRICES.find(([re]) => re.test(m))?.[1] ?? null;
}

export function costUsd(price: Price | null, promptTokens: number, completionTokens: number): number | null {
  return price ? (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6 : null;
}
