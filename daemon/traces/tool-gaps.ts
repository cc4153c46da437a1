// Tool spans of a merely proxied agent session. An agent that gets tool calls in an answer runs the tools, then sends
// their results in its next request of the same session (same trace): the time in between is the tools' time. The
// daemon sees both ends, so it can write a span per tool call (name, call id, arguments, result size, error flag)
// without any instrumentation in the agent, and `hotpath analyze` / the profiler see tools on the critical path.
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

/** Per-trace pending tool calls; bounded (oldest sessions dropped first). */
export class ToolGaps {
  private readonly asked = new Map<string, Asked>();

  /** After an answer in trace `traceId` that asked for tool calls. */
  recordCalls(
    traceId: string,
    endNs: number,
    parentSpanId: string | undefined,
    calls: { id: string; name: string; arguments: string }[],
  ): void {
    if (!calls.length) return;
    this.asked.delete(traceId); // re-inserted: Map order is the eviction order
    this.asked.set(traceId, {
      endNs,
      parentSpanId,
      calls: new Map(calls.map((c) => [c.id, { name: c.name, arguments: c.arguments }])),
      touched: endNs,
    });
    while (this.asked.size > MAX_SESSIONS) this.asked.delete(this.asked.keys().next().value!);
  }

  /**
   * A request of trace `traceId` arrived at `startNs` with these messages: one tool span for each pending call whose
   * result it brings. Each call is answered once; results of calls this daemon did not see are ignored.
   */
  resultSpans(traceId: string, startNs: number, messages: ChatMessage[]): Span[] {
    const asked = this.asked.get(traceId);
    if (!asked) return [];
    if (startNs - asked.touched > MAX_WAIT_NS) {
      this.asked.delete(traceId);
      return [];
    }
    const spans: Span[] = [];
    for (const m of messages) {
      if (m.role !== "tool") continue;
      const call = asked.calls.get(m.tool_call_id);
      if (!call) continue;
      asked.calls.delete(m.tool_call_id);
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
