// Negation: "how do I enable X" vs "why can't I enable X" — one side negated, the other not.
import { words, type Guard } from "./guard.js";

/** Words that negate by themselves (contracted forms aside): also the structure guard's. */
export const NEGATION_WORDS = [
  "not",
  "no",
  "never",
  "none",
  "nothing",
  "nobody",
  "neither",
  "nor",
  "without",
  "cannot",
];

const NEGATORS = new Set([
  ...NEGATION_WORDS,
  "unable",
  "don't",
  "doesn't",
  "didn't",
  "isn't",
  "aren't",
  "wasn't",
  "weren't",
  "won't",
  "wouldn't",
  "can't",
  "couldn't",
  "shouldn't",
  "mustn't",
  "hasn't",
  "haven't",
  "hadn't",
  "dont",
  "doesnt",
  "didnt",
  "isnt",
  "arent",
  "cant",
  "wont",
  "shouldnt",
  "couldnt",
  "wouldnt",
]);

export function negationCount(text: string): number {
  return words(text.replace(/’/g, "'")).filter((w) => NEGATORS.has(w) || w.endsWith("n't")).length;
}

export const negationGuard: Guard = {
  kind: "negation",
  compare(a, b) {
    const na = negationCount(a);
    const nb = negationCount(b);
    // Odd vs even: "not not" reads as a positive, and both negated is the same polarity.
    if (na % 2 === nb % 2) return undefined;
    return { guard: "negation", detail: `${na ? "negated" : "affirmative"} vs ${nb ? "negated" : "affirmative"}` };
  },
};
