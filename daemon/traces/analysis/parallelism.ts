// Tool calls that ran one after another but could have run together: read-only calls of one agent whose arguments
// use no value from the results of the calls before them. Calls that already overlapped (a parallel batch) are left
// out, and every writer, subagent or unknown command closes a group. Also: the LLM round-trips such a group cost.
import type { ParallelGroup } from "../../api.js";
import type { Span } from "../span.js";
import { round } from "./critical-path.js";
import { argumentValues, dataDependency, DataFlowWindow, isSearchWithHits } from "./data-flow.js";
import { ownerOf, TIME_OWNER_ATTR } from "./owner.js";
import { isShellTool, toolEffect } from "./tool-effects.js";
import type { SpanTree } from "./tree.js";

export interface DataFlowEdge {
  fromSpanId: string;
  toSpanId: string;
  /** The value of the earlier result the later call's arguments use. */
  value: string;
}

export interface ParallelismResult {
  groups: ParallelGroup[];
  mergeableLlmCalls: { spanIds: string[]; reason: string }[];
  dependencies: DataFlowEdge[];
  /** Independent groups only. */
  projectedSavingMs: number;
  /** Speculative groups (follow-ups and retries). */
  speculativeSavingMs: number;
}

/** How many earlier calls of the same agent a call is checked against for data flow. */
const LOOKBACK = 16;
/** A group that would save less than this is no finding. */
const MIN_SAVING_MS = 1;
/** Wider groups are split: no agent issues more calls at once, and it bounds the pairwise checks. */
const MAX_GROUP = 32;

class Call {
  /** isSearchWithHits, asked only when a later call names a file this call searched (-1: not asked yet). */
  private hit = -1;
  constructor(
    readonly span: Span,
    readonly name: string,
    private readonly argsText: string,
    readonly args: Set<string>,
    /** False when no arguments were recorded at all (not the same as a call that takes none: "{}"). */
    readonly argsKnown: boolean,
    /** False when the result was not recorded: no data dependence on it can be ruled out. */
    readonly resultKnown: boolean,
    readonly resultText: string,
    /** Whether it only reads (false for a call that overlaps another: it is never asked). */
    readonly readOnly: boolean,
    readonly overlaps: boolean,
    readonly issuer: string | undefined,
    readonly callId: string,
    /** Position among its agent's calls. */
    readonly index: number,
  ) {}

  get searchHit(): boolean {
    if (this.hit === -1) this.hit = isSearchWithHits(this.name, this.argsText, this.resultText) ? 1 : 0;
    return this.hit === 1;
  }
}

const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));

// Each loop below is a function of its own and per-trace state lives in classes, not closures: an import analyses in
// a fresh worker, where V8 compiles hot loops while they run (on-stack replacement). As one function with a closure
// per helper, findParallelism was thrown out and compiled again at each later loop (no type feedback there yet) and
// for each new set of closures: 4–6 compiles of the whole function per 100k-span trace, tens of ms each.
export function findParallelism(tree: SpanTree): ParallelismResult {
  const scan = new ParallelismScan(tree);
  for (const calls of callsByAgent(tree).values()) scan.agentCalls(calls);
  const { groups } = scan;
  const saving = (c: ParallelGroup["confidence"]) =>
    round(groups.filter((g) => g.confidence === c).reduce((n, g) => n + (g.recordedMs - g.projectedMs), 0));
  groups.sort((a, b) => b.recordedMs - b.projectedMs - (a.recordedMs - a.projectedMs));
  return {
    groups,
    mergeableLlmCalls: scan.mergeable,
    dependencies: scan.dependencies,
    projectedSavingMs: saving("independent"),
    speculativeSavingMs: saving("speculative"),
  };
}

/** Calls by the position of the agent span that made them (-1: the trace's top level), in the tree's order. */
function callsByAgent(tree: SpanTree): Map<number, Span[]> {
  const threads = new Map<number, Span[]>();
  const { spans, parent } = tree;
  for (let p = 0; p < spans.length; p++) {
    const s = spans[p];
    // A person's or a compaction's time between calls is a barrier too: nothing is issued across it.
    if (s.kind !== "tool" && (s.attributes[TIME_OWNER_ATTR] === undefined || !isBarrierOwner(s))) continue;
    const key = parent[p];
    const list = threads.get(key);
    if (list) list.push(s);
    else threads.set(key, [s]);
  }
  return threads;
}

/** What the scan of every agent's calls shares: the findings, and what it looks up or works out once per trace. */
class ParallelismScan {
  readonly groups: ParallelGroup[] = [];
  readonly mergeable: ParallelismResult["mergeableLlmCalls"] = [];
  readonly dependencies: DataFlowEdge[] = [];
  // Sessions run the same commands again and again: a shell call's effect by its arguments' text (for a shell tool
  // toolEffect reads nothing else), another tool's by its name (toolEffect reads only that).
  private readonly shellReadOnly = new Map<string, boolean>();
  private readonly toolReadOnly = new Map<string, boolean>();
  // Built on first use: importers that link each call to its response (hotpath.llm_span_id) and traces without
  // parallel groups need neither.
  private llmByEnd?: Span[];
  private userPromptStarts?: number[];
  /**
   * The results a call is checked against: one for every agent (a window 128 KB large), as each agent's calls only
   * look back at its own calls, which overwrite the slots they look at.
   */
  readonly window = new DataFlowWindow(MAX_GROUP);

  constructor(readonly tree: SpanTree) {}

  llmSpansByEnd(): Span[] {
    return (this.llmByEnd ??= this.tree.spans.filter((s) => s.kind === "llm").sort((a, b) => a.endNs - b.endNs));
  }

  userPromptStartsSorted(): number[] {
    return (this.userPromptStarts ??= this.llmSpansByEnd()
      .filter((s) => s.attributes["hotpath.user_prompt"] !== undefined)
      .map((s) => s.startNs)
      .sort((a, b) => a - b));
  }

  readOnlyOf(name: string, argsText: string, inferred: boolean): boolean {
    if (inferred) return toolEffect(name, argsText, inferred).readOnly;
    const shell = isShellTool(name);
    const known = shell ? this.shellReadOnly : this.toolReadOnly;
    const key = shell ? argsText : name;
    let yes = known.get(key);
    if (yes === undefined) known.set(key, (yes = toolEffect(name, argsText, false).readOnly));
    return yes;
  }

  /** One agent's calls (and barriers), in the tree's order. */
  agentCalls(spans: Span[]): void {
    sortByStartThenEnd(spans);
    const overlaps = overlapping(spans);
    // Each call's name, issuer and id first (strings only): inferring a missing id looks at every call's id. The calls
    // themselves are made one at a time below and dropped once no later call looks back at them: 100k calls kept
    // alive together survived young-generation collections, which copied each of them twice.
    const names = new Array<string>(spans.length);
    const issuers = new Array<string | undefined>(spans.length);
    const callIds = new Array<string>(spans.length);
    callFacts(spans, names, issuers, callIds, this);
    inferCallIds(names, issuers, callIds, this.tree);
    new AgentScan(this, spans, overlaps, names, issuers, callIds).run();
  }
}

/**
 * Taken in the tree's order (by start, then end), so already sorted but for odd times (NaN): the sort, a comparator
 * call per pair, runs only when some neighbour is out of order.
 */
function sortByStartThenEnd(spans: Span[]): void {
  for (let i = 1; i < spans.length; i++)
    if (byStartThenEnd(spans[i], spans[i - 1]) < 0) {
      spans.sort(byStartThenEnd);
      return;
    }
}
const byStartThenEnd = (a: Span, b: Span) => a.startNs - b.startNs || a.endNs - b.endNs;

/** Per call: whether it overlaps another of the same agent (part of a batch that already ran concurrently). */
function overlapping(spans: Span[]): boolean[] {
  const overlaps = new Array<boolean>(spans.length).fill(false);
  let maxEnd = -Infinity;
  let maxIdx = -1;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.startNs < maxEnd && s.endNs > s.startNs) {
      overlaps[i] = true;
      overlaps[maxIdx] = true;
    }
    if (s.endNs > maxEnd) {
      maxEnd = s.endNs;
      maxIdx = i;
    }
  }
  return overlaps;
}

function callFacts(
  spans: Span[],
  names: string[],
  issuers: (string | undefined)[],
  callIds: string[],
  scan: ParallelismScan,
): void {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    names[i] = str(s.attributes["gen_ai.tool.name"]) || s.name.replace(/^execute_tool\s+/, "");
    issuers[i] = str(s.attributes["hotpath.llm_span_id"]) || issuerOf(s, scan.llmSpansByEnd());
    callIds[i] = str(s.attributes["gen_ai.tool.call.id"]);
  }
}

/** The walk over one agent's calls: data-flow edges, and groups of read-only calls none of which uses another's result. */
class AgentScan {
  /**
   * Data-flow edges (evidence shown to the user, and the reason groups end). Whether each call depends on each of the
   * LOOKBACK calls before it is kept (1: it does): grouping below asks the same pairs again. A group reaches further
   * back (up to MAX_GROUP calls): the window holds that many results, so those pairs skip scans too.
   */
  private readonly lookback: Uint8Array;
  private readonly recent = new Array<Call>(LOOKBACK); // the last LOOKBACK calls, by i % LOOKBACK
  private group: Call[] = [];

  constructor(
    private readonly scan: ParallelismScan,
    private readonly spans: Span[],
    private readonly overlaps: boolean[],
    private readonly names: string[],
    private readonly issuers: (string | undefined)[],
    private readonly callIds: string[],
  ) {
    this.lookback = new Uint8Array(spans.length * LOOKBACK);
  }

  run(): void {
    const { spans, recent, lookback } = this;
    const window = this.scan.window;
    const dependencies = this.scan.dependencies;
    for (let i = 0; i < spans.length; i++) {
      const c = this.callAt(i);
      if (c.args.size) {
        window.setLater(c.args);
        for (let j = Math.max(0, i - LOOKBACK); j < i; j++) {
          const v = window.dependencyOn(j);
          if (v === undefined) continue;
          lookback[i * LOOKBACK + (i - j - 1)] = 1;
          dependencies.push({ fromSpanId: recent[j % LOOKBACK].span.spanId, toSpanId: c.span.spanId, value: v });
        }
      }
      window.add(i, c);
      recent[i % LOOKBACK] = c;
      this.place(c);
    }
    this.close();
  }

  /** Grouping: a run of read-only calls none of which uses another's result. */
  private place(c: Call): void {
    if (c.overlaps || !c.readOnly) {
      this.close();
      return;
    }
    const run = this.group;
    const userTurn =
      run.length > 0 &&
      userSpokeBetween(run[run.length - 1].span.endNs, c.span.startNs, this.scan.userPromptStartsSorted());
    if (userTurn || run.length >= MAX_GROUP || this.dependsOnGroup(c)) this.close();
    this.group.push(c);
  }

  private dependsOnGroup(later: Call): boolean {
    for (const earlier of this.group) if (this.dependsOn(later, earlier)) return true;
    return false;
  }

  private dependsOn(later: Call, earlier: Call): boolean {
    const back = later.index - earlier.index - 1;
    if (!later.args.size) return false;
    if (back >= 0 && back < LOOKBACK) return this.lookback[later.index * LOOKBACK + back] === 1;
    // The window's later call is `later` (grouping asks only about the call just added).
    if (back >= 0 && back < MAX_GROUP) return this.scan.window.dependencyOn(earlier.index) !== undefined;
    return dataDependency(later.args, earlier.resultText, earlier.args, earlier.searchHit) !== undefined;
  }

  private close(): void {
    const run = this.group;
    // Calls that returned at once (or already overlapped) save nothing: no group.
    const g = run.length >= 2 ? describe(run, this.scan.tree) : undefined;
    if (g && g.recordedMs - g.projectedMs >= MIN_SAVING_MS) this.scan.groups.push(g);
    if (g && g.recordedMs - g.projectedMs >= MIN_SAVING_MS) {
      const issuers = [...new Set(run.map((c) => c.issuer).filter((x): x is string => !!x))];
      if (issuers.length >= 2) {
        this.scan.mergeable.push({
          spanIds: issuers,
          reason: `${issuers.length} model round-trips each issued calls that needed no result of the calls before them; one response could have issued all ${run.length}`,
        });
      }
    }
    this.group = [];
  }

  private callAt(i: number): Call {
    const s = this.spans[i];
    const name = this.names[i];
    const rawArgs = s.attributes["gen_ai.tool.call.arguments"] ?? s.attributes["input.value"];
    const argsText = str(rawArgs);
    // A person's or compaction's time is a barrier; a call without recorded arguments touched something unknown, so
    // it is no reader (and never independent). Not asked of a call that overlaps another: that closes any group
    // whatever it did (and working out a shell command's effect is most of what a call costs here).
    const readOnly =
      !this.overlaps[i] &&
      s.kind === "tool" &&
      rawArgs !== undefined &&
      !isBarrierOwner(s) &&
      this.scan.readOnlyOf(name, argsText, s.attributes["hotpath.inferred"] === true);
    const rawResult = s.attributes["gen_ai.tool.call.result"] ?? s.attributes["output.value"];
    return new Call(
      s,
      name,
      argsText,
      argumentValues(argsText),
      rawArgs !== undefined,
      rawResult !== undefined && s.attributes["hotpath.result_unrecorded"] !== true,
      str(rawResult),
      readOnly,
      this.overlaps[i],
      this.issuers[i],
      this.callIds[i],
      i,
    );
  }
}

function describe(run: Call[], tree: SpanTree): ParallelGroup {
  const start = run[0].span.startNs;
  const end = Math.max(...run.map((c) => c.span.endNs));
  // Re-schedule: the calls form an edgeless dependency DAG, so issued together at the first one's start they finish
  // with the slowest; the model round-trips between them disappear.
  const projected = Math.max(...run.map((c) => c.span.endNs - c.span.startNs));
  const issuers = new Set(run.map((c) => c.issuer));
  const names = [...new Set(run.map((c) => c.name))].join(", ");
  const how =
    issuers.size >= run.length
      ? `ran one after another in ${issuers.size} model round-trips`
      : issuers.size === 1
        ? `were issued together in one response but executed one by one`
        : `ran one after another over ${issuers.size} model round-trips (some issued together but executed one by one)`;
  void tree;
  // A call issued after an earlier one came back empty, failed or was refused is a follow-up or a retry: it only
  // would have run sooner if issued speculatively. Unknown arguments or an unrecorded result leave dependence open.
  const doubts: string[] = [];
  run.forEach((c, i) => {
    if (!c.argsKnown) doubts.push(`${c.name}'s arguments were not recorded`);
    // Asked only of group members (most calls are in no group).
    const cameBack = i < run.length - 1 ? outcomeOf(c.span, c.resultText) : undefined;
    if (cameBack)
      doubts.push(`${c.name} ${c.callId ? `(${c.callId}) ` : ""}came back ${cameBack} before the next call`);
    else if (i < run.length - 1 && !c.resultKnown) doubts.push(`${c.name}'s result was not recorded`);
  });
  const confidence: ParallelGroup["confidence"] = doubts.length ? "speculative" : "independent";
  return {
    confidence,
    spanIds: run.map((c) => c.span.spanId),
    toolCallIds: run.map((c) => c.callId),
    recordedMs: round((end - start) / 1e6),
    projectedMs: round(projected / 1e6),
    reason:
      confidence === "independent"
        ? `${run.length} read-only calls (${names}) ${how}; no call's arguments use a value from an earlier call's result, and none writes, so issued together they take as long as the slowest`
        : `${run.length} read-only calls (${names}) ${how}, but ${doubts.slice(0, 3).join("; ")}: a later call may be a follow-up or retry, so the saving needs issuing it speculatively`,
  };
}

/** Tool answers that mean "nothing found" (Claude Code's Grep/Glob, ripgrep/grep without matches). */
const NOTHING_FOUND = /^(No (files|matches) found|No results( found)?|Found 0 (files|matches)|\[\]|\{\}|null)\s*$/i;

/** How a call came back when that makes a later call a follow-up or retry: empty, failed or denied. */
function outcomeOf(s: Span, result: string): "empty" | "failed" | "denied" | undefined {
  if (s.attributes["hotpath.tool.denied"] === true) return "denied";
  const exit = s.attributes["process.exit.code"];
  if (s.status === "error" || (typeof exit === "number" && exit !== 0)) return "failed";
  if (s.attributes["hotpath.result_unrecorded"] === true) return undefined;
  // Codex wraps command output in a header (chunk id, wall time, exit code); the body is what came back.
  const body = (
    result.startsWith("Chunk ID")
      ? result.replace(/^(Chunk ID|Wall time|Process exited with code 0|Original token count|Output):?.*$/gm, "")
      : result
  ).trim();
  if (s.attributes["gen_ai.tool.call.result"] !== undefined || s.attributes["output.value"] !== undefined) {
    if (!body || NOTHING_FOUND.test(body)) return "empty";
  }
  return undefined;
}

function isBarrierOwner(s: Span): boolean {
  const o = ownerOf(s);
  return o === "human" || o === "compaction" || o === "idle";
}

/**
 * OpenInference tool spans carry no call id; the response that asked for them lists its calls
 * (hotpath.tool_call_ids / _names): take the first unclaimed id with the same tool name. Per call, by position:
 * `callIds` is filled in.
 */
function inferCallIds(names: string[], issuers: (string | undefined)[], callIds: string[], tree: SpanTree): void {
  let claimed: Set<string> | undefined; // built only when some call needs an id (most traces record them all)
  let lastIssuer: string | undefined;
  let llm: Span | undefined;
  for (let c = 0; c < callIds.length; c++) {
    const issuer = issuers[c];
    if (callIds[c] || !issuer) continue;
    const taken = (claimed ??= new Set(callIds.filter(Boolean)));
    // A response's calls come together: its span is looked up once for them.
    if (issuer !== lastIssuer) llm = tree.span((lastIssuer = issuer));
    const ids = llm?.attributes["hotpath.tool_call_ids"];
    const callNames = llm?.attributes["hotpath.tool_call_names"];
    if (!Array.isArray(ids) || !Array.isArray(callNames)) continue;
    const i = ids.findIndex((id, k) => callNames[k] === names[c] && typeof id === "string" && !taken.has(id));
    if (i >= 0) {
      callIds[c] = String(ids[i]);
      taken.add(callIds[c]);
    }
  }
}

/** The LLM span that most recently ended before the tool started (the response that asked for it). */
function issuerOf(tool: Span, llmByEnd: Span[]): string | undefined {
  let lo = 0;
  let hi = llmByEnd.length - 1;
  let found: Span | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (llmByEnd[mid].endNs <= tool.startNs + 1e6) {
      found = llmByEnd[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found?.spanId;
}

/** True when an LLM call between the two times was triggered by a new user message (a new task, not a lookup). */
function userSpokeBetween(fromNs: number, toNs: number, userPromptStarts: number[]): boolean {
  let lo = 0;
  let hi = userPromptStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (userPromptStarts[mid] < fromNs) lo = mid + 1;
    else hi = mid;
  }
  return lo < userPromptStarts.length && userPromptStarts[lo] <= toNs;
}
