// The exactness ladder's second rung: two requests that differ only in how they are typed — letter case, runs of
// white space, space around punctuation, Unicode compatibility forms (full-width letters, ligatures, non-breaking
// spaces: NFKC), or the key order and spacing of JSON inside the text — want the same answer. No meaning is guessed:
// words, their order and every character that is not spacing or case stay as they are.
import { canonicalJson } from "../canonical.js";

/** Longest text normalised; longer ones still normalise their start and keep the rest verbatim. */
const MAX = 200_000;

export function normalizeText(text: string): string {
  const head = text.length > MAX ? text.slice(0, MAX) : text;
  const tail = text.length > MAX ? text.slice(MAX) : "";
  return (
    normalizeJson(head.normalize("NFKC"))
      .replace(/\s+/gu, " ")
      .replace(/ ([,.;:!?)\]}])/gu, "$1")
      .replace(/([([{]) /gu, "$1")
      .trim()
      .toLowerCase() + tail
  );
}

/** JSON objects and arrays inside the text, re-written canonically (sorted keys, no spacing); others left alone. */
function normalizeJson(text: string): string {
  let out = "";
  let i = 0;
  // Each attempt scans ahead; a bound keeps a text full of unbalanced brackets linear enough.
  let attempts = 0;
  while (i < text.length) {
    const c = text[i];
    if ((c === "{" || c === "[") && attempts++ < 100) {
      const end = balancedEnd(text, i);
      if (end > i) {
        try {
          out += canonicalJson(JSON.parse(text.slice(i, end + 1)));
          i = end + 1;
          continue;
        } catch {
          /* not JSON: keep the text */
        }
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** Index of the bracket that closes the one at `start` (strings respected), or -1. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i;
      if (depth < 0) return -1;
    }
  }
  return -1;
}
