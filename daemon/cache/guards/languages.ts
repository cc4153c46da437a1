// Programming and natural languages: "reverse a list in Python" vs "… in JavaScript" (0.911 cosine), "translate to
// French" vs "… to German", and a query written in another language or script than the candidate.
import { setDifference, words, type Guard } from "./guard.js";

/** alias → canonical name. Ambiguous words ("go", "c", "r", "rust" the noun) need their capitalized or qualified form. */
export const PROGRAMMING: Record<string, string> = {
  python: "python",
  py: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  nodejs: "javascript",
  "node.js": "javascript",
  typescript: "typescript",
  ts: "typescript",
  java: "java",
  kotlin: "kotlin",
  scala: "scala",
  golang: "go",
  ruby: "ruby",
  php: "php",
  swift: "swift",
  "objective-c": "objc",
  "c++": "cpp",
  cpp: "cpp",
  "c#": "csharp",
  csharp: "csharp",
  "f#": "fsharp",
  rust: "rust",
  haskell: "haskell",
  elixir: "elixir",
  erlang: "erlang",
  clojure: "clojure",
  lua: "lua",
  perl: "perl",
  dart: "dart",
  julia: "julia",
  zig: "zig",
  nim: "nim",
  ocaml: "ocaml",
  fortran: "fortran",
  cobol: "cobol",
  matlab: "matlab",
  bash: "bash",
  shell: "bash",
  sh: "bash",
  zsh: "zsh",
  powershell: "powershell",
  sql: "sql",
  postgresql: "sql",
  html: "html",
  css: "css",
  solidity: "solidity",
  groovy: "groovy",
  vb: "vb",
  vba: "vb",
  assembly: "asm",
  wasm: "wasm",
  webassembly: "wasm",
  verilog: "verilog",
  vhdl: "vhdl",
  prolog: "prolog",
  lisp: "lisp",
};
const CASED =
  /(?<![\w+#])(Go|C|R|D)(?![\w+#])(?=\s+(?:code|program|programs|language|lang|function|functions|script|scripts|module|version|struct|slice|map|closure|project|compiler|toolchain|library|package|\?|\.|,|$))|(?<=\b(?:in|to|from|into|using|with|for|and|vs\.?|or)\s+)(Go|C|R)(?![\w+#])/g;

const NATURAL: Record<string, string> = {
  english: "en",
  french: "fr",
  spanish: "es",
  german: "de",
  italian: "it",
  portuguese: "pt",
  dutch: "nl",
  russian: "ru",
  chinese: "zh",
  mandarin: "zh",
  cantonese: "yue",
  japanese: "ja",
  korean: "ko",
  arabic: "ar",
  hindi: "hi",
  bengali: "bn",
  turkish: "tr",
  polish: "pl",
  swedish: "sv",
  norwegian: "no",
  danish: "da",
  finnish: "fi",
  greek: "el",
  hebrew: "he",
  vietnamese: "vi",
  thai: "th",
  indonesian: "id",
  ukrainian: "uk",
  czech: "cs",
  hungarian: "hu",
  romanian: "ro",
  latin: "la",
  persian: "fa",
  farsi: "fa",
  urdu: "ur",
  swahili: "sw",
};

/** A few very frequent words per language: enough to tell which one a short question is written in. */
const STOPWORDS: Record<string, string[]> = {
  en: [
    "the",
    "is",
    "how",
    "what",
    "do",
    "i",
    "to",
    "and",
    "of",
    "in",
    "my",
    "can",
    "a",
    "with",
    "for",
    "does",
    "you",
    "this",
    "why",
  ],
  es: [
    "el",
    "la",
    "los",
    "las",
    "es",
    "cómo",
    "como",
    "qué",
    "que",
    "de",
    "en",
    "y",
    "mi",
    "puedo",
    "una",
    "un",
    "para",
    "por",
    "con",
  ],
  fr: [
    "le",
    "la",
    "les",
    "est",
    "comment",
    "quoi",
    "que",
    "de",
    "du",
    "des",
    "et",
    "mon",
    "ma",
    "je",
    "une",
    "un",
    "pour",
    "avec",
    "dans",
  ],
  de: [
    "der",
    "die",
    "das",
    "ist",
    "wie",
    "was",
    "ich",
    "und",
    "zu",
    "mein",
    "meine",
    "kann",
    "ein",
    "eine",
    "mit",
    "für",
    "nicht",
    "den",
  ],
  pt: [
    "o",
    "os",
    "as",
    "é",
    "como",
    "que",
    "de",
    "em",
    "e",
    "meu",
    "minha",
    "posso",
    "uma",
    "um",
    "para",
    "com",
    "não",
    "do",
    "da",
  ],
  it: [
    "il",
    "lo",
    "gli",
    "è",
    "come",
    "cosa",
    "che",
    "di",
    "in",
    "e",
    "mio",
    "mia",
    "posso",
    "una",
    "un",
    "per",
    "con",
    "non",
    "del",
  ],
};

function scriptOf(text: string): string {
  const counts: Record<string, number> = {};
  const scripts: [string, RegExp][] = [
    ["latin", /\p{Script=Latin}/u],
    ["cyrillic", /\p{Script=Cyrillic}/u],
    ["greek", /\p{Script=Greek}/u],
    ["han", /\p{Script=Han}/u],
    ["kana", /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
    ["hangul", /\p{Script=Hangul}/u],
    ["arabic", /\p{Script=Arabic}/u],
    ["hebrew", /\p{Script=Hebrew}/u],
    ["devanagari", /\p{Script=Devanagari}/u],
    ["thai", /\p{Script=Thai}/u],
  ];
  for (const ch of text) for (const [name, re] of scripts) if (re.test(ch)) counts[name] = (counts[name] ?? 0) + 1;
  const best = Object.entries(counts).sort((x, y) => y[1] - x[1])[0];
  if (!best) return "none";
  // Japanese mixes kana and han; any kana makes it Japanese.
  if (counts.kana) return "kana";
  return best[0];
}

/** The natural language a Latin-script text is written in, when the stopwords say so clearly. */
export function writtenIn(text: string): string | undefined {
  const script = scriptOf(text);
  if (script !== "latin") return script === "none" ? undefined : `script:${script}`;
  const ws = words(text);
  const scores = Object.entries(STOPWORDS).map(
    ([lang, list]) => [lang, ws.filter((w) => list.includes(w)).length] as const,
  );
  scores.sort((x, y) => y[1] - x[1]);
  const [first, second] = scores;
  if (first[1] >= 2 && first[1] > second[1]) return first[0];
  return undefined;
}

export function languagesMentioned(text: string): string[] {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[a-z][a-z0-9+#.-]*[a-z0-9+#]|[a-z]/g) ?? []) {
    const p = PROGRAMMING[w];
    if (p) out.add(`code:${p}`);
    const n = NATURAL[w];
    if (n) out.add(`lang:${n}`);
  }
  for (const m of text.matchAll(CASED)) out.add(`code:${(m[1] ?? m[2]).toLowerCase()}`);
  return [...out];
}

export const languageGuard: Guard = {
  kind: "language",
  compare(a, b) {
    const mentioned = setDifference("language", languagesMentioned(a), languagesMentioned(b));
    if (mentioned) return mentioned;
    const wa = writtenIn(a);
    const wb = writtenIn(b);
    if (wa && wb && wa !== wb) return { guard: "language", detail: `written in ${wa} vs ${wb}` };
    return undefined;
  },
};
