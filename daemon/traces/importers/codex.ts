// Codex CLI / Codex Desktop rollout JSONL (~/.codex/sessions/…/rollout-*.jsonl). Every line is {timestamp, type,
// payload}. exec_command_end.duration is the real command time (Codex 0.17x records the same as an item_completed
// event of a CommandExecution item: duration, started_at_ms, completed_at_ms): with unified exec a long command returns
// early with a session id and is then polled with write_stdin calls, which are not separate work (they fold into
// their command).
import { z } from "zod";
import { contentText } from "../../chat.js";
import { deriveSpanId, deriveTraceId } from "../ids.js";
import { TIME_OWNER_ATTR, TIME_OWNER_WHY_ATTR } from "../analysis/owner.js";
import type { Attributes, Span } from "../span.js";
import {
  clip,
  ImportError,
  isoToNs,
  issuePath,
  parseJsonLines,
  type ParsedTrace,
  type TraceImporter,
} from "./format.js";
import { jsonObject } from "../json.js";

const Line = z.object({
  timestamp: z.string().refine((s) => Number.isFinite(Date.parse(s)), "not an ISO-8601 time"),
  type: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

const FunctionCall = z
  .object({ type: z.literal("function_call"), name: z.string(), call_id: z.string(), arguments: z.string() })
  .passthrough();
const CustomCall = z
  .object({ type: z.literal("custom_tool_call"), name: z.string(), call_id: z.string(), input: z.string().optional() })
  .passthrough();
const CallOutput = z.object({ call_id: z.string(), output: z.unknown().optional() }).passthrough();
const ExecEnd = z
  .object({
    call_id: z.string(),
    duration: z.object({ secs: z.number().min(0), nanos: z.number().min(0) }).optional(),
    exit_code: z.number().optional(),
    aggregated_output: z.string().optional(),
    formatted_output: z.string().optional(),
  })
  .passthrough();
/** Codex 0.17x: a finished item of the turn; a CommandExecution's is what exec_command_end was. */
const CommandCompleted = z
  .object({
    item: z
      .object({
        type: z.literal("CommandExecution"),
        id: z.string(),
        duration: z.object({ secs: z.number().min(0), nanos: z.number().min(0) }).optional(),
        exit_code: z.number().nullable().optional(),
        aggregated_output: z.string().optional(),
      })
      .passthrough(),
    completed_at_ms: z.number().optional(),
  })
  .passthrough();
const TokenCount = z
  .object({
    info: z
      .object({
        last_token_usage: z
          .object({
            input_tokens: z.number(),
            cached_input_tokens: z.number().optional(),
            output_tokens: z.number(),
            reasoning_output_tokens: z.number().optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();

/** An item_completed payload whose item is a command run (other items — messages, user input — carry no timing). */
function isCommandItem(payload: Record<string, unknown>): boolean {
  const item = payload.item;
  return typeof item === "object" && item !== null && (item as Record<string, unknown>).type === "CommandExecution";
}

function check<S extends z.ZodType>(schema: S, value: unknown, file: string, line: number, prefix: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ImportError(file, line, [prefix, issuePath(issue.path)].filter(Boolean).join("."), issue.message);
  }
  return r.data;
}

interface Tool {
  callId: string;
  name: string;
  arguments: string;
  startNs: number;
  endNs?: number;
  durationNs?: number;
  /** When exec_command_end was recorded (the command's real end; its start is this minus durationNs). */
  execEndNs?: number;
  /** Which record gave durationNs. */
  durationSource?: "exec_command_end" | "item_completed";
  output: string[];
  execOutput?: string;
  exitCode?: number;
  polls: number;
  llmSpanId: string;
  parentSpanId: string;
  status: "ok" | "error";
}

interface Response {
  spanId: string;
  parentSpanId: string;
  startNs: number;
  endNs: number;
  model?: string;
  toolCallIds: string[];
  pollOnly: boolean;
  usage?: { input: number; cached: number; output: number; reasoning: number };
  userPrompt?: string;
}

/** A compaction: from the last record before it to its `compacted` / `context_compacted` record. */
interface Compaction {
  startNs: number;
  endNs: number;
  line: number;
}

/** Codex's answer to the model when the person declined an approval prompt. */
const REJECTED = /rejected by (the )?user|user (denied|declined|rejected)/i;
/** Tools whose time is the person's: the agent asked and waited for an answer. */
const PERSON_TOOLS: Record<string, string> = {
  request_user_input: "waited for the person to answer a question",
};
/** Text Codex itself puts in user-role messages (instructions, environment), not typed by the person. */
const injected = (text: string) => /^\s*(<[a-z_]+[ >]|# AGENTS\.md instructions)/.test(text);

export const codexImporter: TraceImporter = {
  format: "codex",
  detect(name, _head, first) {
    if (typeof first !== "object" || first === null) return false;
    const r = first as Record<string, unknown>;
    return (
      typeof r.type === "string" &&
      typeof r.payload === "object" &&
      typeof r.timestamp === "string" &&
      ["session_meta", "response_item", "event_msg", "turn_context"].includes(r.type)
    );
  },
  parse(text, ctx): ParsedTrace[] {
    const file = ctx.file;
    const lines = parseJsonLines(text, file);
    let sessionId: string | undefined;
    let cwd: string | undefined;
    let model: string | undefined;
    let firstNs = Infinity;
    let lastNs = -Infinity;
    const parsed = lines.map(({ line, value }) => {
      const l = check(Line, value, file, line, "");
      const ts = isoToNs(l.timestamp);
      firstNs = Math.min(firstNs, ts);
      lastNs = Math.max(lastNs, ts);
      if (l.type === "session_meta") {
        if (typeof l.payload.id !== "string")
          throw new ImportError(file, line, "payload.id", "session_meta without a string id");
        sessionId ??= l.payload.id;
        if (typeof l.payload.cwd === "string") cwd = l.payload.cwd;
      }
      return { line, ts, type: l.type, payload: l.payload };
    });
    if (!sessionId) {
      const first = lines[0];
      throw new ImportError(file, first?.line ?? 1, "payload.id", "no session_meta record: not a Codex rollout");
    }
    const traceId = deriveTraceId("codex", sessionId);
    const rootId = deriveSpanId(traceId, "session");
    const spans: Span[] = [];
    const tools = new Map<string, Tool>();
    const bySession = new Map<string, Tool>(); // unified-exec session id → the command it runs
    const responses: Response[] = [];
    const turns: { spanId: string; turnId: string; startNs: number; endNs: number; n: number }[] = [];
    let turn = { spanId: rootId, turnId: "" } as {
      spanId: string;
      turnId: string;
      startNs: number;
      endNs: number;
      n: number;
    };
    let current: Response | undefined;
    let lastInputNs: number | undefined;
    let pendingPrompt: string | undefined;
    let lastUsageTarget: Response | undefined;
    let seq = 0;
    const compactions: Compaction[] = [];
    let prevNs: number | undefined;
    let prevWasCompaction = false;

    const openResponse = (ts: number): Response => {
      if (!current) {
        current = {
          spanId: deriveSpanId(traceId, "llm", String(seq++), String(ts)),
          parentSpanId: turn.spanId,
          startNs: lastInputNs ?? ts,
          endNs: ts,
          model,
          toolCallIds: [],
          pollOnly: true,
          userPrompt: pendingPrompt,
        };
        pendingPrompt = undefined;
        responses.push(current);
      }
      current.endNs = Math.max(current.endNs, ts);
      return current;
    };
    const input = (ts: number) => {
      if (current) lastUsageTarget = current;
      current = undefined;
      lastInputNs = ts;
    };

    for (const { line, ts, type, payload } of parsed) {
      const ptype = payload.type;
      const before = prevNs;
      const compactionBefore = prevWasCompaction;
      prevNs = ts;
      prevWasCompaction = false;
      // Compaction (local: a `compacted` record and a context_compacted event; remote: a `compaction` item): it ran
      // from the record before it; the model call after it starts when it is done.
      if (
        type === "compacted" ||
        (type === "event_msg" && ptype === "context_compacted") ||
        (type === "response_item" && (ptype === "compaction" || ptype === "compaction_summary"))
      ) {
        const last = compactions[compactions.length - 1];
        if (compactionBefore && last) last.endNs = Math.max(last.endNs, ts);
        else compactions.push({ startNs: Math.min(before ?? ts, ts), endNs: ts, line });
        prevWasCompaction = true;
        input(ts); // a compaction before the answer keeps the person's message pending: the next call answers it
        continue;
      }
      if (type === "turn_context" && typeof payload.model === "string") model = payload.model;
      if (type === "event_msg" && ptype === "task_started") {
        const turnId = typeof payload.turn_id === "string" ? payload.turn_id : String(turns.length);
        turn = { spanId: deriveSpanId(traceId, "turn", turnId), turnId, startNs: ts, endNs: ts, n: turns.length + 1 };
        turns.push(turn);
        lastInputNs = ts;
        continue;
      }
      if (turns.length && turn.spanId !== rootId) turn.endNs = Math.max(turn.endNs, ts);
      if (type === "event_msg" && ptype === "task_complete") {
        turn.endNs = ts;
        continue;
      }
      // The person's message (the event Codex records for what was typed) and an aborted turn both end the model
      // call in progress: a model span never runs across them.
      if (type === "event_msg" && ptype === "user_message") {
        const text = typeof payload.message === "string" ? payload.message : "";
        if (!injected(text)) pendingPrompt = text;
        input(ts);
        continue;
      }
      if (type === "event_msg" && ptype === "turn_aborted") {
        input(ts);
        continue;
      }
      if (type === "event_msg" && ptype === "token_count") {
        const tc = check(TokenCount, payload, file, line, "payload");
        const u = tc.info?.last_token_usage;
        const target = current ?? lastUsageTarget;
        if (u && target && !target.usage) {
          target.usage = {
            input: u.input_tokens,
            cached: u.cached_input_tokens ?? 0,
            output: u.output_tokens,
            reasoning: u.reasoning_output_tokens ?? 0,
          };
        }
        continue;
      }
      if (type === "event_msg" && ptype === "exec_command_end") {
        const end = check(ExecEnd, payload, file, line, "payload");
        const tool = tools.get(end.call_id);
        if (tool) {
          if (end.duration) {
            tool.durationNs = end.duration.secs * 1e9 + end.duration.nanos;
            tool.durationSource = "exec_command_end";
          }
          tool.execOutput = end.aggregated_output ?? end.formatted_output;
          tool.exitCode = end.exit_code;
          tool.execEndNs = ts;
          tool.endNs = Math.max(tool.endNs ?? 0, ts);
        }
        continue;
      }
      if (type === "event_msg" && ptype === "item_completed" && isCommandItem(payload)) {
        const done = check(CommandCompleted, payload, file, line, "payload");
        const tool = tools.get(done.item.id);
        if (tool) {
          const { duration, exit_code, aggregated_output } = done.item;
          // Its end to the millisecond where given (the record itself is written after).
          const endNs =
            done.completed_at_ms !== undefined && done.completed_at_ms > 0 ? done.completed_at_ms * 1e6 : ts;
          if (duration) {
            tool.durationNs = duration.secs * 1e9 + duration.nanos;
            tool.durationSource = "item_completed";
          }
          tool.execOutput = aggregated_output;
          tool.exitCode = exit_code ?? undefined;
          tool.execEndNs = endNs;
          tool.endNs = Math.max(tool.endNs ?? 0, endNs);
        }
        continue;
      }
      if (type === "event_msg" && ptype === "patch_apply_end") {
        const tool = typeof payload.call_id === "string" ? tools.get(payload.call_id) : undefined;
        if (tool) {
          tool.endNs = Math.max(tool.endNs ?? 0, ts);
          if (payload.success === false) tool.status = "error";
        }
        continue;
      }
      if (type !== "response_item") continue;
      if (ptype === "message") {
        if (payload.role === "assistant") openResponse(ts);
        else {
          if (payload.role === "user") {
            const text = contentText(payload.content, "\n");
            if (!injected(text)) pendingPrompt = text;
          }
          input(ts);
        }
      } else if (ptype === "reasoning") {
        openResponse(ts);
      } else if (ptype === "function_call" || ptype === "custom_tool_call") {
        const call =
          ptype === "function_call"
            ? check(FunctionCall, payload, file, line, "payload")
            : check(CustomCall, payload, file, line, "payload");
        const resp = openResponse(ts);
        const args =
          "arguments" in call && typeof call.arguments === "string" ? call.arguments : String(call.input ?? "");
        if (call.name === "write_stdin") {
          // A poll of a running command: it extends that command; the model round-trip that issued it stays an LLM span.
          const sid = jsonObject(args)?.session_id;
          const owner = sid !== undefined ? bySession.get(String(sid)) : undefined;
          if (owner) owner.polls++;
          tools.set(call.call_id, {
            ...blankTool(call.call_id, "write_stdin", args, ts, resp),
            parentSpanId: "poll",
            llmSpanId: owner?.callId ?? "",
          });
          continue;
        }
        resp.pollOnly = false;
        resp.toolCallIds.push(call.call_id);
        tools.set(call.call_id, blankTool(call.call_id, call.name, args, ts, resp));
      } else if (ptype === "web_search_call") {
        const resp = openResponse(ts);
        resp.pollOnly = false;
        const id = `web_search_${line}`;
        resp.toolCallIds.push(id);
        const t = blankTool(id, "web_search", JSON.stringify(payload.action ?? {}), lastInputNs ?? ts, resp);
        t.endNs = ts; // hosted search runs inside the model call; its record lands when it is done
        t.output.push("");
        tools.set(id, t);
      } else if (ptype === "function_call_output" || ptype === "custom_tool_call_output") {
        const out = check(CallOutput, payload, file, line, "payload");
        input(ts);
        const tool = tools.get(out.call_id);
        if (!tool) continue;
        const text = typeof out.output === "string" ? out.output : JSON.stringify(out.output ?? "");
        if (tool.name === "write_stdin") {
          const owner = tools.get(tool.llmSpanId);
          if (owner) {
            owner.output.push(text);
            owner.endNs = Math.max(owner.endNs ?? 0, ts);
          }
          continue;
        }
        tool.output.push(text);
        tool.endNs = Math.max(tool.endNs ?? 0, ts);
        const sid = /session ID (\d+)/.exec(text)?.[1];
        if (sid) bySession.set(sid, tool);
      }
    }

    if (firstNs === Infinity) firstNs = lastNs = 0;
    spans.push({
      traceId,
      spanId: rootId,
      name: "invoke_agent codex",
      kind: "agent",
      startNs: firstNs,
      endNs: lastNs,
      status: "ok",
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "codex",
        "gen_ai.provider.name": "openai",
        "gen_ai.conversation.id": sessionId,
        ...(model ? { "gen_ai.request.model": model } : {}),
        ...(cwd ? { "hotpath.cwd": cwd } : {}),
      },
    });
    for (const t of turns) {
      spans.push({
        traceId,
        spanId: t.spanId,
        parentSpanId: rootId,
        name: `turn ${t.n}`,
        kind: "chain",
        startNs: t.startNs,
        endNs: t.endNs,
        status: "ok",
        attributes: { "gen_ai.conversation.id": sessionId, "hotpath.turn.id": t.turnId },
      });
    }
    for (const r of responses) {
      const attrs: Attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.conversation.id": sessionId,
      };
      if (r.model) attrs["gen_ai.request.model"] = r.model;
      if (r.usage) {
        attrs["gen_ai.usage.input_tokens"] = r.usage.input;
        attrs["gen_ai.usage.cache_read.input_tokens"] = r.usage.cached;
        attrs["gen_ai.usage.output_tokens"] = r.usage.output;
        attrs["gen_ai.usage.reasoning.output_tokens"] = r.usage.reasoning;
      }
      if (r.toolCallIds.length) attrs["hotpath.tool_call_ids"] = r.toolCallIds;
      if (r.pollOnly && !r.toolCallIds.length && responses.length)
        attrs["hotpath.codex.poll_only"] = isPollOnly(r, tools);
      if (r.userPrompt !== undefined) attrs["hotpath.user_prompt"] = clip(r.userPrompt, 16 * 1024);
      spans.push({
        traceId,
        spanId: r.spanId,
        parentSpanId: r.parentSpanId,
        name: `chat ${r.model ?? ""}`.trim(),
        kind: "llm",
        startNs: r.startNs,
        endNs: r.endNs,
        status: "ok",
        attributes: attrs,
      });
    }
    for (const [i, c] of compactions.entries()) {
      spans.push({
        traceId,
        spanId: deriveSpanId(traceId, "compaction", String(c.line), String(i)),
        parentSpanId: turnAt(turns, c.startNs) ?? rootId,
        name: "compaction",
        kind: "llm",
        startNs: c.startNs,
        endNs: c.endNs,
        status: "ok",
        attributes: {
          "gen_ai.operation.name": "compaction",
          "gen_ai.conversation.id": sessionId,
          [TIME_OWNER_ATTR]: "compaction",
          [TIME_OWNER_WHY_ATTR]: "context compaction",
        },
      });
    }
    for (const t of tools.values()) {
      if (t.name === "write_stdin") continue;
      const output = t.execOutput ?? t.output.join("\n");
      const args = jsonObject(t.arguments);
      const escalated = args?.sandbox_permissions === "require_escalated" || args?.with_escalated_permissions === true;
      const rejected = t.execEndNs === undefined && REJECTED.test(t.output.join("\n"));
      // The command ran for `duration` and ended when exec_command_end was recorded; before that, from the call on,
      // it waited — for the person, when it asked for escalation (the approval prompt).
      let startNs = t.startNs;
      let endNs = t.durationNs !== undefined ? t.startNs + t.durationNs : Math.max(t.startNs, t.endNs ?? t.startNs);
      if (t.durationNs !== undefined && t.execEndNs !== undefined) {
        endNs = Math.max(t.startNs, t.execEndNs);
        startNs = Math.max(t.startNs, endNs - t.durationNs);
      }
      const attrs: Attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": t.name,
        "gen_ai.tool.call.id": t.callId,
        "gen_ai.tool.call.arguments": clip(t.arguments),
        "gen_ai.tool.call.result": clip(output),
        "hotpath.llm_span_id": t.llmSpanId,
        "hotpath.batch.size": responses.find((r) => r.spanId === t.llmSpanId)?.toolCallIds.length ?? 1,
      };
      if (t.name === "web_search") attrs["hotpath.result_unrecorded"] = true; // hosted: its results stay with the model
      if (t.polls) attrs["hotpath.codex.polls"] = t.polls;
      if (t.exitCode !== undefined) attrs["process.exit.code"] = t.exitCode;
      if (t.durationSource !== undefined) attrs["hotpath.duration_source"] = t.durationSource;
      const justification = typeof args?.justification === "string" ? args.justification.slice(0, 200) : undefined;
      if (rejected) {
        attrs[TIME_OWNER_ATTR] = "human";
        attrs[TIME_OWNER_WHY_ATTR] = `the person declined ${t.name}${justification ? ` ("${justification}")` : ""}`;
        attrs["hotpath.tool.denied"] = true;
      } else if (PERSON_TOOLS[t.name]) {
        attrs[TIME_OWNER_ATTR] = "human";
        attrs[TIME_OWNER_WHY_ATTR] = `${t.name}: ${PERSON_TOOLS[t.name]}`;
      }
      const spanId = deriveSpanId(traceId, "tool", t.callId);
      if (escalated && startNs > t.startNs) {
        spans.push({
          traceId,
          spanId: deriveSpanId(traceId, "approval", t.callId),
          parentSpanId: t.parentSpanId,
          name: `approval ${t.name}`,
          kind: "other",
          startNs: t.startNs,
          endNs: startNs,
          status: "ok",
          attributes: {
            "gen_ai.tool.call.id": t.callId,
            [TIME_OWNER_ATTR]: "human",
            [TIME_OWNER_WHY_ATTR]: `escalation approval${justification ? `: "${justification}"` : ""}`,
          },
        });
      }
      spans.push({
        traceId,
        spanId,
        parentSpanId: t.parentSpanId,
        name: `execute_tool ${t.name}`,
        kind: "tool",
        startNs,
        endNs,
        status: rejected || (t.exitCode !== undefined && t.exitCode !== 0) ? "error" : t.status,
        attributes: attrs,
      });
    }
    const title = responses.find(
      (r) => r.userPrompt && !r.userPrompt.startsWith("#") && !r.userPrompt.startsWith("<"),
    )?.userPrompt;
    return [{ spans, source: "import:codex", origin: file, name: title?.slice(0, 120) }];
  },
};

/** The turn a time falls in (compactions run inside the turn that needed them). */
function turnAt(turns: { spanId: string; startNs: number; endNs: number }[], ns: number): string | undefined {
  for (let i = turns.length - 1; i >= 0; i--)
    if (turns[i].startNs <= ns && ns <= turns[i].endNs) return turns[i].spanId;
  return undefined;
}

function blankTool(callId: string, name: string, args: string, ts: number, resp: Response): Tool {
  return {
    callId,
    name,
    arguments: args,
    startNs: ts,
    output: [],
    polls: 0,
    llmSpanId: resp.spanId,
    parentSpanId: resp.parentSpanId,
    status: "ok",
  };
}

function isPollOnly(r: Response, tools: Map<string, Tool>): boolean {
  for (const t of tools.values())
    if (t.name === "write_stdin" && t.startNs >= r.startNs && t.startNs <= r.endNs) return true;
  return false;
}
