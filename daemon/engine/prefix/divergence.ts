// Cache-breaker facts: where a prompt stopped matching what the reused sequence held, and the text on both sides,
// so a user can see what broke the prefix (a timestamp in the system prompt, an edited earlier turn, …).
import type { Token } from "node-llama-cpp";
import type { PrefixFacts } from "../../chat.js";

/** Tokens of text shown on each side of a divergence. */
export const SNIPPET_TOKENS = 24;

export function prefixFacts(
  previous: readonly Token[],
  prompt: readonly Token[],
  reused: number,
  detokenize: (tokens: Token[]) => string,
): PrefixFacts {
  const facts: PrefixFacts = { reusedTokens: reused, promptTokens: prompt.length };
  // A divergence exists only where both sides go on past the common prefix; a pure extension (the previous prompt
  // and its answer, then a new turn) ends the previous tokens instead.
  const shared = commonPrefix(previous, prompt);
  if (shared < previous.length && shared < prompt.length) {
    facts.divergedAt = shared;
    facts.before = detokenize(previous.slice(shared, shared + SNIPPET_TOKENS));
    facts.after = detokenize(prompt.slice(shared, shared + SNIPPET_TOKENS));
  }
  return facts;
}

export function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
