// Generated word-swap variations for the cache bench: PAWS's own construction applied to sentences nobody labelled —
// two names, nouns, verbs, adjectives, numbers or prepositions of one sentence exchanged. Such a swap changes who does
// what, so a defence that generalises refuses it whatever the words are. Coordinated words ("A and B", "A, B",
// "A–B") are left alone: swapping them keeps the meaning. Test cases nobody designed the defences for.
import { analyse } from "../../daemon/cache/guards/structure/analyse.js";

export interface Swap {
  a: string;
  b: string;
  kind: "name" | "noun" | "verb" | "adjective" | "number" | "preposition";
}

const KIND: Record<string, Swap["kind"]> = {
  NOUN: "noun",
  VERB: "verb",
  ADJ: "adjective",
  NUM: "number",
  ADP: "preposition",
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const once = (text: string, w: string) =>
  (text.match(new RegExp(`(?<![\\p{L}\\p{N}])${escape(w)}(?![\\p{L}\\p{N}])`, "gu")) ?? []).length === 1;

/** At most one swap of each kind per sentence: the first two words of that kind that each occur once. */
export function generateSwaps(texts: Iterable<string>, limit = Infinity): Swap[] {
  const out: Swap[] = [];
  for (const text of texts) {
    if (out.length >= limit) break;
    const tokens = analyse(text).tokens;
    const units: { w: string; kind: Swap["kind"] }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i].pos === "PROPN") {
        let j = i;
        while (j + 1 < tokens.length && tokens[j + 1].pos === "PROPN" && tokens[j + 1].segment === tokens[i].segment)
          j++;
        units.push({
          w: tokens
            .slice(i, j + 1)
            .map((t) => t.text)
            .join(" "),
          kind: "name",
        });
        i = j;
      } else if (KIND[tokens[i].pos]) units.push({ w: tokens[i].text, kind: KIND[tokens[i].pos] });
    }
    const done = new Set<string>();
    for (let x = 0; x < units.length; x++)
      for (let y = x + 1; y < units.length; y++) {
        const [u, v] = [units[x], units[y]];
        if (u.kind !== v.kind || done.has(u.kind) || u.w.toLowerCase() === v.w.toLowerCase()) continue;
        if (!once(text, u.w) || !once(text, v.w)) continue;
        const iu = text.indexOf(u.w);
        const iv = text.indexOf(v.w);
        if (iu < 0 || iv < 0 || iu > iv) continue;
        const between = text.slice(iu + u.w.length, iv);
        if (/^\s*(,|and|or|,\s*and|,\s*or|&|\/|-|–|--|to)?\s*$/i.test(between)) continue;
        done.add(u.kind);
        out.push({ a: text, b: text.slice(0, iu) + v.w + between + u.w + text.slice(iv + v.w.length), kind: u.kind });
      }
  }
  return out;
}
