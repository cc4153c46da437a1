// Tokens with part of speech, lemma, stem and negation scope, from wink-nlp with its English "lite web" model.
// Why wink-nlp: it ships its model inside npm (wink-eng-lite-web-model, 3.8 MB, MIT, no download at run time), tags
// Universal POS, lemmatises every inflection ("passes" → pass, "written" → write), marks the words a negation
// scopes over up to the clause's punctuation, and reads a 15-word question in ~1 ms — fast enough for every
// candidate of a lookup. natural's Brill tagger has no lemmatiser and compromise's lemmas are per-word heuristics.
import { createRequire } from "node:module";
import { known } from "./wordnet.js";
import { NEGATION_WORDS } from "../negation.js";

export interface Token {
  /** As written. */
  text: string;
  lower: string;
  lemma: string;
  /** Porter2 stem: equal across derivations ("summary"/"summarize", "difference"/"differ"). */
  stem: string;
  /** Universal POS tag (NOUN, VERB, ADP, …). */
  pos: string;
  /** Carries meaning of its own: noun, proper noun, verb, adjective, adverb, number (not auxiliaries, pronouns…). */
  content: boolean;
  /** Its clause holds an odd number of negations ("not", "n't", "never", "no" …). */
  negated: boolean;
  /** Index of the clause segment (punctuation separates segments). */
  segment: number;
  /** Inside brackets: an aside (an alias, a gloss, a role) about what stands before it. */
  aside: boolean;
  /** Index of the sentence (a full stop, question or exclamation mark ends one). */
  sentence: number;
  /** Index among the analysed (non-punctuation) tokens. */
  index: number;
  /** A verb with its particle as WordNet knows it ("turn_on", "set_up", "find_out"), when it has one. */
  phrasal?: string;
}

export interface Analysis {
  tokens: Token[];
  /** Segments that hold at least one token. */
  segments: number;
}

const CONTENT_POS = new Set(["NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"]);
/** Question words frame a request ("How do I …" / "What's the way to …"); a closed class, not content of their own. */
export const INTERROGATIVES = new Set([
  "what",
  "which",
  "who",
  "whom",
  "whose",
  "why",
  "how",
  "when",
  "where",
  "whether",
]);
/** Particles of English phrasal verbs ("turn on", "set up", "find out"). */
const PARTICLES = new Set(["on", "off", "up", "down", "out", "in", "over", "away", "back", "through", "around"]);
const NEGATORS = new Set([...NEGATION_WORDS, "n't"]);

interface Nlp {
  readDoc(text: string): {
    tokens(): { out(f: unknown): string[] | boolean[] };
  };
  its: Record<string, unknown>;
}

let nlp: Nlp | undefined;

function load(): Nlp {
  if (nlp) return nlp;
  const require = createRequire(import.meta.url);
  const winkNLP = require("wink-nlp") as (model: unknown, pipe?: string[]) => Nlp;
  const model = require("wink-eng-lite-web-model") as unknown;
  nlp = winkNLP(model, ["sbd", "pos"]);
  return nlp;
}

const memo = new Map<string, Analysis>();
const MEMO_SIZE = 4096;

/** Analyses a text (remembered: candidates come back again and again). */
export function analyse(text: string): Analysis {
  const known = memo.get(text);
  if (known) {
    memo.delete(text);
    memo.set(text, known);
    return known;
  }
  const result = analyseUncached(text);
  memo.set(text, result);
  if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  return result;
}

function analyseUncached(text: string): Analysis {
  const n = load();
  const its = n.its;
  // Long texts: the structure of the first few thousand characters decides; keeps a lookup bounded.
  const doc = n.readDoc(text.length > 4000 ? text.slice(0, 4000) : text);
  const t = doc.tokens();
  const values = t.out(its.value) as string[];
  const lemmas = t.out(its.lemma) as string[];
  const stems = t.out(its.stem) as string[];
  const tags = t.out(its.pos) as string[];
  const types = t.out(its.type) as string[];
  const tokens: Token[] = [];
  let segment = 0;
  let segmentUsed = false;
  let sentence = 0;
  let depth = 0;
  for (let i = 0; i < values.length; i++) {
    const type = types[i];
    if (type === "punctuation" || tags[i] === "PUNCT") {
      if (/^[([{]$/.test(values[i])) depth++;
      else if (/^[)\]}]$/.test(values[i])) depth = Math.max(0, depth - 1);
      if (segmentUsed && /[,;:()[\]{}"“”!?.…—–]/.test(values[i])) {
        segment++;
        segmentUsed = false;
      }
      if (/^[.!?…]+$/.test(values[i]) && tokens.length && tokens[tokens.length - 1].sentence === sentence) sentence++;
      continue;
    }
    if (type === "emoji" || type === "emoticon" || tags[i] === "SPACE") continue;
    const lower = values[i].toLowerCase();
    const pos = tags[i];
    const numeric = type === "number" || type === "ordinal" || pos === "NUM";
    segmentUsed = true;
    tokens.push({
      text: values[i],
      lower,
      lemma: (lemmas[i] || lower).toLowerCase(),
      stem: (stems[i] || lower).toLowerCase(),
      pos,
      content: numeric || (CONTENT_POS.has(pos) && !NEGATORS.has(lower) && !INTERROGATIVES.has(lower)),
      negated: false,
      segment,
      aside: depth > 0,
      sentence,
      index: tokens.length,
    });
  }
  // Negation belongs to a clause ("it compiles on Linux but does not compile on Windows"): clauses end at punctuation
  // and at conjunctions; a clause with an odd number of negators is negated, every word in it with it.
  let clauseStart = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (
      i === tokens.length ||
      (i > clauseStart && (t.segment !== tokens[i - 1].segment || t.pos === "CCONJ" || t.pos === "SCONJ"))
    ) {
      const clause = tokens.slice(clauseStart, i);
      const odd = clause.filter(isNegator).length % 2 === 1;
      for (const c of clause) c.negated = odd;
      clauseStart = i;
    }
  }
  for (let i = 0; i + 1 < tokens.length; i++) {
    const v = tokens[i];
    const p = tokens[i + 1];
    if (v.pos === "VERB" && PARTICLES.has(p.lower) && p.segment === v.segment && known(`${v.lemma}_${p.lower}`)) {
      v.phrasal = `${v.lemma}_${p.lower}`;
    }
  }
  return { tokens, segments: segmentUsed ? segment + 1 : segment };
}

export function isNegator(t: Token): boolean {
  return NEGATORS.has(t.lower) || t.lower.endsWith("n't");
}
