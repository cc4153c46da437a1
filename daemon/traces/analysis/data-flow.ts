// Data flow between tool calls: a later call depends on an earlier one when its arguments contain a specific value
// (a file name, a path, an id, a URL) that first appeared in the earlier call's result. Bare words and top-level
// directory names are not evidence: an agent exploring a repository names them without having read them anywhere.
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

// clean, hasExtension and isSpecific run for every token of every tool call (100k-span traces): the regular
// expressions only run when the cheap character checks say they could change or match something.
function clean(t: string): string {
  const first = t.charCodeAt(0);
  if (first === 46 /* . */ || first === 47 /* / */)
    t = t.replace(/^[./]*(?=[A-Za-z0-9_~@])/, (m) => (m.startsWith("/") ? "/" : ""));
  const last = t.charCodeAt(t.length - 1);
  if (last === 46 || last === 44 /* , */ || last === 47 || last === 45 /* - */) t = t.replace(/[.,/-]+$/, "");
  return t;
}

function hasExtension(t: string): boolean {
  const base = t.slice(t.lastIndexOf("/") + 1);
  if (!base.includes(".")) return false;
  return (
    /^[^.]+.*\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(base) ||
    (/^\.[A-Za-z][\w.-]+$/.test(base) && base.length > 4 && base.includes(".", 1))
  );
}

function isSpecific(t: string): boolean {
  if (t.length < 3 || IGNORED.has(t)) return false;
  if (hasExtension(t)) return true;
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
    if (!isSpecific(t)) continue;
    out.add(t);
    const slash = t.lastIndexOf("/");
    if (slash !== -1 && hasExtension(t)) out.add(t.slice(slash + 1));
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
  if (!result.trim()) return false;
  if (/^(grep|grep_search|codebase_search|search)$/i.test(toolName)) return true;
  return /(^|[\s"'|;&(])(rg|grep|egrep|ag|git grep)\s/.test(args);
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
  private values: string[] = [];
  private grams: number[] = [];
  /** The end of each value's trigram hashes in `grams`. */
  private gramEnds: number[] = [];

  constructor(private readonly size: number) {
    this.bits = new Int32Array(size * SIG_WORDS);
    this.scanned = new Uint8Array(size);
    this.calls = new Array<EarlierCall>(size);
  }

  /** Remembers call i (a later call may look back at most `size` calls). */
  add(i: number, call: EarlierCall): void {
    const slot = i % this.size;
    const result = call.resultText;
    this.calls[slot] = call;
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
    this.values.length = 0;
    this.grams.length = 0;
    this.gramEnds.length = 0;
    for (const v of values) {
      this.values.push(v);
      // From the end: a path's file name tells paths apart sooner than its leading directories.
      for (let k = v.length - 1; k >= 2; k--)
        this.grams.push(gram(v.charCodeAt(k - 2), v.charCodeAt(k - 1), v.charCodeAt(k)));
      this.gramEnds.push(this.grams.length);
    }
  }

  /** The value through which the call set by `setLater` uses call j's result (see `dataDependency`), or undefined. */
  dependencyOn(j: number): string | undefined {
    const slot = j % this.size;
    const call = this.calls[slot];
    const result = call.resultText;
    const at = slot * SIG_WORDS;
    const scan = this.scanned[slot] === 1;
    const { bits, values, grams, gramEnds } = this;
    for (let k = 0, from = 0; k < values.length; from = gramEnds[k++]) {
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
      if (call.args.has(v) && hasExtension(v) && call.searchHit) return v;
    }
    return undefined;
  }
}
