// A false-hit guard compares a query with a cached candidate that scored above the threshold and names a critical
// difference (one that changes the answer) if it finds one. Guards are cheap, pure and independent.
export interface GuardFinding {
  /** Guard kind, e.g. "negation", "number". */
  guard: string;
  /** What differs, for logs, spans and `hotpath cache inspect`. */
  detail: string;
}

export interface Guard {
  readonly kind: string;
  compare(query: string, candidate: string): GuardFinding | undefined;
}

/** Lower-cased words (letters, digits, apostrophes, inner hyphens). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Compares two sets of extracted facts; any element on one side only is a difference. */
export function setDifference(kind: string, a: Iterable<string>, b: Iterable<string>): GuardFinding | undefined {
  const sa = new Set(a);
  const sb = new Set(b);
  const onlyA = [...sa].filter((x) => !sb.has(x));
  const onlyB = [...sb].filter((x) => !sa.has(x));
  if (!onlyA.length && !onlyB.length) return undefined;
  const show = (xs: string[]) =>
    xs.length
      ? xs
          .slice(0, 3)
          .map((x) => JSON.stringify(x))
          .join(", ")
      : "nothing";
  return { guard: kind, detail: `${show(onlyA)} vs ${show(onlyB)}` };
}

/** Builds a matcher for a list of words/phrases on word boundaries, case-insensitive. */
export function phraseMatcher(phrases: readonly string[]): RegExp {
  const escaped = [...phrases]
    .sort((x, y) => y.length - x.length)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "[\\s-]+"));
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "giu");
}

export function findAll(re: RegExp, text: string): string[] {
  return [...text.matchAll(re)].map((m) => m[0].toLowerCase().replace(/[\s-]+/g, " "));
}
