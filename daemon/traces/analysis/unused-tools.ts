// Tools defined in requests but never called: each costs its definition's tokens on every call it is sent with
// (evidence for the prompt audit).
import type { UnusedTool } from "../../api.js";
import type { Span } from "../span.js";

/** ~4 characters per token: good enough to rank definitions; the audit measures with the real tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function toolDefinitions(s: Span): { name: string; json: string }[] {
  const raw = s.attributes["gen_ai.tool.definitions"] ?? s.attributes["hotpath.tool_definitions"];
  if (typeof raw !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: { name: string; json: string }[] = [];
  for (const d of parsed) {
    if (typeof d !== "object" || d === null) continue;
    const o = d as Record<string, any>;
    const name = o.name ?? o.function?.name;
    if (typeof name === "string") out.push({ name, json: JSON.stringify(d) });
  }
  return out;
}

export function findUnusedTools(spans: Span[]): UnusedTool[] {
  const called = new Set<string>();
  for (const s of spans) {
    const n = s.attributes["gen_ai.tool.name"];
    if (s.kind === "tool" && typeof n === "string") called.add(n);
    const names = s.attributes["hotpath.tool_call_names"];
    if (Array.isArray(names)) for (const x of names) if (typeof x === "string") called.add(x);
  }
  const unused = new Map<string, UnusedTool>();
  for (const s of spans) {
    if (s.kind !== "llm") continue;
    for (const d of toolDefinitions(s)) {
      if (called.has(d.name)) continue;
      const u = unused.get(d.name) ?? { name: d.name, tokensPerCall: 0, callsSentWith: 0 };
      u.tokensPerCall = Math.max(u.tokensPerCall, estimateTokens(d.json));
      u.callsSentWith++;
      unused.set(d.name, u);
    }
  }
  return [...unused.values()].sort((a, b) => b.tokensPerCall * b.callsSentWith - a.tokensPerCall * a.callsSentWith);
}
