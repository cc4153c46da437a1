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
