// The span tree analysis walks: unique ids, orphans (parent not in the trace) as roots, parent cycles broken, and the
// same LLM call recorded twice by two instrumentations (e.g. LangChain + OpenAI instrumentor) folded into one.
import type { Span } from "../span.js";

export interface SpanTree {
  spans: Span[];
  byId: Map<string, Span>;
  children: Map<string, Span[]>;
  roots: Span[];
  /** Spans dropped as duplicates → the span kept in their place. */
  duplicates: Map<string, string>;
  /** Spans whose parent link was ignored because it closed a cycle. */
  cycleBreaks: string[];
}

export function buildTree(input: Span[]): SpanTree {
  const unique = new Map<string, Span>();
  for (const s of input) {
    // Bad clocks: a span that ends before it starts is treated as instantaneous.
    unique.set(s.spanId, s.endNs < s.startNs ? { ...s, endNs: s.startNs } : s);
  }
  const duplicates = findDuplicateLlmCalls([...unique.values()], unique);
  // Without duplicates (the usual case) the unique map is the id index; it is this function's own map.
  let byId = unique;
  if (duplicates.size) {
    byId = new Map<string, Span>();
    for (const s of unique.values()) if (!duplicates.has(s.spanId)) byId.set(s.spanId, s);
  }
  // The kept span takes what only the other recording had (token usage, prompts).
  for (const [drop, keep] of duplicates) {
    const k = byId.get(keep);
    const d = unique.get(drop);
    if (k && d) byId.set(keep, { ...k, attributes: { ...d.attributes, ...k.attributes } });
  }
  const resolve = (id: string | undefined): string | undefined => {
    let cur = id;
    for (let i = 0; cur !== undefined && duplicates.has(cur) && i < 16; i++) cur = duplicates.get(cur);
    return cur;
  };
  // Spans by position, parents as positions (-1: none): typed arrays instead of id-keyed maps for 100k spans.
  const list = [...byId.values()];
  const indexOf = new Map<string, number>();
  for (let i = 0; i < list.length; i++) indexOf.set(list[i].spanId, i);
  const parent = new Int32Array(list.length).fill(-1);
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    let p = duplicates.size ? resolve(s.parentSpanId) : s.parentSpanId;
    if (p === s.spanId) p = resolve(unique.get(s.parentSpanId!)?.parentSpanId);
    if (p !== undefined && p !== s.spanId) parent[i] = indexOf.get(p) ?? -1;
  }
  // Break cycles: walk up from each span; a walk that meets its own path cuts the link where it closed.
  const state = new Uint8Array(list.length); // 1 on the current path, 2 done
  const cycleBreaks: string[] = [];
  const path: number[] = [];
  for (let start = 0; start < list.length; start++) {
    path.length = 0;
    let cur = start;
    while (cur !== -1 && state[cur] === 0) {
      state[cur] = 1;
      path.push(cur);
      cur = parent[cur];
    }
    if (cur !== -1 && state[cur] === 1) {
      parent[cur] = -1;
      cycleBreaks.push(list[cur].spanId);
    }
    for (const p of path) state[p] = 2;
  }
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  const spans = new Array<Span>(list.length);
  for (let i = 0; i < list.length; i++) {
    const parentSpanId = parent[i] === -1 ? undefined : list[parent[i]].spanId;
    const s = parentSpanId === list[i].parentSpanId ? list[i] : { ...list[i], parentSpanId };
    spans[i] = s;
    if (s !== list[i]) byId.set(s.spanId, s);
  }
  for (const s of spans) {
    if (s.parentSpanId === undefined) roots.push(s);
    else {
      const kids = children.get(s.parentSpanId);
      if (kids) kids.push(s);
      else children.set(s.parentSpanId, [s]);
    }
  }
  spans.sort((a, b) => a.startNs - b.startNs || a.endNs - b.endNs);
  return { spans, byId, children, roots, duplicates, cycleBreaks };
}

function modelOf(s: Span): string | undefined {
  const m = s.attributes["gen_ai.request.model"] ?? s.attributes["gen_ai.response.model"];
  return typeof m === "string" ? m : undefined;
}

const CONTENT_KEYS = [
  "hotpath.prefix.block_hashes",
  "gen_ai.input.messages",
  "gen_ai.prompt",
  "input.value",
  "hotpath.prompt",
];
const COUNT_KEYS = ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"];

/**
 * true: a recorded prompt is the same; false: something recorded differs; undefined: nothing to compare. Prompt text
 * is compared only between recordings of one instrumentation: two instrumentations serialise one prompt differently.
 */
function sameContent(a: Span, b: Span, sameScope: boolean): boolean | undefined {
  let same: boolean | undefined;
  for (const k of sameScope ? CONTENT_KEYS : CONTENT_KEYS.slice(0, 1)) {
    const x = a.attributes[k];
    const y = b.attributes[k];
    if (x === undefined || y === undefined) continue;
    if (!equalValue(x, y)) return false;
    same = true;
  }
  for (const k of COUNT_KEYS) {
    const x = a.attributes[k];
    const y = b.attributes[k];
    if (typeof x === "number" && typeof y === "number" && x !== y) return false;
  }
  return same;
}

function equalValue(x: unknown, y: unknown): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
  return x === y;
}

function compatibleModels(a?: string, b?: string): boolean {
  if (!a || !b) return true;
  return a === b || a.startsWith(b) || b.startsWith(a);
}

function depth(s: Span, byId: Map<string, Span>): number {
  let d = 0;
  for (let p = s.parentSpanId; p !== undefined && d < 64; d++) p = byId.get(p)?.parentSpanId;
  return d;
}

function richness(s: Span): number {
  let n = 0;
  for (const k of Object.keys(s.attributes)) if (k.startsWith("gen_ai.usage.")) n += 10;
  return n + Object.keys(s.attributes).length / 1000;
}

/**
 * Two LLM spans are one call when one is the other's parent (or they share a parent) and their time ranges overlap by
 * at least 80% of the shorter one, with compatible models. The span with token usage (else the outer one) is kept.
 */
function findDuplicateLlmCalls(spans: Span[], byId: Map<string, Span>): Map<string, string> {
  const dups = new Map<string, string>();
  const llm = spans.filter((s) => s.kind === "llm").sort((a, b) => a.startNs - b.startNs);
  const open: Span[] = [];
  for (const s of llm) {
    for (let i = open.length - 1; i >= 0; i--) if (open[i].endNs < s.startNs) open.splice(i, 1);
    for (const o of open) {
      if (dups.has(o.spanId)) continue;
      const scopeS = s.attributes["otel.scope.name"];
      const scopeO = o.attributes["otel.scope.name"];
      const related =
        s.parentSpanId === o.spanId ||
        o.parentSpanId === s.spanId ||
        (s.parentSpanId !== undefined && s.parentSpanId === o.parentSpanId) ||
        (scopeS !== undefined && scopeO !== undefined && scopeS !== scopeO); // two instrumentations, one call
      if (!related || !compatibleModels(modelOf(s), modelOf(o))) continue;
      // The same request, or two requests that happened to overlap? Any recorded difference in what was sent or
      // received says two; siblings of one instrumentation need recorded sameness (two real calls run concurrently
      // look just like one recorded twice, except in their content).
      const sameScope = scopeS === scopeO;
      const same = sameContent(s, o, sameScope);
      if (same === false) continue;
      if (sameScope && s.parentSpanId === o.parentSpanId && same !== true) continue;
      const overlap = Math.min(s.endNs, o.endNs) - Math.max(s.startNs, o.startNs);
      const shorter = Math.min(s.endNs - s.startNs, o.endNs - o.startNs);
      if (shorter <= 0 ? overlap < 0 : overlap < 0.8 * shorter) continue;
      // Same parent but different response ids: two real calls made concurrently, not a double recording.
      const ra = s.attributes["gen_ai.response.id"];
      const rb = o.attributes["gen_ai.response.id"];
      if (ra !== undefined && rb !== undefined && ra !== rb) continue;
      // Keep the recording deeper in the tree (it sits where the agent made the call); the other's attributes merge in.
      const ds = depth(s, byId);
      const dO = depth(o, byId);
      const keep =
        ds > dO
          ? s
          : dO > ds
            ? o
            : richness(s) > richness(o)
              ? s
              : richness(o) > richness(s)
                ? o
                : o.startNs <= s.startNs
                  ? o
                  : s;
      const drop = keep === s ? o : s;
      dups.set(drop.spanId, keep.spanId);
      break;
    }
    if (!dups.has(s.spanId)) open.push(s);
  }
  return dups;
}
