// Data flow between tool calls: a later call depends on an earlier one when its arguments contain a specific value
// (a file name, a path, an id, a URL) that first appeared in the earlier call's result. Bare words and top-level
// directory names are not evidence: an agent exploring a repository names them without having read them anywhere.
const TOKEN = /[A-Za-z0-9_.~/@+-]+/g;
const IGNORED = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/tmp", "/usr/bin/env", "/bin/sh", "/bin/bash", "/bin/zsh"]);

function clean(t: string): string {
  return t.replace(/^[./]*(?=[A-Za-z0-9_~@])/, (m) => (m.startsWith("/") ? "/" : "")).replace(/[.,/-]+$/, "");
}

function hasExtension(t: string): boolean {
  const base = t.split("/").pop() ?? "";
  return /^[^.]+.*\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(base) || /^\.[A-Za-z][\w.-]+$/.test(base) && base.length > 4 && base.includes(".", 1);
}

function isSpecific(t: string): boolean {
  if (t.length < 3 || IGNORED.has(t)) return false;
  if (hasExtension(t)) return true;
  const segments = t.split("/").filter(Boolean);
  if (segments.length >= 2 && t.length >= 6) return true; // a path below the top level, or a URL
  if (t.length >= 8 && /[0-9]/.test(t) && /[A-Za-z]/.test(t)) return true; // ids, hashes
  if (/^\d{6,}$/.test(t)) return true; // long numbers: ids, not counts
  if (t.length >= 8 && /[a-z][A-Z]/.test(t) && !t.includes("/")) return true; // code identifiers: buildOpenCodeConfig
  if (t.length >= 10 && /^[A-Za-z]+(_[A-Za-z0-9]+){2,}$/.test(t)) return true; // OPENCODE_CONFIG_CONTENT, snake_case_names
  return false;
}

/** The specific values in a call's arguments (each with its file name when it is a path to a file). */
export function argumentValues(args: string): Set<string> {
  const out = new Set<string>();
  for (const m of args.matchAll(TOKEN)) {
    const t = clean(m[0]);
    if (!isSpecific(t)) continue;
    out.add(t);
    if (t.includes("/") && hasExtension(t)) out.add(t.split("/").pop()!);
  }
  return out;
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
export function dataDependency(laterArgs: Set<string>, earlierResult: string, earlierArgs: Set<string>, earlierSearchHit = false): string | undefined {
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
