// The span tree analysis walks: unique ids, orphans (parent not in the trace) as roots, parent cycles broken, and the
// same LLM call recorded twice by two instrumentations (e.g. LangChain + OpenAI instrumentor) folded into one.
import type { Span } from "../span.js";
import { SpanIndex } from "./span-index.js";

export interface SpanTree {
  /** By start, then end: a span's position is its index here. */
  spans: Span[];
  /** Per position: the parent's position, or -1 for a root. */
  parent: Int32Array;
  /**
   * Children by position, in the order the spans came: those of position p are childOrder[childStart[p] …
   * childStart[p + 1]); position spans.length stands for the trace itself (its children are the roots).
   */
  childStart: Int32Array;
  childOrder: Int32Array;
  /** Per position: the span's startNs and endNs (typed arrays: sorts and walks without a property load per span). */
  starts: Float64Array;
  ends: Float64Array;
  roots: Span[];
  /** The span with this id (after duplicates were folded), or undefined. */
  span(id: string | undefined): Span | undefined;
  /** The spans by id: built on first use (the analysis itself looks spans up by position). */
  readonly byId: Map<string, Span>;
  /** Spans dropped as duplicates → the span kept in their place. */
  duplicates: Map<string, string>;
  /** Spans whose parent link was ignored because it closed a cycle. */
  cycleBreaks: string[];
}

// buildTree runs one function per pass over the spans: an import analyses in a fresh worker, where V8 compiles each
// hot loop while it runs. Written as one function, buildTree was compiled anew at each later loop (no type feedback
// there yet), nine times per 100k-span trace, and ran interpreted in between.
export function buildTree(input: Span[]): SpanTree {
  // Spans with one id are one span: at the first one's place, as the last recording has it. Every id lookup below goes
  // through one index of the input's ids (positions, no id-keyed maps: 100k-span traces).
  const ids = new SpanIndex(spanIds(input));
  const uniqueAt = new Int32Array(input.length);
  const unique = uniqueSpans(input, ids, uniqueAt);
  const uniqueOf = (id: string | undefined): number => {
    const at = ids.get(id);
    return at === -1 ? -1 : uniqueAt[at];
  };
  const duplicates = findDuplicateLlmCalls(unique, (id) => unique[uniqueOf(id)] as Span | undefined);
  // Spans by position, parents as positions (-1: none). Without duplicates (the usual case) every unique span is kept.
  let list = unique;
  let listAt: Int32Array | undefined; // unique position → list position (-1: dropped); undefined: the same
  if (duplicates.size) {
    list = [];
    listAt = new Int32Array(unique.length).fill(-1);
    for (let u = 0; u < unique.length; u++)
      if (!duplicates.has(unique[u].spanId)) {
        listAt[u] = list.length;
        list.push(unique[u]);
      }
    // The kept span takes what only the other recording had (token usage, prompts).
    for (const [drop, keep] of duplicates) {
      const u = uniqueOf(keep);
      const k = u === -1 ? -1 : listAt[u];
      const d = unique[uniqueOf(drop)];
      if (k !== -1 && d) list[k] = { ...list[k], attributes: { ...d.attributes, ...list[k].attributes } };
    }
  }
  const positionOf = (id: string | undefined): number => {
    const u = uniqueOf(id);
    return u === -1 || !listAt ? u : listAt[u];
  };
  const n = list.length;
  const parent = duplicates.size
    ? parentsWithDuplicates(list, unique, duplicates, uniqueOf, positionOf)
    : parents(list, ids, uniqueAt, listAt);
  const cycleBreaks = breakCycles(parent, list);
  const roots: Span[] = [];
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  linkParents(list, parent, roots, starts, ends);
  const order = startOrder(starts, ends);
  const rank = new Int32Array(n);
  const spans = new Array<Span>(n);
  const sortedStarts = new Float64Array(n);
  const sortedEnds = new Float64Array(n);
  inOrder(order, list, starts, ends, rank, spans, sortedStarts, sortedEnds);
  const sortedParent = new Int32Array(n);
  const childStart = new Int32Array(n + 2);
  const childOrder = new Int32Array(n);
  children(order, parent, rank, sortedParent, childStart, childOrder);
  const span = (id: string | undefined): Span | undefined => {
    const i = positionOf(id);
    return i === -1 ? undefined : list[i];
  };
  let byId: Map<string, Span> | undefined;
  return {
    spans,
    parent: sortedParent,
    childStart,
    childOrder,
    starts: sortedStarts,
    ends: sortedEnds,
    roots,
    span,
    get byId() {
      return (byId ??= new Map(list.map((s) => [s.spanId, s])));
    },
    duplicates,
    cycleBreaks,
  };
}

function spanIds(input: Span[]): string[] {
  const ids = new Array<string>(input.length);
  for (let i = 0; i < input.length; i++) ids[i] = input[i].spanId;
  return ids;
}

/** The input with each id once (at its first place, as its last recording has it); uniqueAt: input → unique position. */
function uniqueSpans(input: Span[], ids: SpanIndex, uniqueAt: Int32Array): Span[] {
  const unique: Span[] = [];
  for (let i = 0; i < input.length; i++) {
    const s = input[i];
    // Bad clocks: a span that ends before it starts is treated as instantaneous.
    const kept = s.endNs < s.startNs ? { ...s, endNs: s.startNs } : s;
    const first = ids.repeated ? ids.get(s.spanId) : i; // unique ids: each is its own first
    if (first === i) {
      uniqueAt[i] = unique.length;
      unique.push(kept);
    } else unique[uniqueAt[first]] = kept;
  }
  return unique;
}

/** Per position, the parent's position (-1: none) when no span was folded into another (list is the unique spans). */
function parents(list: Span[], ids: SpanIndex, uniqueAt: Int32Array, listAt: Int32Array | undefined): Int32Array {
  const n = list.length;
  const parent = new Int32Array(n).fill(-1);
  // Siblings come together and most spans share a few parents (an agent's steps): the last parent looked up is
  // remembered, which spares a probe of the id index (a cache miss or three on 100k spans).
  let lastParent: string | undefined;
  let lastAt = -1;
  for (let i = 0; i < n; i++) {
    const s = list[i];
    let p = s.parentSpanId;
    if (p === s.spanId) {
      const at = ids.get(p);
      p = at === -1 ? undefined : list[uniqueAt[at]]?.parentSpanId;
    }
    if (p !== undefined && p !== s.spanId) {
      if (p !== lastParent) {
        const at = ids.get((lastParent = p));
        const u = at === -1 ? -1 : uniqueAt[at];
        lastAt = u === -1 || !listAt ? u : listAt[u];
      }
      parent[i] = lastAt;
    }
  }
  return parent;
}

/** parents, where some spans were folded into others: a link to a folded span goes to the span kept in its place. */
function parentsWithDuplicates(
  list: Span[],
  unique: Span[],
  duplicates: Map<string, string>,
  uniqueOf: (id: string | undefined) => number,
  positionOf: (id: string | undefined) => number,
): Int32Array {
  const resolve = (id: string | undefined): string | undefined => {
    let cur = id;
    for (let i = 0; cur !== undefined && duplicates.has(cur) && i < 16; i++) cur = duplicates.get(cur);
    return cur;
  };
  const n = list.length;
  const parent = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = list[i];
    let p = resolve(s.parentSpanId);
    if (p === s.spanId) p = resolve(unique[uniqueOf(s.parentSpanId)]?.parentSpanId);
    if (p !== undefined && p !== s.spanId) parent[i] = positionOf(p);
  }
  return parent;
}

/** Break cycles: walk up from each span; a walk that meets its own path cuts the link where it closed. */
function breakCycles(parent: Int32Array, list: Span[]): string[] {
  const n = parent.length;
  const state = new Uint8Array(n); // 1 on the current path, 2 done
  const cycleBreaks: string[] = [];
  const path: number[] = [];
  for (let start = 0; start < n; start++) {
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
  return cycleBreaks;
}

/** Each span's parentSpanId as the tree has it (a copy where that differs), the roots, and the times by position. */
function linkParents(list: Span[], parent: Int32Array, roots: Span[], starts: Float64Array, ends: Float64Array): void {
  for (let i = 0; i < list.length; i++) {
    const parentSpanId = parent[i] === -1 ? undefined : list[parent[i]].spanId;
    if (parentSpanId !== list[i].parentSpanId) list[i] = { ...list[i], parentSpanId };
    if (parent[i] === -1) roots.push(list[i]);
    starts[i] = list[i].startNs;
    ends[i] = list[i].endNs;
  }
}

/** Positions sorted by start, then end; ties keep the order the spans came in. */
function startOrder(starts: Float64Array, ends: Float64Array): Int32Array {
  const n = starts.length;
  const order = new Int32Array(n);
  const byStartThenEnd = (a: number, b: number) => starts[a] - starts[b] || ends[a] - ends[b] || a - b;
  let inOrder = true;
  let startsInOrder = true;
  let finite = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (!Number.isFinite(starts[i]) || !Number.isFinite(ends[i])) finite = false;
    if (i > 0 && inOrder && byStartThenEnd(i - 1, i) > 0) inOrder = false;
    if (i > 0 && starts[i - 1] > starts[i]) startsInOrder = false;
  }
  // Spans mostly come sorted (the store's order is by start): the sort, a comparator call per pair, is then skipped.
  // The store's ties (same start) are by id, not by end: then only each run of one start is sorted. The comparator is
  // a total order when every time is finite (NaN and Infinity − Infinity compare as ties), so both sorts agree.
  if (!inOrder && finite && startsInOrder) {
    for (let i = 0; i < n;) {
      let j = i + 1;
      while (j < n && starts[j] === starts[i]) j++;
      if (j - i > 16) order.subarray(i, j).sort(byStartThenEnd);
      else
        for (let k = i + 1; k < j; k++) {
          // Insertion sort: runs of one start are a few spans (a response's tool calls).
          const x = order[k];
          let at = k;
          for (; at > i && byStartThenEnd(order[at - 1], x) > 0; at--) order[at] = order[at - 1];
          order[at] = x;
        }
      i = j;
    }
  } else if (!inOrder) order.sort(byStartThenEnd);
  return order;
}

/** The spans and their times in the tree's order; rank: list position → tree position. */
function inOrder(
  order: Int32Array,
  list: Span[],
  starts: Float64Array,
  ends: Float64Array,
  rank: Int32Array,
  spans: Span[],
  sortedStarts: Float64Array,
  sortedEnds: Float64Array,
): void {
  for (let k = 0; k < order.length; k++) {
    rank[order[k]] = k;
    spans[k] = list[order[k]];
    sortedStarts[k] = starts[order[k]];
    sortedEnds[k] = ends[order[k]];
  }
}

/** Parents and children by tree position (see SpanTree). */
function children(
  order: Int32Array,
  parent: Int32Array,
  rank: Int32Array,
  sortedParent: Int32Array,
  childStart: Int32Array,
  childOrder: Int32Array,
): void {
  const n = order.length;
  for (let k = 0; k < n; k++) {
    const p = parent[order[k]];
    sortedParent[k] = p === -1 ? -1 : rank[p];
    childStart[(p === -1 ? n : rank[p]) + 1]++;
  }
  for (let k = 0; k <= n; k++) childStart[k + 1] += childStart[k];
  const fill = childStart.slice(0, n + 1);
  for (let i = 0; i < n; i++) childOrder[fill[parent[i] === -1 ? n : rank[parent[i]]]++] = rank[i];
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

function depth(s: Span, byId: (id: string) => Span | undefined): number {
  let d = 0;
  for (let p = s.parentSpanId; p !== undefined && d < 64; d++) p = byId(p)?.parentSpanId;
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
function findDuplicateLlmCalls(spans: Span[], byId: (id: string) => Span | undefined): Map<string, string> {
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
