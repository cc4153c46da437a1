// Tool spans of a merely proxied agent session. An agent that gets tool calls in an answer runs the tools, then sends
// their results in its next request of the same session (same trace): the time in between is the tools' time. The
// daemon sees both ends, so it can write a span per tool call (name, call id, arguments, result size, error flag)
// without any instrumentation in the agent, and `hotpath analyze` / the profiler see tools on the critical path.
// A client that names no session (no traceparent, no session header: a plain SDK loop) is followed by its tool calls:
// a request bringing the results of calls that one answer asked for continues that answer's trace. Call ids are minted
// per call by the model's API (call_…, toolu_…), so they name one conversation; an id seen in two traces names none.
import type { ChatMessage } from "../api.js";
import type { Span } from "./span.js";
import { randomSpanId } from "./ids.js";

interface AskedCall {
  name: string;
  arguments: string;
}

interface Asked {
  /** When the answer that asked for the calls ended (ns since epoch). */
  endNs: number;
  /** The asking LLM span's parent: tool spans become its siblings, as in an instrumented agent. */
  parentSpanId?: string;
  calls: Map<string, AskedCall>;
  touched: number;
}

/** Sessions remembered at once, and for how long an unanswered call is waited for. */
const MAX_SESSIONS = 1_000;
const MAX_WAIT_NS = 60 * 60 * 1e9;
const MAX_ARGUMENT_CHARS = 16 * 1024;

/** The trace a request continues when it brings tool results (see ToolGaps.continued). */
export interface ContinuedTrace {
  traceId: string;
  parentSpanId?: string;
}

/** Per-trace pending tool calls; bounded (oldest sessions dropped first). */
export class ToolGaps {
  private readonly asked = new Map<string, Asked>();
  /** Pending call id → the trace that asked for it; "" for an id pending in more than one trace. */
  private readonly traceOfCall = new Map<string, string>();

  /** After an answer in trace `traceId` that asked for tool calls. */
  recordCalls(
    traceId: string,
    endNs: number,
    parentSpanId: string | undefined,
    calls: { id: string; name: string; arguments: string }[],
  ): void {
    if (!calls.length) return;
    this.forget(traceId); // re-inserted: Map order is the eviction order
    this.asked.set(traceId, {
      endNs,
      parentSpanId,
      calls: new Map(calls.map((c) => [c.id, { name: c.name, arguments: c.arguments }])),
      touched: endNs,
    });
    for (const c of calls) {
      const known = this.traceOfCall.get(c.id);
      this.traceOfCall.set(c.id, known === undefined || known === traceId ? traceId : "");
    }
    while (this.asked.size > MAX_SESSIONS) this.forget(this.asked.keys().next().value!);
  }

  /**
   * The trace whose pending calls these messages answer, for a request that named no trace: every result that answers
   * a pending call must answer one of the same trace's. Undefined when none does, or they disagree.
   */
  continued(startNs: number, messages: ChatMessage[]): ContinuedTrace | undefined {
    let traceId: string | undefined;
    for (const m of messages) {
      if (m.role !== "tool") continue;
      const t = this.traceOfCall.get(m.tool_call_id);
      if (t === undefined) continue; // a call answered before, or one this daemon did not see
      if (t === "" || (traceId !== undefined && t !== traceId)) return undefined;
      traceId = t;
    }
    const asked = traceId === undefined ? undefined : this.asked.get(traceId);
    if (!asked || startNs - asked.touched > MAX_WAIT_NS) return undefined;
    return { traceId: traceId!, parentSpanId: asked.parentSpanId };
  }

  /** Drops a trace's pending calls. */
  private forget(traceId: string): void {
    const asked = this.asked.get(traceId);
    if (!asked) return;
    for (const id of asked.calls.keys()) this.forgetCall(id, traceId);
    this.asked.delete(traceId);
  }

  private forgetCall(id: string, traceId: string): void {
    if (this.traceOfCall.get(id) === traceId) this.traceOfCall.delete(id);
  }

  /**
   * A request of trace `traceId` arrived at `startNs` with these messages: one tool span for each pending call whose
   * result it brings. Each call is answered once; results of calls this daemon did not see are ignored.
   */
  resultSpans(traceId: string, startNs: number, messages: ChatMessage[]): Span[] {
    const asked = this.asked.get(traceId);
    if (!asked) return [];
    if (startNs - asked.touched > MAX_WAIT_NS) {
      this.forget(traceId);
      return [];
    }
    const spans: Span[] = [];
    for (const m of messages) {
      if (m.role !== "tool") continue;
      const call = asked.calls.get(m.tool_call_id);
      if (!call) continue;
      asked.calls.delete(m.tool_call_id);
      this.forgetCall(m.tool_call_id, traceId);
      const result = typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("");
      // Anthropic's is_error arrives here as an "Error: " prefix (see translate/request.ts).
      const failed = /^Error: /.test(result);
      spans.push({
        traceId,
        spanId: randomSpanId(),
        parentSpanId: asked.parentSpanId,
        name: `execute_tool ${call.name}`,
        kind: "tool",
        startNs: asked.endNs,
        endNs: Math.max(asked.endNs, startNs),
        status: failed ? "error" : "ok",
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": call.name,
          "gen_ai.tool.call.id": m.tool_call_id,
          "gen_ai.tool.call.arguments": call.arguments.slice(0, MAX_ARGUMENT_CHARS),
          "hotpath.tool.result_chars": result.length,
          "hotpath.tool.inferred": true,
          ...(failed ? { "error.type": "tool_error" } : {}),
        },
      });
    }
    if (!asked.calls.size) this.asked.delete(traceId);
    return spans;
  }
}
