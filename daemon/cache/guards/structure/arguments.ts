// Argument-structure defences: who does what, and what modifies what. They read the word alignment (align.ts) like the
// other structural defences, but ask about the words the alignment *kept*: an aligned verb whose doer is another word
// of the text, an aligned adjective or adverb now attached to another word, two words aligned only as synonyms while
// each stands, itself, elsewhere on the other side. Sets and positions can all agree while these change ("Both
// daughters died before he did" / "Both daughters, before he died, did …": every word kept, the dying reassigned).
import { align, presentIn, sameWord, type Alignment } from "./align.js";
import type { Analysis, Token } from "./analyse.js";
import type { Guard, GuardFinding } from "../guard.js";

/** Nominative personal pronouns: English marks them as subjects ("before he died"), never objects of a preposition. */
const NOMINATIVE = new Set(["i", "he", "she", "we", "they"]);
/** Relative and interrogative pronouns stand in for a word elsewhere: their referent is not read here. */
const RELATIVE = new Set(["who", "whom", "whose", "which", "that", "what"]);
const NOMINAL = new Set(["NOUN", "PROPN", "PRON"]);
/** Words that can sit inside a noun phrase before its head ("the first two Roman", "Robert"). */
const NP_INNER = new Set(["DET", "ADJ", "NUM", "NOUN", "PROPN", "PRON", "PART"]);

/** Where each token of one side is aligned on the other side (token index → other index). */
function links(al: Alignment, side: 0 | 1): Map<number, number> {
  return new Map(al.pairs.map((p) => [p[side], p[1 - side]]));
}

/** What governs the noun phrase that `t` ends: a preposition ("of the city"), a verb (its object), or nothing. */
function governedBy(t: Token, s: Analysis): "ADP" | "VERB" | undefined {
  let i = t.index - 1;
  for (; i >= 0 && s.tokens[i].segment === t.segment; i--) {
    const x = s.tokens[i];
    if (x.pos === "ADP") return "ADP";
    // A verb's object, or a copula's complement ("What's the difference …": the difference is no subject).
    if (x.pos === "VERB" || x.pos === "AUX") return "VERB";
    // Inside the phrase: determiners, modifiers, names, a possessive "'s" (PART), coordinated nouns ("singer and actor").
    if (!NP_INNER.has(x.pos) && x.pos !== "CCONJ") return undefined;
  }
  // A phrase in quotes or brackets right after a preposition is still its object ('Superman in "Last Son" meets').
  const before = s.tokens[i];
  return before?.pos === "ADP" && before.sentence === t.sentence ? "ADP" : undefined;
}

/** Passive voice: a participle right after a form of "be"/"get" ("was written", "is being built"), adverbs between. */
function passive(v: Token, s: Analysis): boolean {
  for (let i = v.index - 1; i >= 0 && s.tokens[i].segment === v.segment; i--) {
    const x = s.tokens[i];
    if (x.pos === "ADV" || x.pos === "PART") continue;
    return (x.pos === "AUX" || x.pos === "VERB") && (x.lemma === "be" || x.lemma === "get");
  }
  return false;
}

/** A verb that heads a clause: not a word inside a noun phrase ("the chief operating officer"). */
function predicate(v: Token, s: Analysis): boolean {
  const prev = s.tokens[v.index - 1];
  return !prev || prev.segment !== v.segment || !["DET", "ADJ", "ADP"].includes(prev.pos);
}

/**
 * The subject of verb `v`: the head of the nearest noun phrase before it in its clause that no preposition governs
 * ("the son of John died": son), or a nominative pronoun ("before he died": he). When the clause starts with the verb,
 * the noun phrases before it in its sentence, across parentheticals and appositions ("Shelstad, together with Robert
 * Kottwitz, developed": Shelstad; "Tom Berg, the lead engineer, approved": Berg and engineer, one person; not a negated
 * aside: "the librarian, not the students, catalogued"). Another verb
 * or a conjunction on the way ends the search (coordinated verbs share a subject this reading does not resolve), and so
 * does a noun that is a verb's object ("comparing keys gathered from": a participle modifying the object, not a
 * clause). Empty when unknown — the check then stays silent.
 */
export function subjectsOf(v: Token, s: Analysis): Token[] {
  if (!predicate(v, s)) return [];
  let i = v.index - 1;
  for (; i >= 0 && s.tokens[i].segment === v.segment; i--) {
    const x = s.tokens[i];
    if (x.pos === "VERB" || x.pos === "CCONJ" || x.pos === "SCONJ") return [];
    if (!NOMINAL.has(x.pos)) continue;
    if (RELATIVE.has(x.lower)) return [];
    if (NOMINATIVE.has(x.lower)) return [x];
    const by = governedBy(x, s);
    if (by === "VERB") return [];
    if (by === "ADP") continue;
    return x.pos === "PRON" ? [] : [x]; // "it", "this": referents not read here
  }
  if (i >= 0 && s.tokens[i + 1] !== v) return []; // the clause had words before the verb, none a subject
  const heads: Token[] = [];
  for (; i >= 0 && s.tokens[i].sentence === v.sentence; i--) {
    const x = s.tokens[i];
    if (x.pos === "VERB" || x.pos === "SCONJ") break;
    if (!NOMINAL.has(x.pos) || RELATIVE.has(x.lower) || governedBy(x, s)) continue;
    // "The librarian, not the students, catalogued": a negated aside names who did not.
    if (x.negated !== v.negated) continue;
    if (x.pos === "PRON" && !NOMINATIVE.has(x.lower)) return [];
    heads.push(x);
    // The rest of this noun phrase ("Tom" of "Tom Berg") is not another head.
    while (i > 0 && s.tokens[i - 1].segment === x.segment && NP_INNER.has(s.tokens[i - 1].pos)) i--;
  }
  return heads;
}

/**
 * A verb on both sides whose subject is a different word, while that word is also on the other side (in another role):
 * "Robert Kottwitz developed a theory with Shelstad" / "Shelstad, together with Robert Kottwitz, developed a theory".
 * Active vs passive is a paraphrase ("A wrote B" / "B was written by A"), so the voices must agree for the check to run.
 */
export function subjectChange(al: Alignment): GuardFinding | undefined {
  const ab = links(al, 0);
  for (const [i, j] of al.pairs) {
    const x = al.a.tokens[i];
    const y = al.b.tokens[j];
    if (x.pos !== "VERB" || y.pos !== "VERB") continue;
    if (passive(x, al.a) !== passive(y, al.b)) continue;
    const sx = subjectsOf(x, al.a);
    const sy = subjectsOf(y, al.b);
    if (!sx.length || !sy.length) continue;
    if (sx.some((u) => sy.some((w) => sameWord(u, w) || ab.get(u.index) === w.index))) continue;
    // A subject word must stand on the other side as a nominal too, in another role. Both replaced: the replacement
    // defence's finding. Its counterpart a verb ("the difference between …" / "how do … differ"): a nominalisation.
    const nominal = (t?: Token) => !!t && NOMINAL.has(t.pos);
    const moved =
      sx.some((u) => ab.has(u.index) && nominal(al.b.tokens[ab.get(u.index)!])) ||
      sy.some((w) => nominal(al.a.tokens[al.pairs.find((p) => p[1] === w.index)?.[0] ?? -1]));
    if (!moved) continue;
    // A pronoun may refer to the other side's subject ("Abbas … began" / "He began"): only a pronoun the other side
    // also holds, in another role, is read.
    const holds = (t: Token, other: Analysis) => other.tokens.some((o) => o.lower === t.lower);
    if (sx.some((u) => u.pos === "PRON" && !holds(u, al.b)) || sy.some((w) => w.pos === "PRON" && !holds(w, al.a)))
      continue;
    return {
      guard: "subject",
      detail: `"${x.text}" is done by "${sx.map((t) => t.text).join(", ")}" in the query, by "${sy.map((t) => t.text).join(", ")}" in the cached request`,
    };
  }
  return undefined;
}

/**
 * The nouns of the noun phrase an attributive adjective modifies ("southern Peru"; "autonomous grand duchy"; "third
 * season broadcast"), its head among them. Empty for a predicative adjective ("is new with …").
 */
function headNouns(t: Token, s: Analysis): Token[] {
  const nouns: Token[] = [];
  for (let i = t.index + 1; i < s.tokens.length && s.tokens[i].segment === t.segment; i++) {
    const x = s.tokens[i];
    if (x.pos === "NOUN" || x.pos === "PROPN") nouns.push(x);
    else if (!["ADJ", "ADV", "NUM"].includes(x.pos)) break;
  }
  return nouns;
}

/**
 * The verb an adverb modifies when it stands at that verb: right before it ("now based", "was first founded") or right
 * after it, auxiliaries and other adverbs between. An adverb farther away ("released via the store digitally") is left
 * alone: where it attaches is not read from position alone.
 */
function headVerb(t: Token, s: Analysis): Token | undefined {
  for (const d of [1, -1]) {
    for (let i = t.index + d; i >= 0 && i < s.tokens.length && s.tokens[i].segment === t.segment; i += d) {
      const x = s.tokens[i];
      if (x.pos === "VERB") return x;
      if (x.pos !== "ADV" && x.pos !== "AUX" && x.pos !== "PART") break;
    }
  }
  return undefined;
}

/**
 * A modifier on both sides now attached to another word that is also on both sides: "a district in southern Peru, in
 * Atalaya province" / "a district in southern Atalaya province, in Peru"; "now based in X, first founded in Y" / "first
 * based in Y, now founded in X". Where the head is unknown (a predicative adjective, an adverb with no verb in its
 * clause) the check stays silent.
 */
export function modifierMove(al: Alignment): GuardFinding | undefined {
  const ab = links(al, 0);
  for (const [i, j] of al.pairs) {
    const x = al.a.tokens[i];
    const y = al.b.tokens[j];
    if (!x.content || x.pos !== y.pos || (x.pos !== "ADJ" && x.pos !== "ADV")) continue;
    const hx = x.pos === "ADJ" ? headNouns(x, al.a) : [headVerb(x, al.a)].filter((h) => h !== undefined);
    const hy = x.pos === "ADJ" ? headNouns(y, al.b) : [headVerb(y, al.b)].filter((h) => h !== undefined);
    if (!hx.length || !hy.length || hx.some((h) => hy.some((k) => ab.get(h.index) === k.index || sameWord(h, k))))
      continue;
    // Every head must stand on both sides: a head replaced is the replacement defence's finding.
    if (!hx.every((h) => presentIn(h, al.b)) || !hy.every((k) => presentIn(k, al.a))) continue;
    return {
      guard: "modifier",
      detail: `"${x.text}" modifies "${hx.map((h) => h.text).join(" ")}" in the query, "${hy.map((h) => h.text).join(" ")}" in the cached request`,
    };
  }
  return undefined;
}

/**
 * Two words aligned as synonyms while either, itself, stands elsewhere on the other side: the texts exchanged them
 * ("published … printed by" / "printed … published by"), or one text uses both for different things ("acted there
 * and worked as an inspector" / "worked there and worked as an inspector"). Synonymy let the alignment pair them, but
 * a writer who used both words kept them apart. Also two words whose very forms cross (adjectives and inflections too).
 */
export function crossedSynonyms(al: Alignment): GuardFinding | undefined {
  for (const [i, j] of al.pairs) {
    const x = al.a.tokens[i];
    const y = al.b.tokens[j];
    // Verbs and nouns name the events and the parties whose roles a swap exchanges ("printed by X" is not "published by
    // X"); modifiers trade places as style ("about … approximately", "the biggest file … how large").
    if (x.lower === y.lower) continue;
    // The very forms crossed ("the canal is one of the oldest canals" / "the canals is one of the oldest canal";
    // "a new playground with modern equipment" / "a modern playground with new equipment"): each side wrote the other's
    // word in this place and its own elsewhere. Adverbs are left out ("about 110 m … approximately 5 m" is style).
    if (
      ["NOUN", "PROPN", "VERB", "ADJ"].includes(x.pos) &&
      al.b.tokens.some((t) => t.index !== j && t.lower === x.lower) &&
      al.a.tokens.some((t) => t.index !== i && t.lower === y.lower)
    )
      return { guard: "swap", detail: `"${x.text}" and "${y.text}" trade places (each is where the other was)` };
    if (!["NOUN", "VERB"].includes(x.pos) || x.lemma === y.lemma) continue;
    if (x.stem === y.stem) continue;
    const xThere = al.b.tokens.find((t) => t.index !== j && t.lemma === x.lemma);
    const yHere = al.a.tokens.find((t) => t.index !== i && t.lemma === y.lemma);
    if (xThere && yHere) {
      return { guard: "swap", detail: `"${x.text}" and "${y.text}" trade places (each is where the other was)` };
    }
    if (xThere || yHere) {
      // One text uses both words, so for its writer they are not interchangeable ("acted there and worked as …").
      const both = xThere ? "cached request" : "query";
      return {
        guard: "swap",
        detail: `"${x.text}" is paired with "${y.text}", but the ${both} uses both words for different things`,
      };
    }
  }
  return undefined;
}

const alignedGuard = (kind: string, check: (al: Alignment) => GuardFinding | undefined): Guard => ({
  kind,
  compare: (a, b) => check(align(a, b)),
});

export const swapGuard = alignedGuard("swap", crossedSynonyms);
export const subjectGuard = alignedGuard("subject", subjectChange);
export const modifierGuard = alignedGuard("modifier", modifierMove);
