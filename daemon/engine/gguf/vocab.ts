// A SentencePiece-style ("llama" tokenizer model) vocabulary for generated models: specials, the 256 byte-fallback
// tokens, then ▁-prefixed English words, letters and letter combinations. Deterministic: depends on size only.

/** llama.cpp token types (llama_token_type). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export type Vocabulary = {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
  unk: number;
  bos: number;
  eos: number;
  /** ChatML turn markers, control tokens so that a chat template renders them as single tokens. */
  imStart: number;
  imEnd: number;
};

const WORDS = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by " +
  "word but what some we can out other were all there when up use your how said an each she which do their time if " +
  "will way about many then them write would like so these her long make thing see him two has look more day could go " +
  "come did number sound no most people my over know water than call first who may down side been now find any new " +
  "work part take get place made live where after back little only round man year came show every good me give our " +
  "under name very through just form sentence great think say help low line differ turn cause much mean before move " +
  "right boy old too same tell does set three want air well also play small end put home read hand port large spell " +
  "add even land here must big high such follow act why ask men change went light kind off need house picture try us " +
  "again animal point mother world near build self earth father head stand own page should country found answer school " +
  "grow study still learn plant cover food sun four between state keep eye never last let thought city tree cross farm " +
  "hard start might story saw far sea draw left late run don't while press close night real life few north open seem " +
  "together next white children begin got walk example ease paper group always music those both mark often letter " +
  "until mile river car feet care second book carry took science eat room friend began idea fish mountain stop once " +
  "base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though " +
  "feel talk bird soon body dog family direct pose leave song measure door product black short numeral class wind " +
  "question happen complete ship area half rock order fire south problem piece told knew pass since top whole king " +
  "space heard best hour better true during hundred five remember step early hold west ground interest reach fast verb " +
  "sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow center love " +
  "person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain fly fall " +
  "lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood " +
  "contain front teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear " +
  "tail produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon " +
  "island foot system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check " +
  "game shape equate hot miss brought heat snow tire bring yes distant fill east paint language among once upon " +
  "was were"
).split(" ");

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const PUNCT = [
  ".",
  ",",
  "!",
  "?",
  "'",
  '"',
  ":",
  ";",
  "-",
  "(",
  ")",
  "\n",
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
];

/** ▁-prefixed and bare forms of `word`, preceded by all their prefixes. */
function* withPrefixes(word: string): Generator<string> {
  for (let i = 2; i <= word.length; i++) yield word.slice(0, i);
}

/**
 * Candidate pieces in priority order; more than any reasonable vocab needs (letter combinations grow fast).
 * llama.cpp's SentencePiece tokenizer builds a piece only by merging two adjacent pieces that are themselves in the
 * vocabulary, so every multi-character piece comes after all of its prefixes (a prefix-closed vocabulary).
 */
function* pieces(): Generator<string> {
  yield "▁";
  for (const c of LETTERS) yield "▁" + c;
  for (const c of LETTERS) yield c;
  for (const c of LETTERS.toUpperCase()) yield "▁" + c;
  for (const c of LETTERS.toUpperCase()) yield c;
  for (const p of PUNCT) yield p;
  for (const w of WORDS) yield* withPrefixes("▁" + w);
  for (const w of WORDS) yield* withPrefixes(w);
  for (const w of WORDS) yield* withPrefixes("▁" + w[0]!.toUpperCase() + w.slice(1));
  for (const a of LETTERS) for (const b of LETTERS) yield a + b;
  for (const a of LETTERS) for (const b of LETTERS) yield "▁" + a + b;
  for (const w of WORDS) yield w + "s";
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) yield a + b + c;
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) yield "▁" + a + b + c;
  for (const a of LETTERS)
    for (const b of LETTERS) for (const c of LETTERS) for (const d of LETTERS) yield a + b + c + d;
}

export const MIN_VOCAB_SIZE = 3 + 2 + 256 + 1;

export function buildVocabulary(size: number): Vocabulary {
  if (!Number.isInteger(size) || size < MIN_VOCAB_SIZE) {
    throw new Error(
      `vocabulary size ${size} is too small: use at least ${MIN_VOCAB_SIZE} (specials + 256 byte tokens)`,
    );
  }
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.unknown, TokenType.control, TokenType.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TokenType.byte);
  }
  const imStart = tokens.push("<|im_start|>") - 1;
  types.push(TokenType.control);
  const imEnd = tokens.push("<|im_end|>") - 1;
  types.push(TokenType.control);
  const seen = new Set(tokens);
  for (const p of pieces()) {
    if (tokens.length >= size) break;
    if (seen.has(p)) continue;
    seen.add(p);
    tokens.push(p);
    types.push(TokenType.normal);
  }
  if (tokens.length < size)
    throw new Error(`vocabulary size ${size} is larger than the generator supports (${tokens.length})`);
  // SentencePiece scores are log-probabilities: earlier (more common) pieces score higher, so the tokenizer
  // prefers whole words over letters. Specials and bytes score 0 as in real llama vocabularies.
  const scores = new Float32Array(size);
  for (let i = 0; i < size; i++) scores[i] = types[i] === TokenType.normal ? -(i - imEnd) : 0;
  return { tokens, scores, types: Int32Array.from(types), unk: 0, bos: 1, eos: 2, imStart, imEnd };
}
