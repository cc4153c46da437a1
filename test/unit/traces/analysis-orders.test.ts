// The analysis skips sorts and scans when it can tell their outcome beforehand (tree.ts, critical-path.ts,
// parallelism.ts, data-flow.ts). These cases hold the shortcuts to what the full sort or scan gives: ties, equal
// starts, times that are not finite, and groups that reach further back than the data-flow look-back.
import assert from "node:assert/strict";
import { prng } from "../../../daemon/audit/stats.js";
import { argumentValues, isSearchWithHits } from "../../../daemon/traces/analysis/data-flow.js";
import { childrenLatestFirst } from "../../../daemon/traces/analysis/critical-path.js";
import { longestFirst } from "../../../daemon/traces/analysis/hotspots.js";
import { buildTree, criticalPath, findParallelism, findPrefixBreaks } from "../../../daemon/traces/analysis/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { span, toolSpan } from "../../fixtures/spans.js";

/** Spans with unique ids: many share a start (a response's calls), some ends precede starts, some times are odd. */
function randomSpans(seed: number, n: number, odd: boolean): Span[] {
  const rand = prng(seed);
  const spans: Span[] = [];
  let t = 0;
  const sameStart = rand() < 0.2; // one long run of a single start (past the insertion sort's length)
  for (let i = 0; i < n; i++) {
    if (!sameStart && rand() < 0.6) t += Math.floor(rand() * 3);
    const end = t + Math.floor(rand() * 4) - (rand() < 0.05 ? 5 : 0);
    const s = span("tool", t, end, {}, i > 0 && rand() < 0.7 ? spans[Math.floor(rand() * i)].spanId : undefined);
    if (odd && rand() < 0.05) s.startNs = NaN;
    if (odd && rand() < 0.05) s.endNs = rand() < 0.5 ? Infinity : NaN;
    spans.push(s);
  }
  return spans;
}

/** The tree's order as one comparator sort over every span gives it (what buildTree did before it sorted runs). */
function sortedBySort(spans: Span[]): string[] {
  const starts = spans.map((s) => s.startNs);
  const ends = spans.map((s) => (s.endNs < s.startNs ? s.startNs : s.endNs));
  const order = Int32Array.from(spans.keys());
  order.sort((a, b) => starts[a] - starts[b] || ends[a] - ends[b] || a - b);
  return [...order].map((i) => spans[i].spanId);
}

describe("traces/analysis orders: shortcuts agree with the full sort", () => {
  it("the tree's span order: by start, then end, then input order, for any input order and times", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const spans = randomSpans(seed, 1 + (seed % 80), seed % 3 === 0);
      // In start order, as the store gives them (ties by id, not by end), and shuffled.
      const byStart = [...spans].sort((a, b) => a.startNs - b.startNs);
      for (const input of [spans, byStart, [...spans].reverse()]) {
        assert.deepEqual(
          buildTree(input).spans.map((s) => s.spanId),
          sortedBySort(input),
          `seed ${seed}`,
        );
      }
    }
  });

  it("children latest first: what the stable sort by end gives, for children in any order", () => {
    const rand = prng(5);
    for (let round = 0; round < 2000; round++) {
      const n = 1 + Math.floor(rand() * 60);
      const shape = round % 5; // 0 random, 1 by end, 2 nearly by end, 3 few distinct ends, 4 a time not finite
      const ends = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ends[i] =
          shape === 0
            ? Math.floor(rand() * 50)
            : shape === 3
              ? Math.floor(rand() * 3)
              : i * 10 + (shape === 2 && rand() < 0.3 ? Math.floor(rand() * 25) - 12 : 0);
        if (shape === 4 && rand() < 0.1) ends[i] = [NaN, Infinity, -Infinity][Math.floor(rand() * 3)];
      }
      // One parent (position 0) over children 1…n-1 in a shuffled arrival order; position n stands for the trace.
      const childOrder = Int32Array.from({ length: n - 1 }, (_, i) => i + 1);
      if (shape === 0 || shape === 3) childOrder.sort(() => rand() - 0.5);
      const childStart = Int32Array.from([0, ...Array.from({ length: n + 1 }, () => n - 1)]);
      const want = [...childOrder].sort((a, b) => ends[b] - ends[a]);
      assert.deepEqual(childrenLatestFirst({ childStart, childOrder, ends }, 0), want, `round ${round}`);
    }
  });

  it("a hotspot's spans longest first: what the stable sort by time gives (ties, -0, times not finite)", () => {
    const rand = prng(9);
    for (let round = 0; round < 2000; round++) {
      const n = 1 + Math.floor(rand() * 80);
      const few = round % 3 === 0; // many ties
      const times = Array.from({ length: n }, () => (few ? Math.floor(rand() * 4) : rand() * 1000) - (few ? 1 : 0));
      if (round % 7 === 0) times[Math.floor(rand() * n)] = -0;
      if (round % 11 === 0) times[Math.floor(rand() * n)] = [NaN, Infinity, -Infinity][round % 3];
      const want = times.map((_, k) => k).sort((x, y) => times[y] - times[x]);
      assert.deepEqual(longestFirst(times), want, `round ${round}: ${times.join(" ")}`);
    }
  });

  it("critical path: of two children that end together, the walk goes into the one that came first", () => {
    const root = span("agent", 0, 10);
    const a = span("tool", 0, 10, {}, root.spanId);
    const b = span("tool", 5, 10, {}, root.spanId);
    assert.deepEqual(criticalPath(buildTree([root, a, b])).spanIds, [a.spanId]);
    // Children by end take the shortcut; with a NaN end among them the comparator sort runs as before (NaN compares as
    // a tie with every end, so e stays between c and d, and its NaN end cuts the walk short: what main gave).
    const c = span("tool", 2, 4, {}, root.spanId);
    const d = span("tool", 6, 8, {}, root.spanId);
    const e = span("tool", 3, 4, {}, root.spanId);
    e.endNs = NaN;
    assert.deepEqual(criticalPath(buildTree([root, c, d])).spanIds, [c.spanId, d.spanId]);
    assert.deepEqual(criticalPath(buildTree([root, c, e, d])).spanIds, [c.spanId]);
  });

  it("a group ends at a call that uses a result from further back than the data-flow look-back", () => {
    const root = span("agent", 0, 100_000);
    // 24 reads one after another, each of its own file; the 20th reads a file named only in the 2nd's result.
    const calls = Array.from({ length: 24 }, (_, i) =>
      toolSpan(
        1000 * i,
        1000 * i + 900,
        "Read",
        { file_path: i === 19 ? "src/named/by-two.ts" : `src/m${i}/f${i}.ts` },
        i === 1 ? "see src/named/by-two.ts" : `contents ${i}`,
        root.spanId,
      ),
    );
    const p = findParallelism(buildTree([root, ...calls]));
    assert.deepEqual(
      p.groups.map((g) => g.spanIds.length).sort((x, y) => x - y),
      [5, 19],
    );
    const first = p.groups.find((g) => g.spanIds.length === 19)!;
    assert.equal(first.spanIds[0], calls[0].spanId);
    // 18 calls apart: no edge (edges are kept for the 16 calls before each), yet the group was split there.
    assert.deepEqual(p.dependencies, []);
  });
});

// The regular expressions data-flow.ts used before it tested characters by code: argumentValues must find the same.
function cleanByRegex(t: string): string {
  return t.replace(/^[./]*(?=[A-Za-z0-9_~@])/, (m) => (m.startsWith("/") ? "/" : "")).replace(/[.,/-]+$/, "");
}
function hasExtensionByRegex(t: string): boolean {
  const base = t.slice(t.lastIndexOf("/") + 1);
  if (!base.includes(".")) return false;
  return (
    /^[^.]+.*\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(base) ||
    (/^\.[A-Za-z][\w.-]+$/.test(base) && base.length > 4 && base.includes(".", 1))
  );
}
const IGNORED = ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/tmp", "/usr/bin/env", "/bin/sh"];
function isSpecificByRegex(t: string): boolean {
  if (t.length < 3 || IGNORED.includes(t) || t === "/bin/bash" || t === "/bin/zsh") return false;
  if (hasExtensionByRegex(t)) return true;
  if (t.length >= 6 && t.split("/").filter(Boolean).length >= 2) return true;
  if (t.length >= 8 && /[0-9]/.test(t) && /[A-Za-z]/.test(t)) return true;
  if (/^\d{6,}$/.test(t)) return true;
  if (t.length >= 8 && /[a-z][A-Z]/.test(t) && !t.includes("/")) return true;
  if (t.length >= 10 && /^[A-Za-z]+(_[A-Za-z0-9]+){2,}$/.test(t)) return true;
  return false;
}
function argumentValuesByRegex(args: string): string[] {
  const out = new Set<string>();
  for (const m of args.matchAll(/[A-Za-z0-9_.~/@+-]+/g)) {
    const t = cleanByRegex(m[0]);
    if (!isSpecificByRegex(t)) continue;
    out.add(t);
    const slash = t.lastIndexOf("/");
    if (slash !== -1 && hasExtensionByRegex(t)) out.add(t.slice(slash + 1));
  }
  return [...out];
}

describe("traces/analysis data flow: values by character tests as by the regular expressions", () => {
  it("argumentValues on generated arguments (dots, slashes, extensions, dot files, ids)", () => {
    const rand = prng(17);
    const parts = ["a", "Z", "9", ".", "..", "/", "-", ",", "_", "~", "@", "+", "ts", "json", "tar", "x7", "é", " "];
    const parts2 = ["src", "file", ".eslintrc", "README", "abc123def", "fooBar", "A_B_C_D", "1234567", "\n", '"'];
    for (let i = 0; i < 20_000; i++) {
      let args = "";
      const n = 1 + Math.floor(rand() * 12);
      for (let k = 0; k < n; k++)
        args += rand() < 0.7 ? parts[Math.floor(rand() * parts.length)] : parts2[Math.floor(rand() * parts2.length)];
      assert.deepEqual([...argumentValues(args)], argumentValuesByRegex(args), JSON.stringify(args));
    }
  });

  it("a search's result is empty when trim() leaves nothing, whatever the white space", () => {
    for (const result of ["", " ", "\n\t", "\u00a0\ufeff\u2028\u3000", "\u180e", "\u200b", " x ", "\u2029y"]) {
      const hit = isSearchWithHits("Grep", "{}", result);
      assert.equal(hit, !!result.trim(), JSON.stringify(result));
    }
  });
  it("prefix breaks: calls grouped by conversation, parent and model as one keyed map groups them", () => {
    const rand = prng(13);
    for (let round = 0; round < 300; round++) {
      // Runs of one conversation (the shortcut) and switches between a few, with or without ids, parents and models.
      const spans: Span[] = [];
      let conv = 0;
      let parent = 0;
      let model = 0;
      let prompt = "system";
      for (let i = 0; i < 1 + Math.floor(rand() * 40); i++) {
        if (rand() < 0.3) conv = Math.floor(rand() * 3);
        if (rand() < 0.2) parent = Math.floor(rand() * 3);
        if (rand() < 0.2) model = Math.floor(rand() * 3);
        prompt = rand() < 0.2 ? `changed ${i} ${prompt}` : `${prompt} turn ${i} ${"x".repeat(20)}`;
        const a: Record<string, string> = { "gen_ai.input.messages": prompt };
        if (conv) a["gen_ai.conversation.id"] = conv === 1 ? "c" : "c\u0000p"; // a separator inside an id
        if (model) a["gen_ai.request.model"] = `m${model}`;
        spans.push(span("llm", i, i + 0.5, a, parent ? (parent === 1 ? "p" : "\u0000p") : undefined));
      }
      // Each group alone, by the key the analysis used before the shortcut: breaks never cross groups.
      const groups = new Map<string, Span[]>();
      for (const s of spans) {
        const c = String(s.attributes["gen_ai.conversation.id"] ?? s.parentSpanId ?? "");
        const key = `${c}\u0000${s.parentSpanId ?? ""}\u0000${String(s.attributes["gen_ai.request.model"] ?? "")}`;
        groups.set(key, [...(groups.get(key) ?? []), s]);
      }
      const want = [...groups.values()]
        .flatMap((g) => findPrefixBreaks(g))
        .sort((x, y) => (x.spanId < y.spanId ? -1 : 1));
      assert.deepEqual(findPrefixBreaks(spans), want, `round ${round}`);
    }
  });
});
