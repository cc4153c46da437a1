// Quoted strings are literal: "find the word 'apple'" vs "find the word 'orange'" want different answers.
import { setDifference, type Guard } from "./guard.js";

const QUOTED = [
  /"([^"\n]{1,200})"/g,
  /“([^”\n]{1,200})”/g,
  /‘([^’\n]{1,200})’/g,
  /«([^»\n]{1,200})»/g,
  // Single quotes only where they cannot be apostrophes: after a non-letter and before one.
  /(?<![\p{L}\p{N}])'([^'\n]{1,200})'(?![\p{L}\p{N}])/gu,
];

export function quotedStrings(text: string): string[] {
  const out: string[] = [];
  // Punctuation at the edge of a quotation is typography (American style puts the comma inside), not the literal.
  for (const re of QUOTED) for (const m of text.matchAll(re)) out.push(m[1].replace(/^[\s.,;:!?]+|[\s.,;:!?]+$/g, ""));
  return out;
}

export const quoteGuard: Guard = {
  kind: "quote",
  compare(a, b) {
    return setDifference("quote", quotedStrings(a), quotedStrings(b));
  },
};
