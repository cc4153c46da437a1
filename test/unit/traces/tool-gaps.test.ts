// ToolGaps: the tool spans between an answer that asked for calls and the request that brings their results, and the
// trace such a request continues when it named none (a plain SDK loop: no traceparent, no session header).
import assert from "node:assert/strict";
import type { ChatMessage } from "../../../daemon/api.js";
import { ToolGaps } from "../../../daemon/traces/tool-gaps.js";

const S = 1e9;
const call = (id: string, name = "get_weather") => ({ id, name, arguments: '{"city":"Lisbon"}' });
const results = (...ids: string[]): ChatMessage[] => [
  { role: "user", content: "What is the weather?" },
  {
    role: "assistant",
    content: null,
    tool_calls: ids.map((id) => ({
      id,
      type: "function" as const,
      function: { name: "get_weather", arguments: "{}" },
    })),
  },
  ...ids.map((id): ChatMessage => ({ role: "tool", tool_call_id: id, content: `result of ${id}` })),
];

describe("traces/tool-gaps", () => {
  it("a request bringing the results of an answer's calls continues that answer's trace, with its parent", () => {
    const gaps = new ToolGaps();
    gaps.recordCalls("trace-a", 10 * S, "parent-a", [call("call_1"), call("call_2")]);
    assert.deepEqual(gaps.continued(11 * S, results("call_1", "call_2")), {
      traceId: "trace-a",
      parentSpanId: "parent-a",
    });
    // Only some of the calls answered (an agent that sends results as they come): still that trace.
    assert.deepEqual(gaps.continued(11 * S, results("call_2")), { traceId: "trace-a", parentSpanId: "parent-a" });
  });

  it("no tool results, results of calls never seen, or of calls already answered: no trace to continue", () => {
    const gaps = new ToolGaps();
    gaps.recordCalls("trace-a", 10 * S, undefined, [call("call_1")]);
    assert.equal(gaps.continued(11 * S, [{ role: "user", content: "hi" }]), undefined);
    assert.equal(gaps.continued(11 * S, results("call_other")), undefined);
    assert.equal(gaps.resultSpans("trace-a", 11 * S, results("call_1")).length, 1);
    assert.equal(
      gaps.continued(12 * S, results("call_1")),
      undefined,
      "answered once: a replayed history joins nothing",
    );
  });

  it("results answering calls of two traces, or an id pending in two traces, continue neither", () => {
    const gaps = new ToolGaps();
    gaps.recordCalls("trace-a", 10 * S, undefined, [call("call_a")]);
    gaps.recordCalls("trace-b", 10 * S, undefined, [call("call_b")]);
    assert.equal(gaps.continued(11 * S, results("call_a", "call_b")), undefined);
    assert.equal(gaps.continued(11 * S, results("call_a"))?.traceId, "trace-a");
    assert.equal(gaps.continued(11 * S, results("call_b"))?.traceId, "trace-b");
    // A server that numbers calls per answer (call_0 in every conversation) names no conversation by them.
    gaps.recordCalls("trace-c", 10 * S, undefined, [call("call_0")]);
    gaps.recordCalls("trace-d", 10 * S, undefined, [call("call_0")]);
    assert.equal(gaps.continued(11 * S, results("call_0")), undefined);
  });

  it("the same trace asking again replaces its pending calls; an unanswered call waits an hour at most", () => {
    const gaps = new ToolGaps();
    gaps.recordCalls("trace-a", 10 * S, undefined, [call("call_0")]);
    gaps.recordCalls("trace-a", 20 * S, undefined, [call("call_0"), call("call_9")]);
    assert.equal(gaps.continued(21 * S, results("call_0"))?.traceId, "trace-a", "its own id again is no conflict");
    assert.equal(gaps.continued(20 * S + 3601 * S, results("call_9")), undefined);
  });

  it("stays bounded: the oldest of more than 1,000 waiting sessions is dropped with its calls", () => {
    const gaps = new ToolGaps();
    for (let i = 0; i <= 1000; i++) gaps.recordCalls(`trace-${i}`, 10 * S, undefined, [call(`call_${i}`)]);
    assert.equal(gaps.continued(11 * S, results("call_0")), undefined, "the first session was dropped");
    assert.equal(gaps.continued(11 * S, results("call_1000"))?.traceId, "trace-1000");
    // Its id is free again: a new session asking for it is not taken for a conflict.
    gaps.recordCalls("trace-new", 12 * S, undefined, [call("call_0")]);
    assert.equal(gaps.continued(13 * S, results("call_0"))?.traceId, "trace-new");
  });
});
