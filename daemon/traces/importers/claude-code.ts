// Claude Code session transcripts (~/.claude/projects/<project>/<session>.jsonl, plus <session>/subagents/*.jsonl).
// One model response is several records sharing message.id (thinking, text, each tool_use), chained by parentUuid one
// after another although the tool calls were issued together; tool_result records close the tool_use they name.
// Newer Claude Code (2.1.3xx) also writes an `api-request` record when it sends a request to the API (its id and
// timestamp), and each assistant record names the request it answers (`requestRef`): that model call started then.
import { z } from "zod";
import { contentText } from "../../chat.js";
import { deriveSpanId, deriveTraceId } from "../ids.js";
import { humanDuration } from "../analysis/duration.js";
import { TIME_OWNER_ATTR, TIME_OWNER_WHY_ATTR, USER_PROMPT_AT_ATTR } from "../analysis/owner.js";
import { shellEffect, toolEffect } from "../analysis/tool-effects.js";
import type { Attributes, Span } from "../span.js";
import {
  clip,
  ImportError,
  forEachJsonLine,
  isoMsToNs,
  isoToNs,
  issuePath,
  type ImportContext,
  type ParsedTrace,
  type TraceImporter,
} from "./format.js";

const Usage = z
  .object({
    input_tokens: z.number().optional(),
    output_tokens: z.number().optional(),
    cache_read_input_tokens: z.number().nullable().optional(),
    cache_creation_input_tokens: z.number().nullable().optional(),
  })
  .passthrough();

const Block = z.object({ type: z.string() }).passthrough();

const ConversationRecord = z
  .object({
    type: z.enum(["user", "assistant"]),
    uuid: z.string(),
    parentUuid: z.string().nullable().optional(),
    timestamp: z.string().refine((s) => Number.isFinite(Date.parse(s)), "not an ISO-8601 time"),
    sessionId: z.string().optional(),
    isSidechain: z.boolean().optional(),
    agentId: z.string().optional(),
    message: z
      .object({
        role: z.string().optional(),
        id: z.string().optional(),
        model: z.string().optional(),
        content: z.union([z.string(), z.array(Block)]),
        usage: Usage.nullable().optional(),
      })
      .passthrough(),
    toolUseResult: z.unknown().optional(),
    isMeta: z.boolean().optional(),
    isCompactSummary: z.boolean().optional(),
    isVisibleInTranscriptOnly: z.boolean().optional(),
  })
  .passthrough();
type ConversationRecord = z.infer<typeof ConversationRecord>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const optional = (v: unknown, type: "string" | "boolean" | "number") => v === undefined || typeof v === type;
const optionalCount = (v: unknown) => v === undefined || v === null || (typeof v === "number" && Number.isFinite(v));

/**
 * The common case of ConversationRecord, checked by hand: a session has one record per message and tool result
 * (200k in a long one), and zod's walk cost more than the rest of the import. Only says yes where the schema
 * would, given `ms` = Date.parse(timestamp) (parsed once, by the caller, which keeps it); anything else goes through
 * the schema, whose issue names the field.
 */
function isConversationRecord(v: unknown, ms: number): v is ConversationRecord {
  if (!isObj(v) || (v.type !== "user" && v.type !== "assistant") || typeof v.uuid !== "string") return false;
  if (!(v.parentUuid === undefined || v.parentUuid === null || typeof v.parentUuid === "string")) return false;
  if (typeof v.timestamp !== "string" || !Number.isFinite(ms)) return false;
  if (!optional(v.sessionId, "string") || !optional(v.isSidechain, "boolean") || !optional(v.agentId, "string"))
    return false;
  if (
    !optional(v.isMeta, "boolean") ||
    !optional(v.isCompactSummary, "boolean") ||
    !optional(v.isVisibleInTranscriptOnly, "boolean")
  )
    return false;
  const m = v.message;
  if (!isObj(m) || !optional(m.role, "string") || !optional(m.id, "string") || !optional(m.model, "string"))
    return false;
  if (typeof m.content !== "string") {
    if (!Array.isArray(m.content)) return false;
    for (const b of m.content) if (!isObj(b) || typeof b.type !== "string") return false;
  }
  const u = m.usage;
  if (u !== undefined && u !== null) {
    if (!isObj(u) || !optionalCount(u.input_tokens) || !optionalCount(u.output_tokens)) return false;
    if (u.input_tokens === null || u.output_tokens === null) return false; // not nullable in the schema
    if (!optionalCount(u.cache_read_input_tokens) || !optionalCount(u.cache_creation_input_tokens)) return false;
  }
  return true;
}

const HOUSEKEEPING = new Set(["summary", "file-history-snapshot", "queue-operation", "system", "progress"]);

export const claudeCodeImporter: TraceImporter = {
  format: "claude-code",
  detect(name, _head, first) {
    if (!name.endsWith(".jsonl") || typeof first !== "object" || first === null) return false;
    const r = first as Record<string, unknown>;
    return (
      "parentUuid" in r ||
      "sessionId" in r ||
      (typeof r.type === "string" &&
        HOUSEKEEPING.has(r.type) &&
        ("leafUuid" in r || "messageId" in r || "snapshot" in r || "operation" in r))
    );
  },
  parse(text, ctx) {
    const reader = sessionReader(ctx.file);
    forEachJsonLine(text, ctx.file, reader.record);
    return sessionTraces(reader.end(), ctx);
  },
};

/**
 * Reads a session whose records arrive one at a time (an upload parsed as it streams in): `record` for each JSONL
 * line in order (1-based line numbers, blank lines skipped), then `end`. Throws the ImportError the whole file's parse
 * would (see readSession).
 */
export function claudeCodeRecords(file: string): {
  record: (line: number, value: unknown) => void;
  end: (handOut?: SpansHandOut) => ParsedTrace[];
} {
  const reader = sessionReader(file);
  return { record: reader.record, end: (handOut) => sessionTraces(reader.end(), { file }, handOut) };
}

/**
 * Called while the trace's spans are built, after each span added to `spans` (the array the trace will hold): every
 * span in it is final, so the caller can write those while the rest are built. `expected`: how many spans the build
 * makes at least.
 */
export type SpansHandOut = (spans: readonly Span[], expected: number) => void;

function sessionTraces(session: Session, ctx: ImportContext, handOut?: SpansHandOut): ParsedTrace[] {
  if (!session.count)
    throw new ImportError(ctx.file, undefined, undefined, "no user or assistant records: not a Claude Code session");
  const sessionId = session.sessionId ?? ctx.file;
  // A subagent file imported on its own is its own trace; imported with its session it nests under the Task call.
  const agentKey = session.agentId ? `agent-${session.agentId}` : "main";
  const traceId = deriveTraceId(
    "claude-code",
    sessionId,
    session.isSidechain && session.agentId ? session.agentId : "",
  );
  const spans: Span[] = [];
  const { responses, tools, compactions } = session.walk;
  const expected = 1 + responses.size + compactions.length + tools.size;
  buildAgent(session, ctx, traceId, undefined, agentKey, spans, 0, handOut && (() => handOut(spans, expected)));
  return [{ spans, source: "import:claude-code", origin: ctx.file, name: session.title }];
}

/** A `system` record with subtype compact_boundary: the context was summarised (auto or /compact) just before it. */
interface Boundary {
  line: number;
  ts: number;
  trigger?: string;
  preTokens?: number;
}

interface Session {
  /** How many user and assistant records the file holds. */
  count: number;
  /** What those records say, read as they were parsed (see Walk). */
  walk: Walk;
  /** Per tool call id: the earliest time a bash_progress record says its command was already running. */
  runStarts: Map<string, number>;
  /** Tool call ids some hook reported progress for (a hook, not a person, may have held them). */
  hooked: Set<string>;
  sessionId?: string;
  agentId?: string;
  isSidechain: boolean;
  title?: string;
}

/**
 * Reads a transcript record by record: each record is walked (Walk.record) as soon as it is parsed and then dropped,
 * so a 200k-record file never holds all its parsed records at once (keeping them cost more in garbage collection than
 * parsing them). A problem the walk finds is reported after the whole file parsed, as when reading came first: a line
 * that is not JSON or not a record anywhere in the file is the error a file gets first.
 */
function readSession(text: string, file: string): Session {
  const reader = sessionReader(file);
  forEachJsonLine(text, file, reader.record);
  return reader.end();
}

/** readSession one record at a time: `record` per parsed line, then `end`. */
function sessionReader(file: string): { record: (line: number, value: unknown) => void; end: () => Session } {
  const out: Session = { count: 0, walk: newWalk(file), isSidechain: false, runStarts: new Map(), hooked: new Set() };
  let firstPrompt: string | undefined;
  const record = (line: number, value: unknown) => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new ImportError(file, line, undefined, "expected a JSON object");
    const type = (value as Record<string, unknown>).type;
    if (type === "summary" && typeof (value as Record<string, unknown>).summary === "string")
      out.title ??= String((value as Record<string, unknown>).summary).slice(0, 200);
    if (type === "system" && (value as Record<string, unknown>).subtype === "compact_boundary") {
      out.walk.boundaries.push(boundaryOf(value as Record<string, unknown>, file, line));
      return;
    }
    if (type === "progress") return progressOf(value as Record<string, unknown>, out);
    if (type === "api-request") return requestSentOf(value as Record<string, unknown>, out.walk);
    if (type !== "user" && type !== "assistant") return; // housekeeping records carry no work
    const stamp = (value as Record<string, unknown>).timestamp;
    const ms = typeof stamp === "string" ? Date.parse(stamp) : NaN;
    let r: ConversationRecord;
    if (isConversationRecord(value, ms)) r = value;
    else {
      const parsed = ConversationRecord.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ImportError(file, line, issuePath(issue.path) || "(record)", issue.message);
      }
      r = parsed.data;
    }
    out.sessionId ??= r.sessionId;
    out.agentId ??= r.agentId;
    if (r.isSidechain) out.isSidechain = true;
    if (firstPrompt === undefined && r.type === "user" && typeof r.message.content === "string")
      firstPrompt = r.message.content;
    out.count++;
    walkRecord(out.walk, line, r, isoMsToNs(r.timestamp, ms));
  };
  const end = () => {
    endWalk(out.walk);
    if (out.walk.error) throw out.walk.error;
    if (!out.title && firstPrompt !== undefined) out.title = firstPrompt.slice(0, 120);
    return out;
  };
  return { record, end };
}

/**
 * What a `progress` record says about when a tool call ran. bash_progress (written while a Bash command runs) carries
 * elapsedTimeSeconds, whole seconds: the command was running since at least timestamp - (elapsed + 1) s. hook_progress
 * says a hook ran for the call. Progress records carry no work of their own; an unreadable one is skipped.
 */
function progressOf(v: Record<string, unknown>, out: Session): void {
  const data = v.data;
  if (!isObj(data) || typeof v.timestamp !== "string") return;
  const ids = [v.parentToolUseID, v.toolUseID].filter((x): x is string => typeof x === "string" && x !== "");
  if (data.type === "hook_progress") for (const id of ids) out.hooked.add(id);
  if (data.type !== "bash_progress") return;
  const elapsed = data.elapsedTimeSeconds;
  const ms = Date.parse(v.timestamp);
  if (typeof elapsed !== "number" || !Number.isFinite(elapsed) || elapsed < 0 || !Number.isFinite(ms)) return;
  const since = isoMsToNs(v.timestamp, ms) - (elapsed + 1) * 1e9;
  for (const id of ids) out.runStarts.set(id, Math.min(out.runStarts.get(id) ?? Infinity, since));
}

/**
 * When an `api-request` record says a request went to the API. The record carries no work of its own (the response's
 * records do); an unreadable one is skipped, and its response starts where it would without it.
 */
function requestSentOf(v: Record<string, unknown>, w: Walk): void {
  if (typeof v.id !== "string" || typeof v.timestamp !== "string") return;
  const ms = Date.parse(v.timestamp);
  if (Number.isFinite(ms)) w.requestsSent.set(v.id, isoMsToNs(v.timestamp, ms));
}

/**
 * The run time a tool's own result records (toolUseResult.durationMs: Glob, Grep, WebFetch …; totalDurationMs: Task),
 * when the record answers exactly one call.
 */
function recordedRunMs(r: ConversationRecord, results: number): number | undefined {
  const u = r.toolUseResult;
  if (results !== 1 || !isObj(u)) return undefined;
  const ms = typeof u.durationMs === "number" ? u.durationMs : u.totalDurationMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** A wait before a call ran shorter than this is bookkeeping (hooks, writing records), not a person answering. */
const PROMPT_MIN_NS = 2e9;

function boundaryOf(v: Record<string, unknown>, file: string, line: number): Boundary {
  if (typeof v.timestamp !== "string" || !Number.isFinite(Date.parse(v.timestamp)))
    throw new ImportError(file, line, "timestamp", "compact_boundary without an ISO-8601 timestamp");
  const meta = isObj(v.compactMetadata) ? v.compactMetadata : {};
  return {
    line,
    ts: isoToNs(v.timestamp),
    trigger: typeof meta.trigger === "string" ? meta.trigger.slice(0, 40) : undefined,
    preTokens: typeof meta.preTokens === "number" && Number.isFinite(meta.preTokens) ? meta.preTokens : undefined,
  };
}

/**
 * Text in a user record that the person typed. Meta records (skill bodies, caveats), compaction summaries, command
 * output echoes and interruption notes are written by Claude Code, not the person: the time before them is not
 * the person's.
 */
function typedByPerson(r: ConversationRecord, text: string): boolean {
  // A subagent's transcript (isSidechain) is prompted by the agent that launched it, never by the person.
  if (r.isMeta || r.isCompactSummary || r.isVisibleInTranscriptOnly || r.isSidechain) return false;
  const t = text.trimStart();
  return !(
    t.startsWith("[Request interrupted") ||
    t.startsWith("<local-command-stdout>") ||
    t.startsWith("<local-command-stderr>") ||
    // Claude Code's own message that a background agent finished (it starts the session's next turn, not a person).
    t.startsWith("<task-notification>") ||
    t.startsWith("Caveat:")
  );
}

/** Claude Code's answer when the person refused a permission prompt (or pressed Esc on it); prefixes, no scan. */
const REJECTED = [
  "The user doesn't want to proceed with this tool use",
  "User rejected tool use",
  "<tool_use_error>User rejected tool use",
];
const rejectedText = (result: string) => {
  for (const p of REJECTED) if (result.startsWith(p)) return true;
  return false;
};

/** Tools whose whole time is a person's: the agent asked a question or presented a plan and waited for the answer. */
const PERSON_TOOLS: Record<string, string> = {
  AskUserQuestion: "waited for the person to answer a question",
  ExitPlanMode: "waited for the person to review the plan",
};

interface ToolCall {
  id: string;
  name: string;
  input: unknown;
  /** JSON.stringify(input) for an object input, made once (scheduling and the arguments attribute both need it). */
  inputJson?: string;
  startNs: number;
  endNs?: number;
  result?: string;
  isError: boolean;
  /** The person refused the permission prompt. */
  rejected: boolean;
  /** When it could start (after its response streamed and the calls before it in its batch; see scheduleCalls). */
  execStartNs?: number;
  /** How long it ran, as its result records it (see recordedRunMs). */
  runMs?: number;
  /** The response that issued it. */
  llm: Response;
  batchSize: number;
  agentId?: string;
  /**
   * The call launched its agent in the background and returned (Claude Code 2.1.3xx: toolUseResult.isAsync, status
   * "async_launched"); the agent's completion reaches the session later as a <task-notification> message.
   */
  launchedAsync?: boolean;
  line: number;
}

interface Response {
  id: string;
  /** Known once the file is read (the trace id depends on the whole file): see buildAgent. */
  spanId: string;
  startNs: number;
  endNs: number;
  model?: string;
  usage?: z.infer<typeof Usage> | null;
  toolCallIds: string[];
  userPrompt?: string;
  /** When the person sent the prompt (see promptSentNs), kept where the call started later than that. */
  promptNs?: number;
}

/** What an agent's records say, in record order: its model responses, tool calls and compactions, and its extent. */
interface Walk {
  file: string;
  responses: Map<string, Response>;
  tools: Map<string, ToolCall>;
  compactions: { startNs: number; endNs: number; b: Boundary }[];
  /** Compaction boundaries read since the last user or assistant record. */
  boundaries: Boundary[];
  firstNs: number;
  lastNs: number;
  model?: string;
  lastInputNs?: number;
  /** api-request id → when it was sent (ns): see requestSentOf. */
  requestsSent: Map<string, number>;
  pendingPrompt?: string;
  /** When pendingPrompt was sent (see promptSentNs). */
  pendingPromptNs?: number;
  prevNs?: number;
  /** The first problem found in the records (reported once the whole file has parsed). */
  error?: ImportError;
  /**
   * One string per model, tool and span name: JSON.parse copies each record's, and every span is kept until the import
   * is written and analysed (see same()).
   */
  names: Map<string, string>;
}

/** The walk's one copy of a name (model, tool, span name) — the same characters, kept once for all its spans. */
function same(w: Walk, name: string): string {
  const known = w.names.get(name);
  if (known !== undefined) return known;
  if (w.names.size < 4096) w.names.set(name, name); // a file of ever-new names keeps them as they are
  return name;
}

function newWalk(file: string): Walk {
  return {
    file,
    responses: new Map(),
    tools: new Map(),
    requestsSent: new Map(),
    compactions: [],
    boundaries: [],
    firstNs: Infinity,
    lastNs: -Infinity,
    names: new Map(),
  };
}

/** Walks one user or assistant record (ts: its timestamp in ns). */
function walkRecord(w: Walk, line: number, r: ConversationRecord, ts: number): void {
  if (w.error) return;
  try {
    walkStep(w, line, r, ts);
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    w.error = e;
  }
}

function walkStep(w: Walk, line: number, r: ConversationRecord, ts: number): void {
  const { responses, tools } = w;
  w.firstNs = Math.min(w.firstNs, ts);
  w.lastNs = Math.max(w.lastNs, ts);
  // Compaction ran from the last record before its boundary to the boundary (or to the summary that follows it);
  // the next model call starts after it.
  if (w.boundaries.length) {
    for (const b of w.boundaries) {
      const startNs = Math.min(w.prevNs ?? b.ts, b.ts);
      const endNs = r.isCompactSummary ? Math.max(b.ts, ts) : b.ts;
      w.compactions.push({ startNs, endNs, b });
      w.lastInputNs = endNs;
      w.pendingPrompt = undefined;
      w.firstNs = Math.min(w.firstNs, startNs);
      w.lastNs = Math.max(w.lastNs, endNs);
    }
    w.boundaries.length = 0;
  }
  w.prevNs = ts;
  const content = r.message.content;
  if (r.type === "user") {
    w.lastInputNs = ts;
    if (typeof content === "string") {
      if (typedByPerson(r, content)) {
        w.pendingPrompt = content;
        w.pendingPromptNs = promptSentNs(r, ts);
      }
    } else {
      let results: number | undefined; // tool_result blocks in this record, counted when needed
      for (let i = 0; i < content.length; i++) {
        const block = content[i];
        if (block.type === "text" && typeof block.text === "string" && typedByPerson(r, block.text)) {
          w.pendingPrompt = block.text;
          w.pendingPromptNs = promptSentNs(r, ts);
        }
        if (block.type !== "tool_result") continue;
        const id = block.tool_use_id;
        if (typeof id !== "string")
          throw new ImportError(w.file, line, `message.content[${i}].tool_use_id`, "expected a string");
        const call = tools.get(id);
        if (!call) continue; // a result whose call is outside this file (resumed sessions): nothing to time
        call.endNs = ts;
        call.result = clip(resultText(block.content, w.file, line, id));
        call.isError = block.is_error === true;
        call.rejected = r.toolUseResult === "User rejected tool use" || rejectedText(call.result);
        call.agentId = agentIdOf(r.toolUseResult, call.result);
        call.launchedAsync = launchedAsync(r.toolUseResult);
        results ??= content.reduce((n, b) => n + (b.type === "tool_result" ? 1 : 0), 0);
        call.runMs = recordedRunMs(r, results);
      }
    }
    return;
  }
  // assistant
  const messageId = r.message.id ?? r.uuid;
  let resp = responses.get(messageId);
  if (!resp) {
    // The call started when its request was sent, where the transcript says so (requestRef); before that, the time
    // since the last input was Claude Code's own (building the request, hooks), not the model's. Otherwise from the
    // last input. A send stamped after the response's first record is not believed.
    const sent = typeof r.requestRef === "string" ? w.requestsSent.get(r.requestRef) : undefined;
    resp = {
      id: messageId,
      spanId: "",
      startNs: sent !== undefined && sent <= ts ? sent : (w.lastInputNs ?? ts),
      endNs: ts,
      toolCallIds: [],
      userPrompt: w.pendingPrompt,
      promptNs: w.pendingPrompt === undefined ? undefined : w.pendingPromptNs,
    };
    w.pendingPrompt = undefined;
    responses.set(messageId, resp);
  }
  resp.endNs = Math.max(resp.endNs, ts);
  if (r.message.model !== undefined) resp.model = same(w, r.message.model);
  w.model ??= resp.model;
  if (r.message.usage) resp.usage = r.message.usage;
  if (typeof content === "string") return;
  for (let i = 0; i < content.length; i++) {
    const block = content[i];
    if (block.type !== "tool_use") continue;
    if (typeof block.id !== "string")
      throw new ImportError(w.file, line, `message.content[${i}].id`, "tool_use without a string id");
    if (typeof block.name !== "string")
      throw new ImportError(w.file, line, `message.content[${i}].name`, "tool_use without a string name");
    resp.toolCallIds.push(block.id);
    tools.set(block.id, {
      id: block.id,
      name: same(w, block.name),
      input: block.input,
      inputJson: undefined,
      runMs: undefined,
      startNs: ts,
      isError: false,
      rejected: false,
      execStartNs: undefined,
      llm: resp,
      batchSize: 0,
      line,
    });
  }
}

/** Boundaries after the last record (a compaction that ended the file). */
function endWalk(w: Walk): void {
  if (w.error) return;
  for (const b of w.boundaries) {
    w.compactions.push({ startNs: Math.min(w.prevNs ?? b.ts, b.ts), endNs: b.ts, b });
    if (w.firstNs === Infinity) w.firstNs = b.ts;
    w.lastNs = Math.max(w.lastNs, b.ts);
  }
  w.boundaries.length = 0;
}

function buildAgent(
  session: Session,
  ctx: ImportContext,
  traceId: string,
  parentSpanId: string | undefined,
  agentKey: string,
  spans: Span[],
  depth: number,
  added?: () => void,
  /** A background agent: the span of the call that launched it (see ToolCall.launchedAsync). */
  launchedBy?: string,
): Span {
  const { responses, tools, compactions, model } = session.walk;
  const push = (span: Span) => {
    spans.push(span);
    added?.();
  };
  let { firstNs, lastNs } = session.walk;
  const agentSpanId = deriveSpanId(traceId, agentKey, "agent");
  for (const resp of responses.values()) resp.spanId = deriveSpanId(traceId, agentKey, "llm", resp.id);

  if (firstNs === Infinity) firstNs = lastNs = 0;
  const agentAttrs: Attributes = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": session.agentId ? `subagent ${session.agentId}` : "claude-code",
    "gen_ai.provider.name": "anthropic",
  };
  if (session.sessionId) agentAttrs["gen_ai.conversation.id"] = session.sessionId;
  if (model) agentAttrs["gen_ai.request.model"] = model;
  if (launchedBy !== undefined) {
    agentAttrs["hotpath.agent.async"] = true;
    agentAttrs["hotpath.agent.launched_by"] = launchedBy;
  }
  const agentSpan: Span = {
    traceId,
    spanId: agentSpanId,
    parentSpanId,
    name: session.agentId ? `invoke_agent subagent ${session.agentId}` : "invoke_agent claude-code",
    kind: "agent",
    startNs: firstNs,
    endNs: lastNs,
    status: "ok",
    attributes: agentAttrs,
  };
  push(agentSpan);

  for (const resp of responses.values()) {
    const u = resp.usage ?? undefined;
    const cacheRead = u?.cache_read_input_tokens ?? 0;
    const cacheWrite = u?.cache_creation_input_tokens ?? 0;
    const attrs: Attributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.response.id": resp.id,
    };
    if (resp.model) {
      attrs["gen_ai.request.model"] = resp.model;
      attrs["gen_ai.response.model"] = resp.model;
    }
    if (u) {
      // OTel counts cached tokens inside input_tokens; Anthropic reports them apart.
      attrs["gen_ai.usage.input_tokens"] = (u.input_tokens ?? 0) + cacheRead + cacheWrite;
      attrs["gen_ai.usage.output_tokens"] = u.output_tokens ?? 0;
      attrs["gen_ai.usage.cache_read.input_tokens"] = cacheRead;
      attrs["gen_ai.usage.cache_creation.input_tokens"] = cacheWrite;
    }
    if (session.sessionId) attrs["gen_ai.conversation.id"] = session.sessionId;
    if (resp.toolCallIds.length) attrs["hotpath.tool_call_ids"] = resp.toolCallIds;
    if (resp.userPrompt !== undefined) attrs["hotpath.user_prompt"] = clip(resp.userPrompt, 16 * 1024);
    // The call started after the prompt was written (its request's send): the wait before it was the person's only
    // until then (critical-path.ts splits the gap there).
    if (resp.userPrompt !== undefined && resp.promptNs !== undefined && resp.promptNs < resp.startNs)
      attrs[USER_PROMPT_AT_ATTR] = resp.promptNs;
    scheduleCalls(resp, tools, session.walk.file);
    push({
      traceId,
      spanId: resp.spanId,
      parentSpanId: agentSpanId,
      name: same(session.walk, `chat ${resp.model ?? ""}`.trim()),
      kind: "llm",
      startNs: resp.startNs,
      endNs: resp.endNs,
      status: "ok",
      attributes: attrs,
    });
  }

  for (const [i, c] of compactions.entries()) {
    const attrs: Attributes = {
      "gen_ai.operation.name": "compaction",
      [TIME_OWNER_ATTR]: "compaction",
      [TIME_OWNER_WHY_ATTR]: `${c.b.trigger ?? "unknown"} compaction${c.b.preTokens !== undefined ? ` of ${c.b.preTokens} tokens` : ""}`,
    };
    if (c.b.trigger) attrs["hotpath.compaction.trigger"] = c.b.trigger;
    if (c.b.preTokens !== undefined) attrs["hotpath.compaction.pre_tokens"] = c.b.preTokens;
    if (session.sessionId) attrs["gen_ai.conversation.id"] = session.sessionId;
    push({
      traceId,
      spanId: deriveSpanId(traceId, agentKey, "compaction", String(c.b.line), String(i)),
      parentSpanId: agentSpanId,
      name: "compaction",
      kind: "llm",
      startNs: c.startNs,
      endNs: Math.max(c.startNs, c.endNs),
      status: "ok",
      attributes: attrs,
    });
  }

  for (const call of tools.values()) {
    const spanId = deriveSpanId(traceId, agentKey, "tool", call.id);
    const attrs: Attributes = {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": call.name,
      "gen_ai.tool.call.id": call.id,
      "gen_ai.tool.call.arguments": clip(
        call.input === undefined || call.input === null ? "{}" : inputJson(call, session.walk.file),
      ),
      "hotpath.llm_span_id": call.llm.spanId,
      "hotpath.batch.size": call.batchSize,
    };
    if (call.result !== undefined) attrs["gen_ai.tool.call.result"] = call.result;
    else attrs["hotpath.incomplete"] = true;
    const person = PERSON_TOOLS[call.name];
    if (call.rejected) {
      attrs[TIME_OWNER_ATTR] = "human";
      attrs[TIME_OWNER_WHY_ATTR] = `the person refused the ${call.name} call`;
      attrs["hotpath.tool.denied"] = true;
    } else if (person) {
      attrs[TIME_OWNER_ATTR] = "human";
      attrs[TIME_OWNER_WHY_ATTR] = `${call.name}: ${person}`;
    } else if (call.isError && call.result !== undefined && DENIED.test(call.result))
      attrs["hotpath.tool.denied"] = true;
    const couldStart = call.execStartNs ?? call.startNs;
    const endNs = Math.max(couldStart, call.endNs ?? couldStart);
    // Claude Code writes nothing when the person approves a permission prompt (only refusals). What it does record
    // is how long a call ran (bash_progress, durationMs): time between when the call could start and when it started
    // running, with no hook reported for it, is the permission prompt waiting for the person.
    const ranFrom =
      call.rejected || person || session.hooked.has(call.id) || call.endNs === undefined
        ? undefined
        : (session.runStarts.get(call.id) ?? (call.runMs !== undefined ? call.endNs - call.runMs * 1e6 : undefined));
    const startNs =
      ranFrom !== undefined && ranFrom - couldStart >= PROMPT_MIN_NS ? Math.min(ranFrom, endNs) : couldStart;
    if (startNs > couldStart) {
      push({
        traceId,
        spanId: deriveSpanId(traceId, agentKey, "permission", call.id),
        parentSpanId: agentSpanId,
        name: `permission ${call.name}`,
        kind: "other",
        startNs: couldStart,
        endNs: startNs,
        status: "ok",
        attributes: {
          "gen_ai.tool.call.id": call.id,
          "gen_ai.tool.name": call.name,
          [TIME_OWNER_ATTR]: "human",
          [TIME_OWNER_WHY_ATTR]: `permission prompt: ${call.name} started running ${humanDuration((startNs - couldStart) / 1e6)} after it could have (its recorded run time covers only the rest)`,
        },
      });
      attrs["hotpath.tool.permission_wait_ms"] = Math.round((startNs - couldStart) / 1e6);
    }
    push({
      traceId,
      spanId,
      parentSpanId: agentSpanId,
      name: same(session.walk, `execute_tool ${call.name}`),
      kind: "tool",
      startNs,
      endNs,
      status: call.isError || call.rejected ? "error" : call.endNs === undefined ? "unset" : "ok",
      attributes: attrs,
    });
    // Subagent (Task tool): its transcript lives in <session>/subagents/agent-<id>.jsonl. One the call waited for
    // nests under the call; one launched in the background ran alongside the session, under its agent — so the time
    // the session then waited for its notification lies on that agent, not on a call that had long returned.
    if (call.agentId && ctx.readRelated && depth < 8) {
      const rel = `subagents/agent-${call.agentId}.jsonl`;
      const text = ctx.readRelated(rel);
      if (text !== undefined) {
        const subFile = `${ctx.file.replace(/\.jsonl$/, "")}/${rel}`;
        const sub = readSession(text, subFile);
        sub.agentId ??= call.agentId;
        const subCtx: ImportContext = { file: subFile };
        const key = `agent-${call.agentId}`;
        if (call.launchedAsync) buildAgent(sub, subCtx, traceId, agentSpanId, key, spans, depth + 1, added, spanId);
        else buildAgent(sub, subCtx, traceId, spanId, key, spans, depth + 1, added);
      }
    }
  }
  return agentSpan;
}

/** A call refused by a permission rule or hook rather than by the person (still a denial: a retry may follow). */
const DENIED =
  /permission to use .* (has been|was) denied|denied by (a )?(permission|hook|policy)|blocked by (a )?hook/i;

/** Claude Code runs a call alongside others when it only reads: reader tools, and shell commands that only read. */
function concurrencySafe(call: ToolCall, file: string): boolean {
  const { name, input } = call;
  if (PERSON_TOOLS[name]) return false;
  const command = isObj(input) ? input.command : undefined;
  if (typeof command === "string") return quickReader(command) || shellEffect(command).readOnly; // no JSON round trip
  return toolEffect(name, input === undefined ? "" : inputJson(call, file)).readOnly;
}

function inputJson(call: ToolCall, file: string): string {
  // Found while the spans are built (rows may already be with the writer): the file's error all the same.
  return (call.inputJson ??= storedJson(call.input, file, call.line, "tool_use", call.id, "input"));
}

/**
 * A value of the file as JSON text. JSON.parse reads any depth, JSON.stringify recurses: a value nested past the stack
 * cannot be stored, and is the file's error naming its line and block (`kind id: part`), not a RangeError.
 */
function storedJson(value: unknown, file: string, line: number, kind: string, id: string, part: string): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (e instanceof RangeError)
      throw new ImportError(file, line, `${kind} ${id}: ${part}`, "nested too deeply to store as JSON");
    throw e;
  }
}

/** A plain `ls -la src`-style command of a reader that takes no dangerous flags: known read-only without parsing. */
function quickReader(command: string): boolean {
  if (PLAIN_SPECIAL.test(command)) return false;
  const space = command.indexOf(" ");
  const first = space === -1 ? command : command.slice(0, space);
  return PLAIN_READERS.has(first);
}
const PLAIN_SPECIAL = /['"$`>|;&\n\\]/;
const PLAIN_READERS = new Set([
  "ls",
  "cat",
  "head",
  "wc",
  "rg",
  "grep",
  "pwd",
  "stat",
  "file",
  "tree",
  "du",
  "df",
  "which",
  "echo",
  "diff",
  "jq",
]);

/**
 * When each call of a response really started running (and the size of its batch). Claude Code streams a response's tool_use blocks first and executes them
 * afterwards: no call starts before the response's last record. Consecutive concurrency-safe (read-only) calls run
 * together; any other call runs alone, after the calls before it have returned. A call's own record is a lower bound.
 */
function scheduleCalls(resp: Response, tools: Map<string, ToolCall>, file: string): void {
  let batchStart = resp.endNs;
  let batchEnd = resp.endNs;
  let prevSafe = false;
  const n = resp.toolCallIds.length;
  for (const id of resp.toolCallIds) {
    const call = tools.get(id)!;
    call.batchSize = n;
    // A lone call's start does not depend on it (most responses): skip the classification.
    const safe = n > 1 && concurrencySafe(call, file);
    if (!(safe && prevSafe)) batchStart = batchEnd; // a new batch starts when the one before it is done
    prevSafe = safe;
    const end = call.endNs ?? Math.max(batchStart, call.startNs);
    const start = Math.min(Math.max(batchStart, call.startNs), end);
    batchEnd = Math.max(batchEnd, end);
    call.execStartNs = start;
  }
}

function resultText(content: unknown, file: string, line: number, id: string): string {
  if (typeof content === "string" || Array.isArray(content)) return contentText(content, "\n");
  return content === undefined ? "" : storedJson(content, file, line, "tool_result", id, "content");
}

/**
 * When the person sent a prompt: newer Claude Code records it (sentAtMs, ms since epoch; the record itself is written
 * once the prompt is taken off its queue), else the record's own time.
 */
function promptSentNs(r: ConversationRecord, ts: number): number {
  const sent = r.sentAtMs;
  return typeof sent === "number" && Number.isFinite(sent) && sent > 0 && sent * 1e6 <= ts ? sent * 1e6 : ts;
}

/** Whether a Task call's result says its agent was launched in the background. */
function launchedAsync(toolUseResult: unknown): boolean {
  return isObj(toolUseResult) && (toolUseResult.isAsync === true || toolUseResult.status === "async_launched");
}

function agentIdOf(toolUseResult: unknown, text: string): string | undefined {
  if (typeof toolUseResult === "object" && toolUseResult !== null) {
    const id = (toolUseResult as { agentId?: unknown }).agentId;
    if (typeof id === "string" && /^[\w-]{1,64}$/.test(id)) return id;
  }
  return /agentId: ([\w-]{1,64})/.exec(text)?.[1];
}
