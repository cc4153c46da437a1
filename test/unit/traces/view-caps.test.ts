// A trace view's caps on long attributes (daemon/traces/view-caps.ts): what is cut, where, and what it says.
import assert from "node:assert/strict";
import type { SpanDto } from "../../../daemon/api.js";
import { capAttribute, detailOf, VIEW_ATTRIBUTE_CAPS } from "../../../daemon/traces/view-caps.js";

const caps = { chars: 10, argumentChars: 20 };

describe("traces: a view's caps on long attributes", () => {
  it("cuts text past its key's cap and says how much it left out; text at the cap stays whole", () => {
    assert.equal(capAttribute("gen_ai.tool.call.result", "x".repeat(10), caps), "x".repeat(10));
    assert.equal(
      capAttribute("gen_ai.tool.call.result", "x".repeat(11), caps),
      `${"x".repeat(10)}… (1 more characters)`,
    );
    assert.equal(capAttribute("gen_ai.tool.call.arguments", "y".repeat(20), caps), "y".repeat(20));
    assert.equal(
      capAttribute("gen_ai.tool.call.arguments", "y".repeat(25), caps),
      `${"y".repeat(20)}… (5 more characters)`,
    );
    // Arguments are the keys that end in ".arguments", not ones that merely contain it.
    assert.equal(capAttribute("x.arguments.count", "z".repeat(15), caps), `${"z".repeat(10)}… (5 more characters)`);
  });

  it("leaves anything that is not text as it is, whatever its size", () => {
    const list = Array.from({ length: 50 }, (_, i) => `item ${i}`);
    for (const v of [123456789012, true, null, list, [1, 2, 3]]) assert.equal(capAttribute("k", v, caps), v);
  });

  it("cuts a detail's spans in place, and says which caps it used; without caps the spans are as read", () => {
    const span = (attributes: SpanDto["attributes"]): SpanDto => ({
      traceId: "t".repeat(32),
      spanId: "s".repeat(16),
      name: "execute_tool Read",
      kind: "tool",
      startNs: 1,
      endNs: 2,
      status: "ok",
      attributes,
    });
    const long = "r".repeat(5000);
    const args = JSON.stringify({ content: "c".repeat(300_000) });
    const trace = { traceId: "t".repeat(32), source: "test", startNs: 1, endNs: 2, spanCount: 1 };
    const whole = detailOf(
      trace,
      [span({ "gen_ai.tool.call.result": long, "gen_ai.tool.call.arguments": args })],
      undefined,
    );
    assert.equal(whole.attributeCaps, undefined);
    assert.equal(whole.spans[0].attributes["gen_ai.tool.call.result"], long);
    const spans = [span({ "gen_ai.tool.call.result": long, "gen_ai.tool.call.arguments": args, n: 3 })];
    const cut = detailOf(trace, spans, VIEW_ATTRIBUTE_CAPS);
    assert.deepEqual(cut.attributeCaps, VIEW_ATTRIBUTE_CAPS);
    assert.equal(cut.spans, spans);
    assert.equal(spans[0].attributes["gen_ai.tool.call.result"], `${"r".repeat(4000)}… (1000 more characters)`);
    assert.equal(
      spans[0].attributes["gen_ai.tool.call.arguments"],
      `${args.slice(0, 200_000)}… (${args.length - 200_000} more characters)`,
    );
    assert.equal(spans[0].attributes.n, 3);
  });
});
