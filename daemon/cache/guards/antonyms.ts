// Antonyms: opposite poles of one axis (enable/disable, add/remove, allow/deny, before/after, …), and un-/dis-/de-
// prefixed forms of a word on the other side (install/uninstall, encrypt/decrypt).
import { findAll, phraseMatcher, words, type Guard } from "./guard.js";

/** [axis, one pole, the opposite pole]. A word may sit on several axes. */
const AXES: [string, string[], string[]][] = [
  [
    "enable",
    [
      "enable",
      "enabled",
      "enables",
      "enabling",
      "activate",
      "activated",
      "activating",
      "turn on",
      "turned on",
      "turning on",
      "switch on",
      "switched on",
    ],
    [
      "disable",
      "disabled",
      "disables",
      "disabling",
      "deactivate",
      "deactivated",
      "deactivating",
      "turn off",
      "turned off",
      "turning off",
      "switch off",
      "switched off",
    ],
  ],
  [
    "start",
    ["start", "started", "starting", "launch", "boot", "run", "resume", "begin"],
    ["stop", "stopped", "stopping", "shut down", "shutdown", "kill", "terminate", "halt", "pause"],
  ],
  [
    "add",
    [
      "add",
      "adding",
      "added",
      "adds",
      "insert",
      "inserting",
      "append",
      "appending",
      "include",
      "including",
      "create",
      "creating",
    ],
    [
      "remove",
      "removing",
      "removed",
      "removes",
      "delete",
      "deleting",
      "deleted",
      "drop",
      "dropping",
      "erase",
      "exclude",
      "excluding",
      "strip",
      "destroy",
    ],
  ],
  [
    "allow",
    [
      "allow",
      "allowed",
      "allowing",
      "permit",
      "permitted",
      "grant",
      "granted",
      "accept",
      "accepted",
      "whitelist",
      "allowlist",
      "approve",
    ],
    [
      "deny",
      "denied",
      "denying",
      "block",
      "blocked",
      "blocking",
      "forbid",
      "forbidden",
      "reject",
      "rejected",
      "revoke",
      "revoked",
      "blacklist",
      "blocklist",
      "disallow",
      "ban",
    ],
  ],
  [
    "increase",
    [
      "increase",
      "increasing",
      "increased",
      "raise",
      "raising",
      "grow",
      "more",
      "higher",
      "bigger",
      "larger",
      "longer",
      "maximum",
      "max",
      "maximize",
      "most",
      "greater than",
      "above",
      "exceeds",
      "at least",
      "upper bound",
    ],
    [
      "decrease",
      "decreasing",
      "decreased",
      "reduce",
      "reducing",
      "reduced",
      "lower",
      "lowering",
      "shrink",
      "less",
      "fewer",
      "smaller",
      "shorter",
      "minimum",
      "min",
      "minimize",
      "least",
      "less than",
      "below",
      "under",
      "at most",
      "lower bound",
    ],
  ],
  [
    "before",
    ["before", "prior to", "earlier", "previous", "preceding", "older than", "until"],
    ["after", "later", "following", "next", "subsequent", "newer than", "since"],
  ],
  [
    "show",
    ["show", "showing", "shown", "display", "reveal", "unhide", "visible"],
    ["hide", "hiding", "hidden", "conceal", "invisible"],
  ],
  ["open", ["open", "opening", "opened", "opens"], ["close", "closing", "closed", "closes", "shut"]],
  [
    "install",
    ["install", "installing", "installed", "upgrade", "upgrading"],
    ["uninstall", "uninstalling", "uninstalled", "downgrade", "downgrading"],
  ],
  ["lock", ["lock", "locked", "locking"], ["unlock", "unlocked", "unlocking"]],
  [
    "encrypt",
    ["encrypt", "encrypting", "encrypted", "encryption"],
    ["decrypt", "decrypting", "decrypted", "decryption"],
  ],
  [
    "encode",
    [
      "encode",
      "encoding",
      "encoded",
      "serialize",
      "serializing",
      "serialization",
      "stringify",
      "compress",
      "compressing",
      "zip",
    ],
    [
      "decode",
      "decoding",
      "decoded",
      "deserialize",
      "deserializing",
      "deserialization",
      "parse",
      "decompress",
      "decompressing",
      "unzip",
    ],
  ],
  ["import", ["import", "importing", "imported"], ["export", "exporting", "exported"]],
  ["upload", ["upload", "uploading", "uploaded"], ["download", "downloading", "downloaded"]],
  ["push", ["push", "pushing", "pushed"], ["pull", "pulling", "pulled", "fetch"]],
  [
    "order",
    ["ascending", "asc", "oldest first", "smallest first"],
    ["descending", "desc", "newest first", "largest first"],
  ],
  ["truth", ["true", "truthy"], ["false", "falsy"]],
  [
    "connect",
    ["connect", "connecting", "connected", "attach", "mount", "subscribe", "log in", "login", "sign in", "signin"],
    [
      "disconnect",
      "disconnecting",
      "disconnected",
      "detach",
      "unmount",
      "unsubscribe",
      "log out",
      "logout",
      "sign out",
      "signout",
    ],
  ],
  [
    "first",
    ["first", "oldest", "earliest", "head", "top", "beginning", "leading", "prefix", "start of"],
    ["last", "newest", "latest", "tail", "bottom", "end", "trailing", "suffix", "end of"],
  ],
  ["read", ["read", "reading", "read only", "readonly"], ["write", "writing", "writable", "writes"]],
  [
    "sync",
    ["synchronous", "synchronously", "sync", "blocking call"],
    ["asynchronous", "asynchronously", "async", "non blocking"],
  ],
  ["visibility", ["public"], ["private"]],
  [
    "outcome",
    ["success", "succeed", "succeeded", "successful", "pass", "passing", "passed"],
    ["fail", "failure", "failed", "failing", "fails"],
  ],
  ["validity", ["valid"], ["invalid"]],
  [
    "speed",
    ["fast", "faster", "fastest", "quick", "quickly", "speed up"],
    ["slow", "slower", "slowest", "slowly", "slow down"],
  ],
  [
    "merit",
    ["best", "pros", "advantages", "benefits", "better"],
    ["worst", "cons", "disadvantages", "drawbacks", "worse"],
  ],
  [
    "io",
    ["input", "inputs", "stdin", "incoming", "inbound", "ingress", "request"],
    ["output", "outputs", "stdout", "outgoing", "outbound", "egress", "response"],
  ],
  ["trade", ["buy", "buying", "purchase"], ["sell", "selling"]],
  ["sentiment", ["like", "love", "agree", "positive", "pro"], ["dislike", "hate", "disagree", "negative", "against"]],
  [
    "axis",
    ["horizontal", "horizontally", "width", "x axis", "rows", "row"],
    ["vertical", "vertically", "height", "y axis", "columns", "column"],
  ],
  ["case", ["uppercase", "upper case", "capitalize", "capital letters"], ["lowercase", "lower case", "small letters"]],
  [
    "merge",
    ["merge", "merging", "join", "joining", "combine", "concatenate"],
    ["split", "splitting", "separate", "divide"],
  ],
  ["expand", ["expand", "expanding", "zoom in", "unfold"], ["collapse", "collapsing", "zoom out", "fold"]],
  ["side", ["inner", "left"], ["outer", "right"]],
  ["temperature", ["hot", "warm", "heat", "heating", "warmer"], ["cold", "cool", "cooling", "colder", "freeze"]],
  ["network", ["online"], ["offline"]],
  ["direction", ["forward", "forwards", "redo", "north", "east"], ["backward", "backwards", "undo", "south", "west"]],
  ["inclusive", ["inclusive"], ["exclusive"]],
  ["with", ["with"], ["without"]],
];

const COMPILED = AXES.map(([axis, plus, minus]) => ({ axis, plus: phraseMatcher(plus), minus: phraseMatcher(minus) }));
const PREFIXES = ["un", "dis", "de", "non", "in", "anti"];

type Poles = { axis: string; plus: string[]; minus: string[] }[];
/** Poles per text, remembered: a lookup compares one query with several candidates, and candidates recur. */
const polesMemo = new Map<string, Poles>();

function poles(text: string): Poles {
  const known = polesMemo.get(text);
  if (known) return known;
  const found = COMPILED.map(({ axis, plus, minus }) => ({
    axis,
    plus: findAll(plus, text),
    minus: findAll(minus, text),
  }));
  polesMemo.set(text, found);
  if (polesMemo.size > 2048) polesMemo.delete(polesMemo.keys().next().value as string);
  return found;
}

export const antonymGuard: Guard = {
  kind: "antonym",
  compare(a, b) {
    const pa = poles(a);
    const pb = poles(b);
    for (let i = 0; i < pa.length; i++) {
      const x = pa[i];
      const y = pb[i];
      const xs = `${x.plus.length ? "+" : ""}${x.minus.length ? "-" : ""}`;
      const ys = `${y.plus.length ? "+" : ""}${y.minus.length ? "-" : ""}`;
      // Only when both sides take a side on this axis and the sides differ; a side that says nothing is no evidence.
      if (xs && ys && xs !== ys) {
        return {
          guard: "antonym",
          detail: `${x.axis}: ${[...x.plus, ...x.minus].join("/")} vs ${[...y.plus, ...y.minus].join("/")}`,
        };
      }
    }
    const wa = new Set(words(a));
    const wb = new Set(words(b));
    for (const [p, q] of [
      [wa, wb],
      [wb, wa],
    ]) {
      for (const w of p) {
        if (w.length < 4 || q.has(w)) continue;
        for (const pre of PREFIXES) {
          if (q.has(pre + w) && !p.has(pre + w)) return { guard: "antonym", detail: `${w} vs ${pre}${w}` };
        }
      }
    }
    return undefined;
  },
};
