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
import type { SpanTree } from "./tree.js";

const MAX_HOTSPOTS = 10;

interface Item {
  key: string;
  name: string;
  kind: TimeOwner;
  ms: number;
  spans: Map<string, number>;
}

export function findHotspots(tree: SpanTree, path: CriticalPath): Hotspot[] {
  if (path.durationMs <= 0) return [];
  const perSpan = new Map<string, { ms: number; kind: TimeOwner }>();
  for (const s of path.segments) {
    if (s.label !== undefined || !s.spanId || s.kind === "idle") continue;
    const cur = perSpan.get(s.spanId);
    const ms = (s.endNs - s.startNs) / 1e6;
    if (cur) cur.ms += ms;
    else perSpan.set(s.spanId, { ms, kind: s.kind });
  }
  const items = new Map<string, Item>();
  for (const [spanId, { ms, kind }] of perSpan) {
    const span = tree.byId.get(spanId);
    if (!span) continue;
    const { key, name } = itemOf(span, kind);
    let item = items.get(key);
    if (!item) items.set(key, (item = { key, name, kind, ms: 0, spans: new Map() }));
    item.ms += ms;
    item.spans.set(spanId, ms);
  }
  return [...items.values()]
    .filter((i) => i.ms > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, MAX_HOTSPOTS)
    .map((i) => {
      const ranked = [...i.spans].sort((a, b) => b[1] - a[1]);
      const share = i.ms / path.durationMs;
      return {
        spanId: ranked[0][0],
        name: i.name,
        kind: i.kind,
        durationMs: round(i.ms),
        share: Math.round(share * 10_000) / 10_000,
        why: whyOf(i, tree.byId.get(ranked[0][0])!, share, ranked),
        spanIds: ranked.map(([id]) => id),
      };
    });
}

/** What repeats are folded by: a shell command by its program and subcommand, other tools by name. */
function itemOf(span: Span, kind: TimeOwner): { key: string; name: string } {
  const tool = toolName(span);
  if (kind === "llm") return { key: `span:${span.spanId}`, name: modelName(span) };
  if (span.kind === "tool" || tool) {
    const cmd = commandLine(tool, String(span.attributes["gen_ai.tool.call.arguments"] ?? ""));
    if (cmd !== undefined) {
      const head = commandHead(cmd);
      if (head) return { key: `${kind}:cmd:${head}`, name: head };
    }
    return { key: `${kind}:tool:${tool || span.name}`, name: tool || span.name };
  }
  return { key: `${kind}:name:${span.name}`, name: span.name };
}

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
  for (const part of cmd.split(/&&|\|\||;|\n/)) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    while (words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || /^(sudo|env|time|nice|timeout|command|exec|xargs)$/.test(words[0]))) {
      words.shift();
      while (words.length && /^-|^\d+[smh]?$/.test(words[0])) words.shift(); // their options (timeout 60, nice -n 5)
    }
    if (!words.length) continue;
    const program = words[0].replace(/^["']|["']$/g, "").split("/").pop()!;
    if (program === "cd" || program === "source" || program === ".") continue;
    const sub = words.slice(1).find((w) => !w.startsWith("-"));
    return sub && /^[a-z][a-z0-9:_-]{0,30}$/.test(sub) ? `${program} ${sub}` : program;
  }
  return "";
}

function whyOf(i: Item, longest: Span, share: number, ranked: [string, number][]): string {
  const n = ranked.length;
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
      const tokens = typeof input === "number" || typeof output === "number" ? ` (${input ?? "?"} input, ${output ?? "?"} output tokens)` : "";
      return `${head}: one model call${tokens}`;
    }
    case "tool":
      return n > 1 ? `${head}: ran ${n} times, longest ${humanDuration(ranked[0][1])}` : `${head}: one tool call`;
    default:
      return `${head}: uninstrumented step${detail ? ` (${detail})` : ""}`;
  }
}
