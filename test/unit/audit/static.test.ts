import assert from "node:assert/strict";
import { openDb } from "../../../daemon/db.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import type { Span } from "../../../daemon/traces/span.js";
import { recordedUse } from "../../../daemon/audit/recorded.js";
import { parsePrompt } from "../../../daemon/audit/sections/index.js";
import { findings, sectionDtos } from "../../../daemon/audit/static.js";
import { estimateCounter, openaiCounter, counterForModelName } from "../../../daemon/audit/tokens.js";

const SYSTEM = [
  "# Rules",
  "Always cite the order number in your reply to the customer.",
  "",
  "# Reminders",
  "Always cite the order number in your reply to the customer. Be kind.",
  "",
  "# Examples",
  "Example 1: short one.",
  "",
  "Example 2: short two.",
  "",
  `Example 3: ${"a very long example sentence that goes on and on. ".repeat(12)}`,
].join("\n");

const chat = JSON.stringify({
  messages: [
    { role: "system", content: SYSTEM },
    { role: "user", content: "hi" },
  ],
  tools: [
    {
      type: "function",
      function: { name: "lookup_order", parameters: { type: "object", properties: { id: { type: "string" } } } },
    },
    { type: "function", function: { name: "send_coupon", parameters: { type: "object", properties: {} } } },
  ],
});

function llmSpan(i: number, traceId: string, calls: string[]): Span {
  return {
    traceId,
    spanId: `s${i}`,
    name: "chat",
    kind: "llm",
    startNs: 1e18 + i * 1e9,
    endNs: 1e18 + i * 1e9 + 5e8,
    status: "ok",
    attributes: {
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.input.messages": JSON.stringify([
        { role: "system", parts: [{ type: "text", content: `${SYSTEM}\n` }] },
        { role: "user", parts: [{ type: "text", content: `question ${i}` }] },
      ]),
      "gen_ai.usage.input_tokens": 100 + i * 10,
      ...(calls.length ? { "hotpath.tool_call_names": calls } : {}),
    },
  };
}

describe("audit static findings", () => {
  it("finds duplicated sentences across sections and oversized few-shot examples, with token shares", () => {
    const doc = parsePrompt(chat, { fileName: "p.json" });
    const counter = openaiCounter("gpt-4o-mini");
    const { sections, totalTokens } = sectionDtos(doc, counter);
    assert.equal(Math.round(sections.reduce((a, s) => a + s.share, 0) * 1000) / 1000, 1);
    assert.equal(
      totalTokens,
      sections.reduce((a, s) => a + s.tokens, 0),
    );
    const f = findings(doc, counter);
    const dup = f.find((x) => x.kind === "duplicate-sentence")!;
    assert.match(dup.message, /Always cite the order number/);
    assert.deepEqual(dup.sectionIds, ["s1", "s2"]);
    assert.ok(dup.tokens! > 5);
    const big = f.filter((x) => x.kind === "oversized-example");
    assert.equal(big.length, 1);
    assert.match(big[0].message, /Example 3/);
    assert.ok(!f.some((x) => x.kind === "unused-tool"), "no traces, no unused-tool claim");
  });

  it("reads recorded traces: average and p95 prompt tokens, inputs, and tools never called", () => {
    const db = openDb(":memory:");
    const traces = new TraceStore(db);
    const spans = Array.from({ length: 20 }, (_, i) => llmSpan(i, `t${i % 4}`, i === 3 ? ["lookup_order"] : []));
    // A call with another system prompt must not count.
    spans.push({
      ...llmSpan(99, "t9", ["send_coupon"]),
      attributes: { "gen_ai.input.messages": JSON.stringify([{ role: "system", content: "other" }]) },
    });
    traces.writeSpans(spans, "import:test");
    const doc = parsePrompt(chat, { fileName: "p.json" });
    const used = recordedUse(traces, doc);
    assert.equal(used.stats.calls, 20);
    assert.equal(used.stats.avgPromptTokens, 195);
    assert.equal(used.stats.p95PromptTokens, 100 + 18.05 * 10);
    assert.equal(used.inputs[0], "question 19");
    assert.equal(used.toolCalls.get("lookup_order"), 1);
    assert.equal(used.toolCalls.get("send_coupon"), undefined);
    const unused = findings(doc, estimateCounter(), used).filter((x) => x.kind === "unused-tool");
    assert.deepEqual(
      unused.map((u) => u.sectionIds),
      [["tool:send_coupon"]],
    );
    assert.match(unused[0].message, /never called in 20 recorded calls/);
  });

  it("counts OpenAI tokens exactly and labels everything else an estimate", () => {
    assert.equal(openaiCounter("gpt-4o").count("hello world"), 2);
    assert.equal(openaiCounter("gpt-4o").tokenizer, "openai:o200k_base");
    assert.equal(openaiCounter("gpt-4-turbo").tokenizer, "openai:cl100k_base");
    const claude = counterForModelName("anthropic:claude-sonnet-4");
    assert.equal(claude.exact, false);
    assert.match(claude.tokenizer, /^estimate/);
    assert.equal(counterForModelName("gpt-4.1-mini").exact, true);
  });
});
