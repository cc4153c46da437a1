// Hotspots: the items that cost the most time on the critical path, largest first. Repeats of the same command or
// tool are folded into one item ("git commit ×3") because a slow step run three times is one thing to fix. LLM calls
// stay one item each (each is a different request); idle time (nobody working) is no hotspot: there is nothing to fix.
import type { Hotspot, TimeOwner } from "../../api.js";
import type { Span } from "../span.js";
import type { CriticalPath } from "./critical-path.js";
import { round } from "./critical-path.js";
import { humanDuration } from "./duration.js";
import { TIME_OWNER_WHY_ATTR } from "./owner.js";
import { commandLine } from "./tool-effects.js";

const MAX_HOTSPOTS = 10;

interface Item {
  name: string;
  kind: TimeOwner;
  ms: number;
  /** Spans folded into the item, with their time on the path (parallel arrays: no Map per item). */
  ids: string[];
  times: number[];
  nodes: Span[];
}

export function findHotspots(path: CriticalPath): Hotspot[] {
  if (path.durationMs <= 0) return [];
  // Time on the path per span, as the critical path summed it (a span may be on it in several pieces).
  const { spanIds: ids, spanMs: times, spanOwners: kinds, spanNodes: nodes } = path;
  // Model calls stay one item each (no key to build); everything else folds by what it ran.
  const items: Item[] = [];
  const topLlm: Item[] = [];
  // Folded items by owner, by what folds them (a command head, a tool name, a span name), then by that name: no key
  // string built per span on the path.
  const folded = new Map<TimeOwner, Map<string, Item>[]>();
  // A shell tool's fold key by its arguments' text: sessions run the same commands again and again, and finding a
  // command's head takes a few regular expressions.
  const heads = new Map<string, string>();
  for (let i = 0; i < ids.length; i++) {
    if (times[i] <= 0 || kinds[i] === "idle") continue;
    // Only the MAX_HOTSPOTS longest model calls can make the list: keep those, not one item per call.
    if (kinds[i] === "llm" && topLlm.length === MAX_HOTSPOTS && times[i] <= topLlm[MAX_HOTSPOTS - 1].ms) continue;
    const span = nodes[i];
    if (kinds[i] === "llm") {
      const item: Item = {
        name: modelName(span),
        kind: "llm",
        ms: times[i],
        ids: [ids[i]],
        times: [times[i]],
        nodes: [span],
      };
      let at = topLlm.length;
      while (at > 0 && topLlm[at - 1].ms < item.ms) at--;
      topLlm.splice(at, 0, item);
      if (topLlm.length > MAX_HOTSPOTS) topLlm.pop();
      continue;
    }
    const { by, name } = itemOf(span, heads);
    let byWhat = folded.get(kinds[i]);
    if (!byWhat) folded.set(kinds[i], (byWhat = [new Map(), new Map(), new Map()]));
    const byName = byWhat[by];
    let item = byName.get(name);
    if (!item) {
      byName.set(name, (item = { name, kind: kinds[i], ms: 0, ids: [], times: [], nodes: [] }));
      items.push(item);
    }
    item.ms += times[i];
    item.ids.push(ids[i]);
    item.times.push(times[i]);
    item.nodes.push(span);
  }
  return items
    .concat(topLlm)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, MAX_HOTSPOTS)
    .map((i) => {
      const order = longestFirst(i.times);
      const spanIds = order.map((k) => i.ids[k]);
      const share = i.ms / path.durationMs;
      return {
        spanId: spanIds[0],
        name: i.name,
        kind: i.kind,
        durationMs: round(i.ms),
        share: Math.round(share * 10_000) / 10_000,
        why: whyOf(i, i.nodes[order[0]], share, spanIds.length, i.times[order[0]]),
        spanIds,
      };
    });
}

/** What itemOf folds by: a command head, a tool name or a span name (the same name in two is two items). */
const BY_COMMAND = 0;
const BY_TOOL = 1;
const BY_SPAN_NAME = 2;

/**
 * What repeats are folded by: a shell command by its program and subcommand, other tools by name. `heads` remembers
 * each shell call's command head by its arguments' text: sessions run the same commands again and again.
 */
function itemOf(span: Span, heads: Map<string, string>): { by: number; name: string } {
  const tool = toolName(span);
  if (span.kind === "tool" || tool) {
    const args = span.attributes["gen_ai.tool.call.arguments"];
    if (typeof args === "string" && isShellTool(tool)) {
      let head = heads.get(args);
      if (head === undefined) {
        const cmd = shellCommandOf(tool, args);
        heads.set(args, (head = cmd === undefined ? "" : commandHead(cmd)));
      }
      if (head) return { by: BY_COMMAND, name: head };
    }
    return { by: BY_TOOL, name: tool || span.name };
  }
  return { by: BY_SPAN_NAME, name: span.name };
}

/**
 * Positions of `times`, longest first, ties in order: what the stable sort `(x, y) => times[y] - times[x]` gives. An
 * item can fold thousands of calls (Read ×16,000): with finite times that order is a total one, found by each time's
 * rank among the distinct times (a numeric sort, no comparator call per pair).
 */
export function longestFirst(times: number[]): number[] {
  const n = times.length;
  if (n === 1) return [0];
  const sorted = Float64Array.from(times);
  for (let k = 0; k < n; k++)
    if (!Number.isFinite(sorted[k])) return times.map((_, k) => k).sort((x, y) => times[y] - times[x]);
  sorted.sort();
  // Distinct times, longest first (-0 and 0 are one: the comparator ties them).
  const distinct: number[] = [];
  for (let k = n - 1; k >= 0; k--)
    if (!distinct.length || sorted[k] !== distinct[distinct.length - 1]) distinct.push(sorted[k]);
  const rank = new Int32Array(n);
  const count = new Int32Array(distinct.length + 1);
  for (let k = 0; k < n; k++) {
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid] > times[k]) lo = mid + 1;
      else hi = mid;
    }
    rank[k] = lo;
    count[lo + 1]++;
  }
  for (let r = 0; r < distinct.length; r++) count[r + 1] += count[r];
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[count[rank[k]]++] = k;
  return order;
}

/**
 * The command line of a shell call, enough of it to name it: the head of `"command": "…"` read straight from the
 * arguments' JSON text (every Bash call on a long critical path passes here), else parsed.
 */
function shellCommandOf(tool: string, args: string): string | undefined {
  const m = COMMAND_HEAD.exec(args);
  if (m) return m[1].replace(/\\"/g, '"').replace(/\\n/g, "\n");
  return commandLine(tool, args);
}
const SHELL_NAMES = new Set(["bash", "exec_command", "shell", "run_terminal_cmd", "local_shell", "shell_command"]);
/** SHELL_NAMES by a tool's name as recorded (few distinct names, one lookup per tool span on the path). */
const shellTools = new Map<string, boolean>();
function isShellTool(tool: string): boolean {
  let yes = shellTools.get(tool);
  if (yes === undefined) {
    if (shellTools.size > 1000) shellTools.clear();
    shellTools.set(tool, (yes = SHELL_NAMES.has(tool.toLowerCase())));
  }
  return yes;
}
const COMMAND_HEAD = /^\{\s*"(?:command|cmd)"\s*:\s*"((?:[^"\\]|\\.){0,300})/;

function toolName(span: Span): string {
  const n = span.attributes["gen_ai.tool.name"];
  return typeof n === "string" ? n : span.kind === "tool" ? span.name.replace(/^execute_tool\s+/, "") : "";
}

function modelName(span: Span): string {
  const m = span.attributes["gen_ai.request.model"] ?? span.attributes["gen_ai.response.model"];
  if (span.name) return span.name;
  return typeof m === "string" && m ? `chat ${m}` : "llm call";
}

/**
 * "git commit", "npm test", "pytest": the program and its subcommand, after `cd … &&`, env assignments and wrappers.
 * Only the first command of a line: that is what a person recognises.
 */
export function commandHead(cmd: string): string {
  const head = cmd.length > 300 ? cmd.slice(0, 300) : cmd;
  const parts = /[&|;\n]/.test(head) ? head.split(/&&|\|\||;|\n/) : [head];
  for (const part of parts) {
    // Words one at a time (\S+ runs, what trim + split(/\s+/) would give): only the first few are ever needed.
    WORD.lastIndex = 0;
    const next = () => WORD.exec(part)?.[0];
    let word = next();
    while (word !== undefined && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || WRAPPERS.test(word))) {
      word = next();
      while (word !== undefined && /^-|^\d+[smh]?$/.test(word)) word = next(); // their options (timeout 60, nice -n 5)
    }
    if (word === undefined) continue;
    const program = word
      .replace(/^["']|["']$/g, "")
      .split("/")
      .pop()!;
    if (program === "cd" || program === "source" || program === ".") continue;
    let sub = next();
    while (sub !== undefined && sub.startsWith("-")) sub = next();
    return sub && /^[a-z][a-z0-9:_-]{0,30}$/.test(sub) ? `${program} ${sub}` : program;
  }
  return "";
}
const WORD = /\S+/g;
const WRAPPERS = /^(sudo|env|time|nice|timeout|command|exec|xargs)$/;

function whyOf(i: Item, longest: Span, share: number, n: number, longestMs: number): string {
  const head = `${i.name}${n > 1 ? ` ×${n}` : ""}, ${humanDuration(i.ms)} (${Math.round(share * 100)}% of the critical path)`;
  const marked = longest.attributes[TIME_OWNER_WHY_ATTR];
  const detail = typeof marked === "string" && marked ? marked : undefined;
  switch (i.kind) {
    case "human":
      return `${head}: the agent waited for a person${detail ? ` (${detail})` : ""}`;
    case "compaction":
      return `${head}: context compaction${detail ? ` (${detail})` : ""}; a smaller context compacts less often`;
    case "llm": {
      const input = longest.attributes["gen_ai.usage.input_tokens"];
      const output = longest.attributes["gen_ai.usage.output_tokens"];
      const tokens =
        typeof input === "number" || typeof output === "number"
          ? ` (${input ?? "?"} input, ${output ?? "?"} output tokens)`
          : "";
      return `${head}: one model call${tokens}`;
    }
    case "tool":
      return n > 1 ? `${head}: ran ${n} times, longest ${humanDuration(longestMs)}` : `${head}: one tool call`;
    default:
      return `${head}: uninstrumented step${detail ? ` (${detail})` : ""}`;
  }
}
