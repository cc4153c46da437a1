// Critical path: walking back from the end of the run, always into the child that finished last; time no child
// covers is the parent's own time — for an agent that is a gap (client work, user think time, or uninstrumented).
// Every piece has an owner (./owner.ts): a gap before a message the user typed is "idle" (nobody was working).
import type { TimeOwner } from "../../api.js";
import type { Span } from "../span.js";
import { emptyByOwner, ownerOf, USER_PROMPT_AT_ATTR } from "./owner.js";
import type { SpanTree } from "./tree.js";

export interface PathSegment {
  /** Absent for gaps of the run itself (before the first / between top-level spans). */
  spanId?: string;
  kind: TimeOwner;
  startNs: number;
  endNs: number;
  /** Gaps only: "client" (agent-side time between spans), "user" (waiting for the user), "uninstrumented". */
  label?: "client" | "user" | "uninstrumented";
}

export interface CriticalPath {
  spanIds: string[];
  durationMs: number;
  byKind: Record<TimeOwner, number>;
  segments: PathSegment[];
  /** Per entry of spanIds: its time on the path (ms, over all its pieces) and the owner of its first piece. */
  spanMs: number[];
  spanOwners: TimeOwner[];
  /** Per entry of spanIds: the span itself (no id lookups afterwards). */
  spanNodes: Span[];
}

const WORK_KINDS = new Set(["llm", "tool", "retriever", "embedding"]);
const MAX_DEPTH = 256;

export function criticalPath(tree: SpanTree): CriticalPath {
  const { roots, spans, childStart, starts, ends } = tree;
  if (!roots.length)
    return {
      spanIds: [],
      durationMs: 0,
      byKind: emptyByOwner(),
      segments: [],
      spanMs: [],
      spanOwners: [],
      spanNodes: [],
    };
  // Spans by position (tree.spans); the trace itself is position spans.length, a virtual root over the roots.
  const ROOT = spans.length;
  const noKids: number[] = [];
  /** Children by position, the one that finished last first (ties: the order they came in). */
  const kidsOf = (p: number): number[] => (childStart[p] === childStart[p + 1] ? noKids : childrenLatestFirst(tree, p)); // leaves: most spans
  let start = Infinity;
  let end = -Infinity;
  for (const r of roots) {
    if (r.startNs < start) start = r.startNs;
    if (r.endNs > end) end = r.endNs;
  }
  const virtualRoot: Span = {
    traceId: "",
    spanId: "\u0000root",
    name: "",
    kind: "agent",
    startNs: start,
    endNs: end,
    status: "unset",
    attributes: {},
  };
  const nodeAt = (p: number) => (p === ROOT ? virtualRoot : spans[p]);

  // Built backwards, each piece merged into the later one it adjoins when both are the same span (or both gaps; the
  // merged gap keeps the earliest piece's span): one object per path segment, not per piece (100k-span traces).
  // Gaps carry a provisional label until they are labelled by what they precede.
  const segments: PathSegment[] = [];
  // The position of each segment's span, -1 for none (parallel to segments, which carry only its id).
  const nodes: number[] = [];
  const add = (node: number, kind: TimeOwner, from: number, to: number, gap: boolean) => {
    const spanId = node === -1 ? undefined : spans[node].spanId;
    const later = segments[segments.length - 1];
    if (
      later &&
      later.startNs === to &&
      (gap
        ? later.label !== undefined
        : later.label === undefined && nodes[nodes.length - 1] === node && later.kind === kind)
    ) {
      later.startNs = from;
      later.spanId = spanId;
      nodes[nodes.length - 1] = node;
    } else {
      if (gap) segments.push({ spanId, kind, startNs: from, endNs: to, label: "client" });
      else segments.push({ spanId, kind, startNs: from, endNs: to });
      nodes.push(node);
    }
  };
  const selfTime = (p: number, from: number, to: number, hasKids: boolean) => {
    if (to <= from) return;
    const node = nodeAt(p);
    // A leaf is work whatever its kind (an agent step with nothing instrumented inside still did something).
    const isWork = WORK_KINDS.has(node.kind) || (!hasKids && p !== ROOT);
    if (isWork) add(p, ownerOf(node), from, to, false);
    else add(p === ROOT ? -1 : p, "gap", from, to, true);
  };
  // Iterative (explicit stack) so a hostile, very deep tree cannot overflow the call stack. One frame per depth in
  // typed arrays: no object per span visited (100k-span traces).
  const frameP = new Int32Array(MAX_DEPTH + 1); // the span's position
  const frameT = new Float64Array(MAX_DEPTH + 1); // time not yet covered is [node start, t)
  const frameI = new Int32Array(MAX_DEPTH + 1); // the next child to look at
  const frameKids: number[][] = new Array<number[]>(MAX_DEPTH + 1);
  frameP[0] = ROOT;
  frameT[0] = end;
  frameKids[0] = kidsOf(ROOT);
  for (let top = 0; top >= 0;) {
    const p = frameP[top];
    const nodeStart = p === ROOT ? start : starts[p];
    const kids = top >= MAX_DEPTH ? noKids : frameKids[top];
    const t = frameT[top];
    let i = frameI[top];
    // Skip children that start at or after t: they ran alongside a later child that already covers that time.
    while (i < kids.length && starts[kids[i]] >= t) i++;
    if (t <= nodeStart || i >= kids.length) {
      selfTime(p, nodeStart, t, kids.length > 0);
      frameKids[top--] = noKids;
      continue;
    }
    const c = kids[i++];
    const childEnd = Math.min(ends[c], t);
    selfTime(p, childEnd, t, true);
    frameT[top] = Math.max(starts[c], nodeStart);
    frameI[top] = i;
    top++;
    frameP[top] = c;
    frameT[top] = childEnd;
    frameI[top] = 0;
    frameKids[top] = top >= MAX_DEPTH ? noKids : kidsOf(c);
  }
  const merged = segments.reverse();
  const mergedNodes = nodes.reverse();
  // Label gaps by what they precede: the time before an LLM call that a new user message triggered is the person
  // not having written it yet (idle); other gaps between spans are the agent's own uninstrumented work.
  let next: PathSegment | undefined;
  let nextNode = -1;
  const firstWork = merged.findIndex((x) => x.label === undefined);
  /** Waits that were the person's only until their message was written: index and time (see USER_PROMPT_AT_ATTR). */
  const promptSplits: { i: number; at: number }[] = [];
  for (let i = merged.length - 1; i >= 0; i--) {
    const s = merged[i];
    if (s.label === undefined) {
      // A compaction between the wait and the call it prepared does not change whose wait it was.
      if (s.kind !== "compaction" || !next) {
        next = s;
        nextNode = mergedNodes[i];
      }
      continue;
    }
    // Before a call the person's message started (even the first: a session opened long before anyone typed).
    if (
      next?.spanId &&
      next.kind === "llm" &&
      nextNode !== -1 &&
      spans[nextNode].attributes["hotpath.user_prompt"] !== undefined
    ) {
      const at = spans[nextNode].attributes[USER_PROMPT_AT_ATTR];
      if (typeof at === "number" && at <= s.startNs)
        s.label = "client"; // written before the wait: all the agent's
      else {
        s.label = "user";
        s.kind = "idle";
        if (typeof at === "number" && at < s.endNs) promptSplits.push({ i, at });
      }
    } else if (!next || firstWork === -1 || i < firstWork) s.label = "uninstrumented";
    else s.label = "client";
  }
  // Latest first (promptSplits is in descending index order), so earlier indices stay where they were.
  for (const { i, at } of promptSplits) {
    const wait = merged[i];
    merged.splice(i + 1, 0, { spanId: wait.spanId, kind: "gap", startNs: at, endNs: wait.endNs, label: "client" });
    mergedNodes.splice(i + 1, 0, mergedNodes[i]);
    wait.endNs = at;
  }
  const byKind = emptyByOwner();
  const spanIds: string[] = [];
  const spanMs: number[] = [];
  const spanOwners: TimeOwner[] = [];
  const spanNodes: Span[] = [];
  // Each span's entry in the lists above, by position (-1: none yet): a span may be on the path in several pieces.
  const entry = new Int32Array(spans.length).fill(-1);
  for (let i = 0; i < merged.length; i++) {
    const s = merged[i];
    const ms = (s.endNs - s.startNs) / 1e6;
    byKind[s.kind] += ms;
    const node = mergedNodes[i];
    if (s.label !== undefined || !s.spanId || node === -1 || node === ROOT) continue;
    const at = entry[node];
    if (at !== -1) spanMs[at] += ms;
    else {
      entry[node] = spanIds.length;
      spanIds.push(s.spanId);
      spanMs.push(ms);
      spanOwners.push(s.kind);
      spanNodes.push(spans[node]);
    }
  }
  const durationMs = round((end - start) / 1e6);
  // Rounded so that the owners still sum to the duration exactly: the rounding residue goes to the largest.
  let largest: TimeOwner = "gap";
  let sum = 0;
  for (const k of Object.keys(byKind) as TimeOwner[]) {
    byKind[k] = round(byKind[k]);
    sum += byKind[k];
    if (byKind[k] > byKind[largest]) largest = k;
  }
  byKind[largest] = round(byKind[largest] + durationMs - sum);
  return { spanIds, durationMs, byKind, segments: merged, spanMs, spanOwners, spanNodes };
}

/**
 * The children of position p (tree.spans.length: the roots), the one that finished last first, ties in the order they
 * came in: what `[…children].sort((a, b) => ends[b] - ends[a])` gives (a stable sort), without a comparator sort when
 * the children come nearly by end already, as they do by start (a sequential agent's steps; a response's calls that
 * started together come by id). With a time that is not finite the comparator's NaN ties decide: the sort runs.
 */
export function childrenLatestFirst(tree: Pick<SpanTree, "childStart" | "childOrder" | "ends">, p: number): number[] {
  const { childStart, childOrder, ends } = tree;
  const from = childStart[p];
  const to = childStart[p + 1];
  let ascending = true;
  let finite = true;
  for (let i = from; i < to && finite; i++) {
    const e = ends[childOrder[i]];
    if (!Number.isFinite(e)) finite = false;
    else if (i > from && e < ends[childOrder[i - 1]]) ascending = false;
  }
  const k: number[] = [];
  if (finite && ascending) {
    // By end already: the list backwards, each run of one end kept in order.
    for (let j = to; j > from;) {
      let i = j - 1;
      while (i > from && ends[childOrder[i - 1]] === ends[childOrder[j - 1]]) i--;
      for (let x = i; x < j; x++) k.push(childOrder[x]);
      j = i;
    }
    return k;
  }
  if (finite) {
    // With finite ends, latest first and then by arrival is a total order (what the stable sort gives): an insertion
    // sort of the list backwards moves each child only as far as it is out of place. Past a budget of moves (children
    // far from end order) the sort below runs instead.
    const at = new Int32Array(to - from); // positions in childOrder
    let budget = 8 * (to - from) + 64;
    for (let j = 0; j < at.length && budget >= 0; j++) {
      const x = to - 1 - j;
      const e = ends[childOrder[x]];
      let i = j;
      // Move left past every child that ends earlier, or at the same time but came later.
      for (; i > 0; i--) {
        const y = at[i - 1];
        const ey = ends[childOrder[y]];
        if (ey > e || (ey === e && y < x)) break;
        at[i] = y;
      }
      at[i] = x;
      budget -= j - i;
    }
    if (budget >= 0) {
      for (let j = 0; j < at.length; j++) k.push(childOrder[at[j]]);
      return k;
    }
  }
  for (let i = from; i < to; i++) k.push(childOrder[i]);
  return k.sort((a, b) => ends[b] - ends[a]);
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
