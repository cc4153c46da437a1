// storedForm (the spans of a new trace as they will read back) and the span tree's order, on generated span lists we
// did not design the fast paths for: repeated ids, nulls, fractional and non-finite times, equal starts, long text,
// values JSON cannot hold, sorted and shuffled input. Each is compared with the algorithm before the fast paths
// (every span copied, ids folded through a Map, always sorted) — field by field, and by the analysis of the result.
import assert from "node:assert/strict";
import { prng } from "../../../daemon/audit/stats.js";
import { analyzeTrace, buildTree } from "../../../daemon/traces/analysis/index.js";
import type { Attributes, Span } from "../../../daemon/traces/span.js";
import { storedForm } from "../../../daemon/traces/store.js";

const FIELDS = [
  "traceId",
  "spanId",
  "parentSpanId",
  "name",
  "kind",
  "startNs",
  "endNs",
  "status",
  "statusMessage",
  "requestId",
  "attributes",
] as const;

function byStartThenId(a: Span, b: Span): number {
  return a.startNs - b.startNs || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
}

/** storedForm as it was before the fast path (store.ts at 07bbbbd), the limit's cut and JSON's numbers included. */
function referenceStoredForm(spans: Span[], max: number): Span[] {
  // capAttributes and jsonSafe as they were (-0 passes: `0 !== -0` is false).
  const jsonNumber = (v: unknown) =>
    typeof v === "number" ? (Number.isFinite(v) ? (v === 0 ? 0 : v) : null) : v === undefined ? null : v;
  const attributesOf = (attrs: Attributes): Attributes => {
    let capped: Attributes | undefined;
    for (const k in attrs) {
      const v = attrs[k];
      if (typeof v === "string" && v.length > max) {
        capped ??= { ...attrs };
        capped[k] = `${v.slice(0, max)}…[truncated ${v.length - max} chars]`;
      }
    }
    const cut = capped ?? attrs;
    let out: Attributes | undefined;
    for (const k in cut) {
      const v = cut[k] as unknown;
      let safe: unknown = v;
      if (v === undefined) {
        out ??= { ...cut };
        delete out[k];
        continue;
      }
      if (typeof v === "number") safe = jsonNumber(v);
      else if (Array.isArray(v) && v.some((x) => jsonNumber(x) !== x)) safe = v.map(jsonNumber);
      if (safe !== v) {
        out ??= { ...cut };
        out[k] = safe as Attributes[string];
      }
    }
    return out ?? cut;
  };
  const byId = new Map<string, Span>();
  for (const s of spans) {
    const earlier = byId.get(s.spanId);
    if (earlier) byId.delete(s.spanId);
    byId.set(s.spanId, {
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId ?? undefined,
      name: s.name,
      kind: s.kind,
      startNs: Math.round(s.startNs),
      endNs: Math.round(s.endNs),
      status: s.status,
      statusMessage: s.statusMessage ?? undefined,
      requestId: s.requestId ?? earlier?.requestId ?? undefined,
      attributes: attributesOf(s.attributes),
    });
  }
  return [...byId.values()].sort(byStartThenId);
}

/** A span list of `n` spans: a random tree (parents earlier in creation order), with the odd cases mixed in. */
function generated(seed: number, n: number): Span[] {
  const rand = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const odd = rand() < 0.5; // half the lists are clean: the fast path's case
  const spans: Span[] = [];
  const base = 1.7e18;
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? undefined : spans[Math.floor(rand() * i)];
    // Equal starts are common (a batch issued at once): a few distinct start times only, in some lists.
    const start = base + (rand() < 0.3 ? Math.floor(rand() * 4) * 1e6 : Math.floor(rand() * 1e9) * 1e3);
    const attributes: Record<string, unknown> = { "gen_ai.tool.name": pick(["Read", "Grep", "Bash", "Edit"]) };
    if (rand() < 0.5) attributes["gen_ai.tool.call.arguments"] = JSON.stringify({ path: `src/f${i % 17}.ts` });
    if (rand() < 0.5) attributes["gen_ai.tool.call.result"] = `src/f${(i * 7) % 17}.ts:1: x`;
    if (odd && rand() < 0.1) attributes.long = "y".repeat(50 + Math.floor(rand() * 100));
    if (odd && rand() < 0.1) attributes.n = pick([-0, NaN, Infinity, 1.5, [1, NaN], [-0, 2], undefined]);
    const s: Record<string, unknown> = {
      traceId: "ab".repeat(16),
      spanId: odd && rand() < 0.05 && i > 0 ? spans[Math.floor(rand() * i)].spanId : `s${i.toString(16)}`,
      parentSpanId: parent?.spanId,
      name: pick(["execute_tool Read", "chat", "agent", "execute_tool Bash"]),
      kind: pick(["tool", "llm", "agent", "chain"]),
      startNs: odd && rand() < 0.1 ? start + 0.4 : start,
      endNs: start + Math.floor(rand() * 5e8) * (odd && rand() < 0.05 ? -1 : 1),
      status: pick(["ok", "error", "unset"]),
      attributes,
    };
    if (odd && rand() < 0.1) s.parentSpanId = null;
    if (odd && rand() < 0.1) s.statusMessage = rand() < 0.5 ? null : "failed";
    if (odd && rand() < 0.1) s.requestId = rand() < 0.5 ? null : `r${i}`;
    spans.push(s as unknown as Span);
  }
  // Sorted by start (as most importers give spans), or shuffled.
  if (rand() < 0.5) spans.sort((a, b) => a.startNs - b.startNs);
  else
    for (let i = spans.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [spans[i], spans[j]] = [spans[j], spans[i]];
    }
  return spans;
}

describe("traces: storedForm and the span tree's order on generated spans", () => {
  it("storedForm gives what the algorithm before its fast path gave: same spans, fields and analysis", () => {
    let reused = 0;
    let copied = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const spans = generated(seed, 1 + (seed % 7 === 0 ? 3000 : seed * 3));
      const max = 120;
      const expected = referenceStoredForm(spans, max);
      const got = storedForm(spans, max);
      assert.equal(got.length, expected.length, `seed ${seed}`);
      const given = new Set(spans);
      for (let i = 0; i < got.length; i++) {
        for (const f of FIELDS) assert.deepEqual(got[i][f], expected[i][f], `seed ${seed} span ${i} ${f}`);
        if (given.has(got[i])) reused++;
        else copied++;
      }
      assert.equal(JSON.stringify(analyzeTrace(got)), JSON.stringify(analyzeTrace(expected)), `seed ${seed}`);
      // Repeated ids, reversed times: the tree's typed times are those of the spans it kept, by position.
      const tree = buildTree(got);
      assert.deepEqual(
        [...tree.ends],
        tree.spans.map((s) => s.endNs),
        `seed ${seed} ends`,
      );
      assert.deepEqual(
        [...tree.starts],
        tree.spans.map((s) => s.startNs),
        `seed ${seed} starts`,
      );
    }
    // Both paths ran: spans already in stored form are passed through, the others copied.
    assert.ok(reused > 1000 && copied > 1000, `reused ${reused}, copied ${copied}`);
  });

  it("the input is left as it was", () => {
    const spans = generated(5, 500);
    const before = JSON.stringify(spans);
    storedForm(spans, 50);
    assert.equal(JSON.stringify(spans), before);
  });

  it("the tree orders spans by start, then end, then input order — whether or not the input came sorted", () => {
    for (let seed = 1; seed <= 60; seed++) {
      // Unique ids and no reversed times: the tree keeps every span, so its order is the input's, sorted.
      const spans = generated(seed, 200 + seed * 10).map((s, i) => ({
        ...s,
        spanId: `u${i}`,
        parentSpanId: undefined,
        endNs: Math.max(s.startNs, s.endNs),
      }));
      const expected = spans
        .map((s, i) => ({ s, i }))
        .sort((a, b) => a.s.startNs - b.s.startNs || a.s.endNs - b.s.endNs || a.i - b.i)
        .map((x) => x.s.spanId);
      const tree = buildTree(spans);
      assert.deepEqual(
        tree.spans.map((s) => s.spanId),
        expected,
        `seed ${seed}`,
      );
      // The typed copies of the times, by position.
      assert.deepEqual(
        [...tree.starts],
        tree.spans.map((s) => s.startNs),
        `seed ${seed} starts`,
      );
      assert.deepEqual(
        [...tree.ends],
        tree.spans.map((s) => s.endNs),
        `seed ${seed} ends`,
      );
      // Already sorted input (the sort skipped) gives the same order.
      const sorted = expected.map((id) => spans.find((s) => s.spanId === id)!);
      assert.deepEqual(
        buildTree(sorted).spans.map((s) => s.spanId),
        expected,
        `seed ${seed} sorted`,
      );
    }
  });
});
