// Critical path: walking back from the end of the run, always into the child that finished last; time no child
// covers is the parent's own time — for an agent that is a gap (client work, user think time, or uninstrumented).
import type { Span } from "../span.js";
import type { SpanTree } from "./tree.js";

export interface PathSegment {
  /** Absent for gaps of the run itself (before the first / between top-level spans). */
  spanId?: string;
  kind: string;
  startNs: number;
  endNs: number;
  /** Gaps only: "client" (agent-side time between spans), "user" (waiting for the user), "uninstrumented". */
  label?: "client" | "user" | "uninstrumented";
}

export interface CriticalPath {
  spanIds: string[];
  durationMs: number;
  byKind: Record<string, number>;
  segments: PathSegment[];
}

const WORK_KINDS = new Set(["llm", "tool", "retriever", "embedding"]);
const MAX_DEPTH = 256;

export function criticalPath(tree: SpanTree): CriticalPath {
  const { roots, children } = tree;
  if (!roots.length) return { spanIds: [], durationMs: 0, byKind: {}, segments: [] };
  const sortedKids = new Map<string, Span[]>();
  const noKids: Span[] = [];
  const kidsOf = (id: string): Span[] => {
    let k = sortedKids.get(id);
    if (!k) {
      const unsorted = children.get(id);
      if (!unsorted) return noKids; // leaves: most spans
      k = [...unsorted].sort((a, b) => b.endNs - a.endNs);
      sortedKids.set(id, k);
    }
    return k;
  };
  const start = Math.min(...roots.map((r) => r.startNs));
  const end = Math.max(...roots.map((r) => r.endNs));
  const virtualRoot: Span = { traceId: "", spanId: "\u0000root", name: "", kind: "agent", startNs: start, endNs: end, status: "unset", attributes: {} };
  sortedKids.set(virtualRoot.spanId, [...roots].sort((a, b) => b.endNs - a.endNs));

  // Built backwards, each piece merged into the later one it adjoins when both are the same span (or both gaps; the
  // merged gap keeps the earliest piece's span): one object per path segment, not per piece (100k-span traces).
  const segments: PathSegment[] = [];
  const add = (spanId: string | undefined, kind: string, from: number, to: number) => {
    const later = segments[segments.length - 1];
    if (later && later.startNs === to && later.kind === kind && (kind === "gap" || later.spanId === spanId)) {
      later.startNs = from;
      later.spanId = spanId;
    } else segments.push({ spanId, kind, startNs: from, endNs: to });
  };
  const selfTime = (node: Span, from: number, to: number, hasKids: boolean) => {
    if (to <= from) return;
    // A leaf is work whatever its kind (an agent step with nothing instrumented inside still did something).
    const isWork = WORK_KINDS.has(node.kind) || (!hasKids && node !== virtualRoot);
    if (isWork) add(node.spanId, node.kind, from, to);
    else add(node === virtualRoot ? undefined : node.spanId, "gap", from, to);
  };
  // Iterative (explicit stack) so a hostile, very deep tree cannot overflow the call stack.
  interface Frame {
    node: Span;
    t: number;
    i: number;
    depth: number;
    kids: Span[];
  }
  const stack: Frame[] = [{ node: virtualRoot, t: end, i: 0, depth: 0, kids: kidsOf(virtualRoot.spanId) }];
  while (stack.length) {
    const f = stack[stack.length - 1];
    const kids = f.depth >= MAX_DEPTH ? [] : f.kids;
    // Skip children that start at or after t: they ran alongside a later child that already covers that time.
    while (f.i < kids.length && kids[f.i].startNs >= f.t) f.i++;
    if (f.t <= f.node.startNs || f.i >= kids.length) {
      selfTime(f.node, f.node.startNs, f.t, kids.length > 0);
      stack.pop();
      continue;
    }
    const child = kids[f.i++];
    const childEnd = Math.min(child.endNs, f.t);
    selfTime(f.node, childEnd, f.t, true);
    f.t = Math.max(child.startNs, f.node.startNs);
    stack.push({ node: child, t: childEnd, i: 0, depth: f.depth + 1, kids: kidsOf(child.spanId) });
  }
  const merged = segments.reverse();
  // Label gaps by what they precede.
  const nextWork: (PathSegment | undefined)[] = new Array(merged.length);
  for (let i = merged.length - 1, n: PathSegment | undefined; i >= 0; i--) {
    nextWork[i] = n;
    if (merged[i].kind !== "gap") n = merged[i];
  }
  let prev: PathSegment | undefined;
  merged.forEach((s, i) => {
    if (s.kind !== "gap") {
      prev = s;
      return;
    }
    const next = nextWork[i];
    if (!next || !prev) s.label = "uninstrumented";
    else if (next.spanId && tree.byId.get(next.spanId)?.attributes["hotpath.user_prompt"] !== undefined && next.kind === "llm") s.label = "user";
    else s.label = "client";
  });
  const byKind: Record<string, number> = {};
  const spanIds: string[] = [];
  const seen = new Set<string>();
  for (const s of merged) {
    byKind[s.kind] = (byKind[s.kind] ?? 0) + (s.endNs - s.startNs) / 1e6;
    if (s.kind !== "gap" && s.spanId && !seen.has(s.spanId)) {
      seen.add(s.spanId);
      spanIds.push(s.spanId);
    }
  }
  for (const k of Object.keys(byKind)) byKind[k] = round(byKind[k]);
  return { spanIds, durationMs: round((end - start) / 1e6), byKind, segments: merged };
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
