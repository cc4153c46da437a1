// Data flow between tool calls: a later call depends on an earlier one when its arguments contain a specific value
// (a file name, a path, an id, a URL) that first appeared in the earlier call's result. Bare words and top-level
// directory names are not evidence: an agent exploring a repository names them without having read them anywhere.
/** Paths, every one (specificity looks up only values that start with "/"). */
const IGNORED = new Set([
  "/dev/null",
  "/dev/stdout",
  "/dev/stderr",
  "/dev/stdin",
  "/tmp",
  "/usr/bin/env",
  "/bin/sh",
  "/bin/bash",
  "/bin/zsh",
]);

// clean, hasExtension and specificity run for every token of every tool call (100k-span traces): they test characters
// by code where a regular expression would be asked the same thing (a test in tool-effects.test.ts keeps them equal).
function clean(t: string): string {
  const first = t.charCodeAt(0);
  if (first === 46 /* . */ || first === 47 /* / */) {
    // t.replace(/^[./]*(?=[A-Za-z0-9_~@])/, (m) => (m.startsWith("/") ? "/" : "")) without the regex and callback:
    // only the longest run of dots and slashes can be followed by such a character.
    let k = 1;
    while (k < t.length && (t.charCodeAt(k) === 46 || t.charCodeAt(k) === 47)) k++;
    if (k < t.length && isWordStart(t.charCodeAt(k))) t = (first === 47 ? "/" : "") + t.slice(k);
  }
  const last = t.charCodeAt(t.length - 1);
  if (last === 46 || last === 44 /* , */ || last === 47 || last === 45 /* - */) t = t.replace(/[.,/-]+$/, "");
  return t;
}

/** [A-Za-z0-9_~@] by char code. */
function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 126 || c === 64;
}

function hasExtension(t: string): boolean {
  const from = t.lastIndexOf("/") + 1; // the file name is t[from…]
  const dot = t.lastIndexOf(".");
  if (dot < from) return false;
  if (t.charCodeAt(from) === 46) {
    // A dot file (.eslintrc.json): rare, the regular expression decides.
    const base = t.slice(from);
    return /^\.[A-Za-z][\w.-]+$/.test(base) && base.length > 4 && base.includes(".", 1);
  }
  // /^[^.]+.*\.[A-Za-z][A-Za-z0-9]{0,7}$/ on the file name, by char code: the extension (after the last dot) is a
  // letter and up to 7 letters or digits; before it a name that does not start with a dot and has no line terminator
  // (what `.` does not match) from its first dot on.
  const ext = t.length - dot - 1;
  if (ext < 1 || ext > 8 || !isLetter(t.charCodeAt(dot + 1))) return false;
  for (let k = dot + 2; k < t.length; k++) if (!isLetter(t.charCodeAt(k)) && !isDigit(t.charCodeAt(k))) return false;
  for (let k = t.indexOf(".", from); k < dot; k++) {
    const c = t.charCodeAt(k);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;

const NOT_SPECIFIC = 0;
const SPECIFIC = 1;
/** Specific, and a file name (hasExtension). */
const FILE = 2;

/** isSpecific, and whether the value is a file name (asked once: argumentValues needs both). */
function specificity(t: string): number {
  if (t.length < 3 || (t.charCodeAt(0) === 47 /* every IGNORED value is a path */ && IGNORED.has(t)))
    return NOT_SPECIFIC;
  if (hasExtension(t)) return FILE;
  return isSpecificOtherwise(t) ? SPECIFIC : NOT_SPECIFIC;
}

/** isSpecific of a value that is no file name. */
function isSpecificOtherwise(t: string): boolean {
  if (t.length >= 6 && pathSegments(t) >= 2) return true; // a path below the top level, or a URL
  if (t.length >= 8 && /[0-9]/.test(t) && /[A-Za-z]/.test(t)) return true; // ids, hashes
  if (/^\d{6,}$/.test(t)) return true; // long numbers: ids, not counts
  if (t.length >= 8 && /[a-z][A-Z]/.test(t) && !t.includes("/")) return true; // code identifiers: buildOpenCodeConfig
  if (t.length >= 10 && /^[A-Za-z]+(_[A-Za-z0-9]+){2,}$/.test(t)) return true; // OPENCODE_CONFIG_CONTENT, snake_case_names
  return false;
}

/** How many non-empty "/"-separated segments `t` has (t.split("/").filter(Boolean).length, without the arrays). */
function pathSegments(t: string): number {
  let n = 0;
  for (let i = 0; i < t.length;) {
    const slash = t.indexOf("/", i);
    const end = slash === -1 ? t.length : slash;
    if (end > i) n++;
    i = end + 1;
  }
  return n;
}

/** The specific values in a call's arguments (each with its file name when it is a path to a file). */
export function argumentValues(args: string): Set<string> {
  const out = new Set<string>();
  // Tokens are runs of [A-Za-z0-9_.~/@+-], found by char code rather than a global regex (no match object each).
  for (let i = 0; i < args.length;) {
    if (!isTokenChar(args.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < args.length && isTokenChar(args.charCodeAt(end))) end++;
    const t = clean(args.slice(i, end));
    i = end;
    const ext = specificity(t);
    if (ext === NOT_SPECIFIC) continue;
    out.add(t);
    const slash = t.lastIndexOf("/");
    if (slash !== -1 && ext === FILE) out.add(t.slice(slash + 1));
  }
  return out;
}

/** [A-Za-z0-9_.~/@+-] by char code. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 45 && c <= 57) /* - . / 0-9 */ ||
    c === 95 ||
    c === 126 ||
    c === 64 ||
    c === 43
  );
}

const TOKEN_CHAR = /[A-Za-z0-9_.~/@+-]/;
const WORD_CHAR = /[A-Za-z0-9_~@+]/;

/**
 * True when `value` occurs in `result` as a whole token, or as the tail of a longer path ("src/a.ts" in
 * "/repo/src/a.ts"), or as a directory of a path in it (conservative: the later call may look where the result pointed).
 */
export function mentions(result: string, value: string): boolean {
  for (let i = result.indexOf(value); i !== -1; i = result.indexOf(value, i + 1)) {
    const before = i > 0 ? result[i - 1] : "";
    if (before && TOKEN_CHAR.test(before) && before !== "/") continue;
    const after = result[i + value.length] ?? "";
    if (after === "" || !TOKEN_CHAR.test(after) || after === "/") return true;
    // "file.ts." at the end of a sentence is the token; "file.ts.bak" is another token.
    if (".,-".includes(after) && !WORD_CHAR.test(result[i + value.length + 1] ?? "")) return true;
  }
  return false;
}

/**
 * The value through which `laterArgs` uses the earlier call, or undefined: a value in its result, or — when the
 * earlier call was a search with hits — a file it searched (the later call reads where the search pointed, e.g. a
 * line range found by `rg -n` in that file).
 */
export function dataDependency(
  laterArgs: Set<string>,
  earlierResult: string,
  earlierArgs: Set<string>,
  earlierSearchHit = false,
): string | undefined {
  for (const v of laterArgs) {
    if (mentions(earlierResult, v)) return v;
    if (earlierSearchHit && earlierArgs.has(v) && hasExtension(v)) return v;
  }
  return undefined;
}

/** A search tool or command (grep, rg, Grep, …) that returned something. */
export function isSearchWithHits(toolName: string, args: string, result: string): boolean {
  if (!/\S/.test(result)) return false; // !result.trim(), without the copy: trim and \s take the same characters
  if (isSearchTool(toolName)) return true;
  return /(^|[\s"'|;&(])(rg|grep|egrep|ag|git grep)\s/.test(args);
}

/** The search tools by name, as recorded (few distinct names; parallelism.ts asks once per call). */
const searchTools = new Map<string, boolean>();
function isSearchTool(name: string): boolean {
  let yes = searchTools.get(name);
  if (yes === undefined) {
    if (searchTools.size > 1000) searchTools.clear();
    searchTools.set(name, (yes = /^(grep|grep_search|codebase_search|search)$/i.test(name)));
  }
  return yes;
}

// Each tool call is checked against the results of the calls just before it (parallelism.ts): most values occur in
// none of them, and scanning every result for every value was the largest cost of analysing a long session. A
// result's trigram signature (a bit per hashed 3-character run) says for certain when a value cannot occur in it:
// every 3-character run of a substring is one of the string's. Only values it cannot rule out are looked up.
const SIG_WORDS = 128; // 4096 bits: a few hundred characters of result set a few percent of them
/** Longer results set nearly every bit: they get no signature and are always scanned. */
const SIG_MAX_CHARS = 16_384;

function gram(a: number, b: number, c: number): number {
  return Math.imul((a << 16) ^ (b << 8) ^ c, 0x9e3779b1) >>> 20; // 12 bits: 0 … 4095
}

/** One of 32 bits for a value (from its last three characters): equal values, equal bits. */
function valueBit(v: string): number {
  const n = v.length;
  return n < 3 ? 1 : 1 << (gram(v.charCodeAt(n - 3), v.charCodeAt(n - 2), v.charCodeAt(n - 1)) & 31);
}

export interface EarlierCall {
  resultText: string;
  /** Its argument values (`argumentValues`). */
  args: Set<string>;
  /** `isSearchWithHits` of the call (read only when a later value is a file the call searched). */
  readonly searchHit: boolean;
}

/**
 * The last `size` earlier calls (their results, argument values and search outcome) of one agent, and the values of
 * the call checked against them: `dependencyOn(j)` is `dataDependency(later, results[j], args[j], searchHit[j])`.
 */
export class DataFlowWindow {
  private readonly bits: Int32Array;
  private readonly scanned: Uint8Array; // 1: no signature, scan
  private readonly calls: EarlierCall[];
  /** Per call: the valueBit of each of its argument values, or-ed (has(v) is asked only when v's bit is set). */
  private readonly argBits: Int32Array;
  // The later call's values, their bits, trigram hashes and where each value's hashes end: reused from call to call,
  // with counts (emptying an array by `length = 0` is a runtime call, four per call).
  private values: string[] = [];
  private valueCount = 0;
  private valueBits: Int32Array = new Int32Array(16);
  private grams: Int32Array = new Int32Array(256);
  private gramEnds: Int32Array = new Int32Array(16);

  constructor(private readonly size: number) {
    this.bits = new Int32Array(size * SIG_WORDS);
    this.scanned = new Uint8Array(size);
    this.calls = new Array<EarlierCall>(size);
    this.argBits = new Int32Array(size);
  }

  /** Remembers call i (a later call may look back at most `size` calls). */
  add(i: number, call: EarlierCall): void {
    const slot = i % this.size;
    const result = call.resultText;
    this.calls[slot] = call;
    let argBits = 0;
    for (const v of call.args) argBits |= valueBit(v);
    this.argBits[slot] = argBits;
    const bits = this.bits;
    const at = slot * SIG_WORDS;
    bits.fill(0, at, at + SIG_WORDS);
    this.scanned[slot] = result.length > SIG_MAX_CHARS ? 1 : 0;
    if (this.scanned[slot]) return;
    let a = result.charCodeAt(0);
    let b = result.charCodeAt(1);
    for (let k = 2; k < result.length; k++) {
      const c = result.charCodeAt(k);
      const h = gram(a, b, c);
      bits[at + (h >>> 5)] |= 1 << (h & 31);
      a = b;
      b = c;
    }
  }

  /** Sets the values of the call checked next, in `dataDependency`'s order (the set's). */
  setLater(values: Set<string>): void {
    let count = 0;
    let end = 0;
    if (values.size > this.gramEnds.length) {
      this.valueBits = new Int32Array(2 * values.size);
      this.gramEnds = new Int32Array(2 * values.size);
    }
    for (const v of values) {
      this.values[count] = v;
      this.valueBits[count] = valueBit(v);
      if (end + v.length > this.grams.length) this.grams = grown(this.grams, end + v.length);
      // From the end: a path's file name tells paths apart sooner than its leading directories.
      const grams = this.grams;
      for (let k = v.length - 1; k >= 2; k--)
        grams[end++] = gram(v.charCodeAt(k - 2), v.charCodeAt(k - 1), v.charCodeAt(k));
      this.gramEnds[count++] = end;
    }
    this.valueCount = count;
  }

  /** The value through which the call set by `setLater` uses call j's result (see `dataDependency`), or undefined. */
  dependencyOn(j: number): string | undefined {
    const slot = j % this.size;
    const call = this.calls[slot];
    const result = call.resultText;
    const at = slot * SIG_WORDS;
    const scan = this.scanned[slot] === 1;
    const argBits = this.argBits[slot];
    const { bits, values, valueCount, grams, gramEnds } = this;
    for (let k = 0, from = 0; k < valueCount; from = gramEnds[k++]) {
      const v = values[k];
      let may = true;
      if (!scan)
        for (let g = from; g < gramEnds[k]; g++) {
          const h = grams[g];
          if ((bits[at + (h >>> 5)] & (1 << (h & 31))) === 0) {
            may = false;
            break;
          }
        }
      if (may && mentions(result, v)) return v;
      // searchHit is asked once per call (then remembered), has(v) once per value and earlier call: the bits first.
      if ((argBits & this.valueBits[k]) !== 0 && call.searchHit && call.args.has(v) && hasExtension(v)) return v;
    }
    return undefined;
  }
}

/** `a` in a larger array (at least `n` long), its contents kept. */
function grown(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(Math.max(n, 2 * a.length));
  b.set(a);
  return b;
}
