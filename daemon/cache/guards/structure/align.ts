// Word alignment of two texts: a weighted longest common subsequence over their tokens, where two tokens are "the
// same word" when they are one form, one lemma (an inflection: "passes"/"passed"), one stem across a change of word
// class (a derivation: "summary"/"summarize") or WordNet synonyms ("write"/"compose"). What the alignment leaves
// over are hunks: a word replaced, inserted, deleted, or moved (present on the other side, somewhere else).
// The defences read the hunks, in order, so position and role count — not just which words occur (sets).
import { analyse, type Analysis, type Token } from "./analyse.js";
import { known, synonyms } from "./wordnet.js";

export interface Hunk {
  /** Tokens of the first text (the query) the alignment left over here, in order. */
  a: Token[];
  /** Tokens of the second text (the candidate) left over here. */
  b: Token[];
  /** Index (in a / in b) of the first token after the hunk: where it sits. */
  atA: number;
  atB: number;
}

export interface Alignment {
  a: Analysis;
  b: Analysis;
  /** Matched token indexes, in order: [index in a, index in b]. */
  pairs: [number, number][];
  hunks: Hunk[];
}

/** Longest input aligned, in tokens; a lookup stays bounded on long prompts (the DP is quadratic). */
const MAX_TOKENS = 400;

export function sameWord(x: Token, y: Token): boolean {
  if (x.lower === y.lower || x.lemma === y.lemma) return true;
  if (!x.content || !y.content) return false;
  if (/\d/.test(x.lower) || /\d/.test(y.lower)) return false;
  // A derivation changes the word class ("differ" VERB / "difference" NOUN); within one class equal stems over-merge
  // ("university"/"universe").
  if (x.pos !== y.pos && x.stem === y.stem && x.stem.length >= 4) return true;
  if ((x.phrasal || y.phrasal) && synonyms(x.phrasal ?? x.lemma, x.pos, y.phrasal ?? y.lemma, y.pos)) return true;
  // Words WordNet does not know (names, keywords such as `var`/`const`, jargon) are only ever equal to themselves.
  if (!known(x.lemma) || !known(y.lemma)) return false;
  return synonyms(x.lemma, x.pos, y.lemma, y.pos);
}

const memo = new Map<string, Alignment>();

export function align(query: string, candidate: string): Alignment {
  const key = `${query}\u0000${candidate}`;
  const known = memo.get(key);
  if (known) return known;
  const result = alignUncached(analyse(query), analyse(candidate));
  memo.set(key, result);
  if (memo.size > 512) memo.delete(memo.keys().next().value as string);
  return result;
}

function alignUncached(a: Analysis, b: Analysis): Alignment {
  const ta = a.tokens.slice(0, MAX_TOKENS);
  const tb = b.tokens.slice(0, MAX_TOKENS);
  const n = ta.length;
  const m = tb.length;
  // score[i][j]: best weight aligning ta[i..] with tb[j..]; content words weigh more, so they anchor the alignment.
  const w = (i: number, j: number) => (sameWord(ta[i], tb[j]) ? (ta[i].content && tb[j].content ? 3 : 1) : 0);
  const cols = m + 1;
  const score = new Float64Array((n + 1) * cols);
  const match = new Uint8Array(n * m);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const wij = w(i, j);
      match[i * m + j] = wij;
      let best = Math.max(score[(i + 1) * cols + j], score[i * cols + j + 1]);
      if (wij) best = Math.max(best, wij + score[(i + 1) * cols + j + 1]);
      score[i * cols + j] = best;
    }
  }
  const pairs: [number, number][] = [];
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: Hunk | undefined;
  const flush = () => {
    if (open && (open.a.length || open.b.length)) hunks.push(open);
    open = undefined;
  };
  while (i < n && j < m) {
    const wij = match[i * m + j];
    if (wij && score[i * cols + j] === wij + score[(i + 1) * cols + j + 1]) {
      flush();
      pairs.push([i, j]);
      i++;
      j++;
    } else if (score[(i + 1) * cols + j] >= score[i * cols + j + 1]) {
      open ??= { a: [], b: [], atA: 0, atB: 0 };
      open.a.push(ta[i++]);
    } else {
      open ??= { a: [], b: [], atA: 0, atB: 0 };
      open.b.push(tb[j++]);
    }
    if (open) {
      open.atA = i;
      open.atB = j;
    }
  }
  if (i < n || j < m) {
    open ??= { a: [], b: [], atA: 0, atB: 0 };
    open.a.push(...ta.slice(i));
    open.b.push(...tb.slice(j));
    open.atA = n;
    open.atB = m;
  }
  flush();
  return { a, b, pairs, hunks };
}

/** Whether `t` (left over by the alignment) names a word that the other text holds somewhere: it moved. */
export function presentIn(t: Token, other: Analysis): Token | undefined {
  return other.tokens.find((o) => sameWord(t, o));
}

/** Whether two tokens are one word only by derivation (another word class: "difference" NOUN / "differ" VERB). */
export function derivationOnly(x: Token, y: Token): boolean {
  return x.lower !== y.lower && x.lemma !== y.lemma && x.pos !== y.pos && x.stem === y.stem;
}
