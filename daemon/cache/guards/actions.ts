// Different operations on the same object: "install Docker" vs "configure Docker" (0.960 cosine), "rename a file" vs
// "copy a file". Verbs map to one or more operation classes; both sides must share a class when both name one.
// Opposite operations are the antonym guard's; this one catches operations that are merely different.
import { phraseMatcher, type Guard } from "./guard.js";

/** operation class → verb forms. A verb may sit in several classes ("set up" creates, installs and configures). */
const OPERATIONS: Record<string, string[]> = {
  create: [
    "create",
    "creating",
    "created",
    "generate",
    "generating",
    "scaffold",
    "initialize",
    "initialise",
    "init",
    "set up",
    "setup",
    "new",
    "declare",
    "define",
    "build",
    "write",
  ],
  install: ["install", "installing", "set up", "setup", "get", "add"],
  configure: [
    "configure",
    "configuring",
    "config",
    "set up",
    "setup",
    "customize",
    "customise",
    "tweak",
    "adjust",
    "set",
    "change",
    "settings",
  ],
  view: [
    "view",
    "see",
    "show",
    "display",
    "list",
    "print",
    "check",
    "inspect",
    "look at",
    "get",
    "find",
    "read",
    "monitor",
    "watch",
  ],
  update: ["update", "upgrade", "modify", "edit", "change", "bump", "set"],
  rename: ["rename", "renaming", "move", "mv"],
  copy: ["copy", "copying", "duplicate", "cp", "clone", "cloning"],
  fork: ["fork", "forking"],
  delete: ["delete", "remove", "drop", "erase", "rm", "clear", "purge", "clean", "wipe", "kill"],
  format: ["format", "formatting", "pretty print", "prettify"],
  parse: ["parse", "parsing", "read"],
  activate: ["activate", "activating", "enable", "turn on", "start", "source"],
  measure: ["measure", "measuring", "time it", "timing", "benchmark", "profile", "track", "how long"],
  record: ["record", "recording", "screencast", "capture"],
  screenshot: ["screenshot", "screen shot", "capture", "snap"],
  debug: ["debug", "debugging", "fix", "troubleshoot", "diagnose", "solve", "resolve"],
  deploy: ["deploy", "deploying", "release", "publish", "ship", "host"],
  sort: ["sort", "sorting", "order", "rank"],
  filter: ["filter", "filtering", "select"],
  search: ["search", "find", "grep", "look up", "locate", "query"],
  count: ["count", "counting", "how many", "number of"],
  sum: ["sum", "total", "add up"],
  convert: ["convert", "converting", "transform", "cast", "translate", "turn into"],
  send: ["send", "sending", "post", "email", "submit"],
  test: ["test", "testing", "unit test", "mock", "assert"],
  stash: ["stash", "stashing", "shelve"],
  rebase: ["rebase", "rebasing"],
  commit: ["commit", "committing"],
  revert: ["revert", "undo", "reset", "roll back", "rollback"],
  cherrypick: ["cherry pick", "cherry-pick"],
  checkout: ["checkout", "check out", "switch"],
  tag: ["tag", "tagging"],
  schedule: ["schedule", "book", "reserve", "plan"],
  cancel: ["cancel", "cancelling", "canceling", "terminate"],
  compress: ["compress", "zip", "archive", "tar"],
  backup: ["backup", "back up", "snapshot"],
  restore: ["restore", "recover", "recovery"],
  migrate: ["migrate", "migration", "port"],
  validate: ["validate", "validating", "verify", "check"],
  optimize: ["optimize", "optimise", "speed up", "tune", "improve"],
};

const MATCHERS = Object.entries(OPERATIONS).map(([op, verbs]) => ({ op, re: phraseMatcher(verbs) }));

export function operations(text: string): Set<string> {
  const out = new Set<string>();
  for (const { op, re } of MATCHERS) {
    re.lastIndex = 0;
    if (re.test(text)) out.add(op);
  }
  return out;
}

export const operationGuard: Guard = {
  kind: "operation",
  compare(a, b) {
    const oa = operations(a);
    const ob = operations(b);
    if (!oa.size || !ob.size) return undefined;
    for (const op of oa) if (ob.has(op)) return undefined;
    return { guard: "operation", detail: `${[...oa].join("/")} vs ${[...ob].join("/")}` };
  },
};
