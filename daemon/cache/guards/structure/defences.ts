// Structural false-hit defences. Each reads the word alignment of query and candidate (align.ts) and refuses when
// what is left over changes the meaning, whatever the words are:
// - role: a content word, name or number is on both sides but in another role — the alignment had to break around it
//   (arguments swapped: "written by A, directed by B" / "written by B, directed by A"; "fourth … fifth" swapped; a
//   word moved inside its clause, or into or out of brackets), or two nouns traded the prepositions marking their roles. A whole phrase moved to a clause edge ("In August, X left" / "X left in August"),
//   "of X" ↔ "X's" and "recipe for pancakes" ↔ "pancake recipe" keep their roles and pass.
// - replacement: a content word replaced by one that is neither an inflection, a derivation nor a WordNet synonym of it
//   ("passes" / "fails", "let vs var" / "let vs const"), a spatial preposition by its opposite ("onto" / "off"), or
//   two prepositions that trade places.
// - negation scope: a word both sides share is negated on one side only (per clause, not a count per text).
import { align, derivationOnly, presentIn, sameWord, type Alignment, type Hunk } from "./align.js";
import type { Analysis, Token } from "./analyse.js";
import type { Guard, GuardFinding } from "../guard.js";
import { knownVerb } from "./wordnet.js";

const quote = (ts: Token[]) => `"${ts.map((t) => t.text).join(" ")}"`;

/** Opposite spatial/temporal relations among prepositions and particles: a closed word class, so it is listed. */
const OPPOSITE_RELATIONS: [string[], string[]][] = [
  [
    ["to", "into", "onto", "toward", "towards"],
    ["from", "off", "out", "away"],
  ],
  [
    ["in", "inside", "into", "within"],
    ["out", "outside", "off"],
  ],
  [["on", "onto", "upon"], ["off"]],
  [
    ["over", "above", "atop"],
    ["under", "below", "beneath", "underneath"],
  ],
  [
    ["before", "until", "till", "prior"],
    ["after", "since"],
  ],
  [
    ["up", "upward", "upwards"],
    ["down", "downward", "downwards"],
  ],
  [["with"], ["without"]],
  [["for"], ["against"]],
];

function opposite(x: string, y: string): boolean {
  return OPPOSITE_RELATIONS.some(([p, q]) => (p.includes(x) && q.includes(y)) || (q.includes(x) && p.includes(y)));
}

function startsPhrase(t: Token, s: Analysis): boolean {
  const prev = s.tokens[t.index - 1];
  return !prev || prev.segment !== t.segment || t.pos === "ADP" || t.pos === "SCONJ" || t.pos === "CCONJ";
}

function endsPhrase(t: Token, s: Analysis): boolean {
  const next = s.tokens[t.index + 1];
  return !next || next.segment !== t.segment || t.lower === "'s" || t.lower === "'";
}

/** A block of words that moved as a whole phrase: to or from a clause edge, or as "X's" (genitive alternation). */
function phraseMove(run: Token[], s: Analysis, al?: Alignment): boolean {
  // Adverbs ("first", "only", "on average") take many positions in an English clause without changing its roles.
  const content = run.filter((t) => t.content);
  if (content.length && content.every((t) => t.pos === "ADV")) return true;
  if (al && prepositionalPhrase(run, s, al)) return true;
  if (al && edgeToEdge(run, s, al)) return true;
  return startsPhrase(run[0], s) && endsPhrase(run[run.length - 1], s);
}

/**
 * A whole prepositional phrase (preposition + its noun phrase, no verb) is an adjunct that English moves freely
 * ("in 1834 he moved to Paris" / "he moved to Paris in 1834"): the preposition keeps its object, so roles hold.
 * Objects that trade prepositions ("from A to B" / "from B to A") are no such move: the swap check catches them.
 */
function prepositionalPhrase(run: Token[], s: Analysis, al: Alignment): boolean {
  if (run[0].pos !== "ADP" || run.length < 2) return false;
  if (run.some((t) => t.pos === "VERB" || t.pos === "AUX" || t.pos === "SCONJ")) return false;
  const next = s.tokens[run[run.length - 1].index + 1];
  if (
    next &&
    next.segment === run[run.length - 1].segment &&
    ["NOUN", "PROPN", "NUM", "ADJ", "DET", "PART"].includes(next.pos)
  )
    return false;
  // It must still modify the same word: "bought in 1834 by A … saw it" / "bought by B … saw it by A" moves "by A" from
  // one verb to another. The governor is the nearest aligned content word before it in its clause (none at a clause
  // start: a fronted adjunct modifies the whole clause).
  const moved = run.find((t) => t.content);
  if (!moved) return true;
  const other = s === al.a ? al.b : al.a;
  const there = presentIn(moved, other);
  if (!there) return true;
  const gHere = governor(run[0], s, al);
  const gThere = governor(there, other, al, true);
  if (gHere === undefined || gThere === undefined) return true;
  const side = s === al.a ? 0 : 1;
  return al.pairs.some((p) => p[side] === gHere && p[1 - side] === gThere);
}

/**
 * A prepositional phrase that stands at one edge of its clause here and at the other edge there ("In 2001 Enkor merged
 * with X" / "Enkor merged with X in 2001"): the clause edges are where English puts a clause's adjuncts, and the same
 * words in the same order moved from one to the other, so they modify the whole clause both times.
 */
function edgeToEdge(run: Token[], s: Analysis, al: Alignment): boolean {
  if (run[0].pos !== "ADP" || run.length < 2 || run.some((t) => t.pos === "VERB" || t.pos === "AUX")) return false;
  const other = s === al.a ? al.b : al.a;
  const first = other.tokens.findIndex(
    (t, k) =>
      run.every((r, d) => other.tokens[k + d] && sameWord(r, other.tokens[k + d])) &&
      run.every((_, d) => other.tokens[k + d].segment === t.segment),
  );
  if (first < 0) return false;
  const there = other.tokens.slice(first, first + run.length);
  const atStart = (r: Token[], x: Analysis) => r[0].index === 0 || x.tokens[r[0].index - 1].segment !== r[0].segment;
  const atEnd = (r: Token[], x: Analysis) => {
    const next = x.tokens[r[r.length - 1].index + 1];
    return !next || next.segment !== r[0].segment;
  };
  return (atStart(run, s) && atEnd(there, other)) || (atEnd(run, s) && atStart(there, other));
}

/** Index of the nearest aligned content token before `t` in its clause segment (skipping `t`'s own phrase if asked). */
function governor(t: Token, s: Analysis, al: Alignment, skipPhrase = false): number | undefined {
  const side = s === al.a ? 0 : 1;
  const aligned = new Set(al.pairs.map((p) => p[side]));
  let i = t.index - 1;
  if (skipPhrase) while (i >= 0 && s.tokens[i].segment === t.segment && s.tokens[i].pos !== "ADP") i--;
  for (i = skipPhrase ? i - 1 : i; i >= 0 && s.tokens[i].segment === t.segment; i--) {
    if (s.tokens[i].content && aligned.has(i)) return i;
  }
  return undefined;
}

/**
 * Noun-compound alternation: "pancake recipe" ↔ "recipe for pancakes", "Python list" ↔ "list in Python". Modifier M
 * right before head H (both nouns) on one side; H, a preposition, maybe determiners, then M on the other.
 */
function compoundMove(run: Token[], s: Analysis, other: Analysis): boolean {
  const content = run.filter((t) => t.content);
  if (!content.length || content.length > 2) return false;
  const noun = (t?: Token) => !!t && (t.pos === "NOUN" || t.pos === "PROPN");
  /** In `x`, `m` right before `h`; in `y`, h' then a preposition, determiners, then m'. */
  const pair = (x: Analysis, m: Token, h: Token, y: Analysis): boolean => {
    const m2 = presentIn(m, y);
    const h2 = presentIn(h, y);
    if (!m2 || !h2 || !noun(m) || !noun(h) || h.index !== m.index + 1 || h.segment !== m.segment) return false;
    const between = y.tokens.slice(h2.index + 1, m2.index);
    return (
      between.length >= 1 &&
      between.length <= 3 &&
      between[0].pos === "ADP" &&
      between.slice(1).every((t) => t.pos === "DET")
    );
  };
  return content.every((t) => {
    const prev = s.tokens[t.index - 1];
    const next = s.tokens[t.index + 1];
    if (next && pair(s, t, next, other)) return true; // t modifies the next noun here
    if (prev && pair(s, prev, t, other)) return true; // t is the head of a compound here
    // The prepositional side: the other text holds the compound.
    const t2 = presentIn(t, other);
    if (!t2) return false;
    const p2 = other.tokens[t2.index - 1];
    const n2 = other.tokens[t2.index + 1];
    return (!!n2 && pair(other, t2, n2, s)) || (!!p2 && pair(other, p2, t2, s));
  });
}

/**
 * Alternations that keep every role: a predicate nominalised ("What is the difference between X and Y" ↔ "How do X and
 * Y differ": the moved word is the other's only by derivation), and a possessor moved ("Java's garbage collection" ↔
 * "garbage collection in Java": "X's" on one side, X the object of a preposition on the other).
 */
function alternation(run: Token[], s: Analysis, other: Analysis): boolean {
  const moved = run.filter((t) => t.content);
  return moved.every((t) => {
    const there = presentIn(t, other);
    if (!there) return true;
    if (derivationOnly(t, there)) return true;
    // Possessor: "X's" here and "… of/in X" there, or the other way round.
    const genitive = (x: Token, xs: Analysis, y: Token, ys: Analysis) => {
      const next = xs.tokens[x.index + 1];
      return (
        (next?.lower === "'s" || next?.lower === "'") &&
        ys.tokens.slice(Math.max(0, y.index - 2), y.index).some((b) => b.pos === "ADP")
      );
    };
    if (genitive(t, s, there, other) || genitive(there, other, t, s)) return true;
    return false;
  });
}

/**
 * Order inside a name or a date: "Tabaci River" / "River Tabaci", "February 8" / "8 February". One word crossed the
 * single name or number it stood next to, and stays next to it.
 */
function nameOrder(run: Token[], s: Analysis, other: Analysis, al: Alignment): boolean {
  // One word, with the determiner the run may have taken along ("the | Python standard library").
  const words = run.filter((t) => t.pos !== "DET");
  if (words.length !== 1) return false;
  const x = words[0];
  const there = presentIn(x, other);
  if (!there) return false;
  const side = s === al.a ? 0 : 1;
  for (const d of [-1, 1]) {
    const n = s.tokens[x.index + d];
    if (!n || n.segment !== x.segment) continue;
    const pair = al.pairs.find((p) => p[side] === n.index);
    if (!pair || other.tokens[pair[1 - side]].index !== there.index - d) continue;
    // Both words stay inside one noun phrase ("RSA public keys" / "public RSA keys"): a name word that crossed a verb
    // or a preposition changed roles ("Hari Singh Nalwa forced Sultan Khan" / "Hari Singh forced Nalwa Sultan Khan").
    const names = (t: Token) => t.pos === "PROPN" || t.pos === "NUM";
    const nominal = (t: Token) => names(t) || t.pos === "NOUN" || t.pos === "ADJ";
    if ((names(x) || names(n)) && nominal(x) && nominal(n)) return true;
  }
  return false;
}

/** Contiguous runs of a hunk side (a hunk may hold tokens from several places only at the end of a text). */
function runs(ts: Token[], s: Analysis, matched: Set<number>): Token[][] {
  const out: Token[][] = [];
  for (const t of ts) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (prev && prev.index === t.index - 1 && prev.segment === t.segment) last.push(t);
    else out.push([t]);
  }
  // The alignment may pair a moved phrase's article with another "the": the phrase starts at its determiners, and at
  // a preposition just before them that the alignment left over too ("After | the | upgrade").
  return out.map((run) => {
    let i = run[0].index;
    const joins = (t: Token) =>
      t.segment === run[0].segment &&
      (t.pos === "DET" || (!matched.has(t.index) && (t.pos === "ADP" || t.pos === "SCONJ")));
    while (i > 0 && joins(s.tokens[i - 1])) i--;
    return [...s.tokens.slice(i, run[0].index), ...run];
  });
}

/** The preposition that marks a token's role ("to Estonia"), looking back over determiners and modifiers. */
function marker(t: Token, s: Analysis): Token | undefined {
  for (let i = t.index - 1; i >= 0 && i >= t.index - 4 && s.tokens[i].segment === t.segment; i--) {
    const x = s.tokens[i];
    if (x.pos === "ADP") return x;
    if (!["DET", "ADJ", "NUM", "PRON", "PROPN", "NOUN"].includes(x.pos)) return undefined;
  }
  return undefined;
}

/** Prepositions that all place something somewhere, at different grain ("at/in the Royal Corps in/at Tidworth"). */
const PLACE = new Set(["in", "at", "on", "inside", "within"]);

/**
 * The role a noun's preposition marks in its clause ("" for none: a subject or an object), or undefined where this
 * reading cannot tell: "of" ties a noun to another noun, not to the clause ("the district of X" = "the X district"), and
 * a later member of a list ("by A, B and C") takes its role from the list's first member.
 */
function roleOf(t: Token, s: Analysis): string | undefined {
  const m = marker(t, s);
  if (m) return m.lower === "of" ? undefined : PLACE.has(m.lower) ? "in" : m.lower;
  let i = t.index - 1;
  while (
    i >= 0 &&
    s.tokens[i].segment === t.segment &&
    ["DET", "ADJ", "NUM", "PROPN", "NOUN", "PART"].includes(s.tokens[i].pos)
  )
    i--;
  const before = s.tokens[i];
  if (!before) return "";
  if (before.segment === t.segment) return before.pos === "CCONJ" ? undefined : "";
  // The previous clause segment ends with a noun: "…, B" is a list member (or an apposition) — not read.
  return ["NOUN", "PROPN", "NUM"].includes(before.pos) ? undefined : "";
}

/**
 * Two nouns or names on both sides that traded the prepositions marking their roles ("Monroe Meadows, in Yosemite
 * Valley" / "Yosemite Valley, in Monroe Meadows"; "translated from French into English" / "from English into
 * French"): whatever the alignment kept or moved, each now stands in the other's relation. Only words that occur once
 * on each side are read, so which is which is not guessed.
 */
export function exchangedRoles(al: Alignment): GuardFinding | undefined {
  const once = (s: Analysis) => {
    const seen = new Map<string, Token | undefined>();
    for (const t of s.tokens) {
      if (t.pos !== "NOUN" && t.pos !== "PROPN") continue;
      seen.set(t.lower, seen.has(t.lower) ? undefined : t);
    }
    return seen;
  };
  const ta = once(al.a);
  const tb = once(al.b);
  const shared = [...ta.keys()].filter((k) => ta.get(k) && tb.get(k));
  for (let x = 0; x < shared.length; x++) {
    const ua = ta.get(shared[x])!;
    const ub = tb.get(shared[x])!;
    const rua = roleOf(ua, al.a);
    const rub = roleOf(ub, al.b);
    if (rua === undefined || rub === undefined || rua === rub) continue;
    for (let y = x + 1; y < shared.length; y++) {
      const va = ta.get(shared[y])!;
      const vb = tb.get(shared[y])!;
      if (roleOf(va, al.a) === rub && roleOf(vb, al.b) === rua) {
        const say = (r: string) => (r ? `"${r} …"` : "no preposition");
        return {
          guard: "role",
          detail: `"${ua.text}" and "${va.text}" trade roles: ${say(rua)} and ${say(rub)} in the query, the other way round in the cached request`,
        };
      }
    }
  }
  return undefined;
}

export function roleChange(al: Alignment): GuardFinding | undefined {
  const exchanged = exchangedRoles(al);
  if (exchanged) return exchanged;
  for (const [i, j] of al.pairs) {
    const x = al.a.tokens[i];
    const y = al.b.tokens[j];
    if (!x.content || !y.content) continue;
    const mx = marker(x, al.a);
    const my = marker(y, al.b);
    if (mx && my && opposite(mx.lower, my.lower)) {
      return {
        guard: "role",
        detail: `"${x.text}" is "${mx.text} ${x.text}" in the query, "${my.text} ${y.text}" in the cached request`,
      };
    }
  }
  for (const h of al.hunks) {
    const ca = h.a.filter((t) => t.content);
    const cb = h.b.filter((t) => t.content);
    const movedA = ca.filter((t) => presentIn(t, al.b));
    const movedB = cb.filter((t) => presentIn(t, al.a));
    if (ca.length && cb.length && (movedA.length || movedB.length)) {
      // Something left its place and something else took it: a swap of roles.
      return {
        guard: "role",
        detail: `${quote(h.a)} where the other has ${quote(h.b)}; ${quote(movedA.length ? movedA : movedB)} appears elsewhere`,
      };
    }
    for (const [side, moved] of [
      [al.a, movedA],
      [al.b, movedB],
    ] as const) {
      if (!moved.length) continue;
      const tokens = side === al.a ? h.a : h.b;
      for (const run of runs(tokens, side, new Set(al.pairs.map((p) => p[side === al.a ? 0 : 1])))) {
        if (!run.some((t) => moved.includes(t))) continue;
        const other = side === al.a ? al.b : al.a;
        const aside = run.find((t) => t.content && moved.includes(t) && presentIn(t, other)?.aside !== t.aside);
        if (aside) {
          const where = (x: Analysis) => (x === al.a ? "query" : "cached request");
          const inside = where(aside.aside ? side : other);
          return { guard: "role", detail: `"${aside.text}" is an aside in brackets in the ${inside} only` };
        }
        if (
          !phraseMove(run, side, al) &&
          !compoundMove(run, side, other) &&
          !alternation(run, side, other) &&
          !nameOrder(run, side, other, al)
        )
          return { guard: "role", detail: `${quote(run)} moved inside its clause` };
      }
    }
  }
  return undefined;
}

/** A capitalised first word that is a verb ("Name the capital …", "List …") is an imperative, not a name. */
function imperative(t: Token, s: Analysis): boolean {
  const prev = s.tokens[t.index - 1];
  return (!prev || prev.segment !== t.segment) && knownVerb(t.lower);
}

/**
 * Another fact on one side only: a name or a number ("a canal near Hollinwood, in Oldham" / "near Oldham"); an
 * adjective that narrows a name both sides hold ("southern Sweden" / "Sweden": a region is not the country); a whole
 * sentence none of whose content words the other side holds ("The centre had advanced. The cavalry withdrew …" /
 * "The cavalry withdrew …").
 */
export function addedFact(al: Alignment): GuardFinding | undefined {
  for (const h of al.hunks) {
    for (const [mine, other, where] of [
      [h.a, al.b, "query"],
      [h.b, al.a, "cached request"],
    ] as const) {
      const side = mine === h.a ? al.a : al.b;
      for (const t of mine) {
        const next = side.tokens[t.index + 1];
        if (
          t.pos === "ADJ" &&
          next?.pos === "PROPN" &&
          next.segment === t.segment &&
          !presentIn(t, other) &&
          presentIn(next, other)
        ) {
          return { guard: "fact", detail: `only the ${where} narrows "${next.text}" to "${t.text} ${next.text}"` };
        }
      }
      for (const t of mine) {
        if (
          (t.pos === "PROPN" || t.pos === "NUM") &&
          !presentIn(t, other) &&
          !imperative(t, mine === h.a ? al.a : al.b)
        ) {
          return { guard: "fact", detail: `only the ${where} names "${t.text}"` };
        }
      }
    }
  }
  for (const [s, side, where] of [
    [al.a, 0, "query"],
    [al.b, 1, "cached request"],
  ] as const) {
    const aligned = new Set(al.pairs.map((p) => p[side]));
    for (let n = 0; n <= (s.tokens[s.tokens.length - 1]?.sentence ?? -1); n++) {
      const content = s.tokens.filter((t) => t.sentence === n && t.content);
      if (content.length >= 2 && !content.some((t) => aligned.has(t.index)))
        return { guard: "fact", detail: `only the ${where} says ${quote(s.tokens.filter((t) => t.sentence === n))}` };
    }
  }
  return undefined;
}

/** Question words that ask for one kind of fact: a person, a time, a place, a reason. "what"/"which"/"how" frame. */
const SPECIFIC_QUESTIONS = new Set(["who", "whom", "whose", "when", "where", "why"]);

export function replacement(al: Alignment): GuardFinding | undefined {
  const qa = al.a.tokens.filter((t) => SPECIFIC_QUESTIONS.has(t.lower)).map((t) => t.lower);
  const qb = al.b.tokens.filter((t) => SPECIFIC_QUESTIONS.has(t.lower)).map((t) => t.lower);
  if (qa.length && qb.length && (qa.some((q) => !qb.includes(q)) || qb.some((q) => !qa.includes(q)))) {
    return { guard: "replacement", detail: `asks "${qa.join(", ")}" where the other asks "${qb.join(", ")}"` };
  }
  // Prepositions that trade places: one replaced by another here, the other replaced by the one there ("a tributary of
  // the Leurda River in Romania" / "a tributary in the Leurda River of Romania") — the relations were exchanged.
  const swapped = new Map<string, Token[]>();
  for (const h of al.hunks) {
    const pa = h.a.filter((t) => t.pos === "ADP");
    const pb = h.b.filter((t) => t.pos === "ADP");
    if (pa.length !== 1 || pb.length !== 1 || pa[0].lower === pb[0].lower) continue;
    if (PLACE.has(pa[0].lower) && PLACE.has(pb[0].lower)) continue; // "at the Corps in X" / "in the Corps at X"
    const back = swapped.get(`${pb[0].lower} ${pa[0].lower}`);
    if (back) {
      return {
        guard: "replacement",
        detail: `"${back[0].text}" and "${pa[0].text}" trade places (each is where the other was)`,
      };
    }
    swapped.set(`${pa[0].lower} ${pb[0].lower}`, [pa[0], pb[0]]);
  }
  for (const h of al.hunks) {
    if (!h.a.length || !h.b.length) continue;
    const newA = h.a.filter((t) => t.content && !presentIn(t, al.b));
    const newB = h.b.filter((t) => t.content && !presentIn(t, al.a));
    if (newA.length && newB.length) {
      return {
        guard: "replacement",
        detail: `${quote(newA)} replaced by ${quote(newB)} (not an inflection or synonym)`,
      };
    }
    for (const x of h.a)
      for (const y of h.b) {
        if (opposite(x.lower, y.lower))
          return { guard: "replacement", detail: `"${x.text}" replaced by its opposite "${y.text}"` };
      }
  }
  return undefined;
}

export function negationScope(al: Alignment): GuardFinding | undefined {
  for (const [i, j] of al.pairs) {
    const x = al.a.tokens[i];
    const y = al.b.tokens[j];
    if (x.content && y.content && x.negated !== y.negated) {
      return {
        guard: "negation",
        detail: `"${x.text}" is negated ${x.negated ? "in the query" : "in the cached request"} only`,
      };
    }
  }
  return undefined;
}

const hunkGuard = (kind: string, check: (al: Alignment) => GuardFinding | undefined): Guard => ({
  kind,
  compare: (a, b) => check(align(a, b)),
});

export const roleGuard = hunkGuard("role", roleChange);
export const replacementGuard = hunkGuard("replacement", replacement);
export const factGuard = hunkGuard("fact", addedFact);
export const negationScopeGuard = hunkGuard("negation", negationScope);

export type { Hunk };
