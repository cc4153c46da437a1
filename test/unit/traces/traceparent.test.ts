import assert from "node:assert/strict";
import { formatTraceparent, parseTraceparent, requestTraceContext } from "../../../daemon/traces/traceparent.js";

describe("traces/traceparent", () => {
  const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  it("parses a W3C traceparent", () => {
    assert.deepEqual(parseTraceparent(valid), {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
      sampled: true,
    });
    assert.equal(parseTraceparent(valid.replace(/01$/, "00"))?.sampled, false);
  });

  it("refuses invalid values (the spec says: start a new trace)", () => {
    for (const bad of [
      "",
      "garbage",
      valid.toUpperCase(),
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      `${valid}-extra`,
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "x".repeat(10_000),
    ]) {
      assert.equal(parseTraceparent(bad), undefined, bad.slice(0, 60));
    }
    assert.equal(parseTraceparent([valid, valid]), undefined);
    assert.ok(
      parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future`),
      "later versions may add fields",
    );
  });

  it("round-trips through formatTraceparent", () => {
    const p = parseTraceparent(formatTraceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"))!;
    assert.equal(p.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("joins the caller's trace, else one trace per conversation id, else a new trace", () => {
    const joined = requestTraceContext({ traceparent: valid, "x-hotpath-conversation-id": "c1" });
    assert.equal(joined.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(joined.parentSpanId, "00f067aa0ba902b7");
    assert.equal(joined.conversationId, "c1");
    assert.match(joined.spanId, /^[0-9a-f]{16}$/);
    const a = requestTraceContext({ "x-hotpath-conversation-id": "conv-42" });
    const b = requestTraceContext({ "x-hotpath-conversation-id": "conv-42" });
    assert.equal(a.traceId, b.traceId);
    assert.equal(a.joinedBy, "conversation");
    assert.notEqual(a.spanId, b.spanId);
    const fresh = requestTraceContext({});
    assert.equal(fresh.joinedBy, "new");
    assert.notEqual(fresh.traceId, requestTraceContext({}).traceId);
  });
});
