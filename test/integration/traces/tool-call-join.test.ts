// A plain SDK loop names no session (no traceparent, no x-hotpath-conversation-id): the daemon follows it by its tool
// calls. A request that brings the results of the calls an answer asked for joins that answer's trace, and the time
// in between becomes the tool's span — for the official OpenAI (chat, Responses) and Anthropic SDKs, through a real
// daemon routing to a fake OpenAI upstream.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { readSpans, type StoredSpan } from "../../fixtures/agents/capture.js";
import { routedDaemonHooks } from "../../fixtures/agents/daemons.js";
import type { ReplySpec } from "../../fixtures/upstreams/script.js";

const KEY = "sk-tool-join-SECRET-00112233";
const TOOL = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const ask = (city: string, id: string): ReplySpec => ({
  toolCalls: [{ id, name: "get_weather", arguments: JSON.stringify({ city }) }],
  finish: "tool_calls",
});

describe("traces: a client without a session is followed by its tool calls", function () {
  this.timeout(120_000);
  const gateway = routedDaemonHooks({ flavor: "openai", apiKey: KEY, alias: "smart", target: "gpt-5.4-mini" });
  const openai = () => new OpenAI({ baseURL: `${gateway.daemon.url}/v1`, apiKey: gateway.daemon.token, maxRetries: 0 });
  let seen = 0;
  beforeEach(async () => {
    gateway.upstream.reset();
    seen = (await readSpans(gateway.daemon.dataDir)).length;
  });
  const newSpans = async () => (await readSpans(gateway.daemon.dataDir)).slice(seen);
  const traces = (spans: StoredSpan[]) => new Set(spans.map((s) => s.traceId));

  /** One trace: ask, the tool's time, answer — the tool span between the two calls, named by the call. */
  function assertOneLoop(spans: StoredSpan[], callId: string): void {
    assert.equal(traces(spans).size, 1, JSON.stringify(spans.map((s) => [s.kind, s.traceId])));
    const llm = spans.filter((s) => s.kind === "llm");
    const tool = spans.filter((s) => s.kind === "tool");
    assert.equal(llm.length, 2);
    assert.equal(tool.length, 1);
    assert.equal(tool[0].attributes["gen_ai.tool.call.id"], callId);
    assert.equal(tool[0].attributes["gen_ai.tool.name"], "get_weather");
    assert.ok(llm[0].endNs <= tool[0].startNs && tool[0].endNs <= llm[1].startNs + 1e6, "between the calls");
  }

  it("OpenAI chat completions, streamed answer then unstreamed", async () => {
    gateway.upstream.script({ kind: "reply", ...ask("Oslo", "call_oslo") }, { kind: "reply", text: "Snow." });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const stream = await openai().chat.completions.create({ model: "smart", messages, tools: [TOOL], stream: true });
    const calls: { id?: string; function?: { name?: string; arguments?: string } }[] = [];
    for await (const chunk of stream) for (const c of chunk.choices[0]?.delta.tool_calls ?? []) calls.push(c);
    const id = calls.find((c) => c.id)!.id!;
    messages.push(
      {
        role: "assistant",
        tool_calls: [{ id, type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
      },
      { role: "tool", tool_call_id: id, content: "Oslo: -3°C, snow" },
    );
    const done = await openai().chat.completions.create({ model: "smart", messages, tools: [TOOL] });
    assert.equal(done.choices[0].message.content, "Snow.");
    assertOneLoop(await newSpans(), "call_oslo");
  });

  it("OpenAI Responses: a function_call_output item", async () => {
    gateway.upstream.script({ kind: "reply", ...ask("Rome", "call_rome") }, { kind: "reply", text: "Clear." });
    const tools = [
      { type: "function" as const, name: "get_weather", parameters: TOOL.function.parameters, strict: false },
    ];
    const first = await openai().responses.create({ model: "smart", input: "Weather in Rome?", tools });
    const call = first.output.find((i) => i.type === "function_call")!;
    assert.ok(call && call.type === "function_call");
    await openai().responses.create({
      model: "smart",
      input: [call, { type: "function_call_output", call_id: call.call_id, output: "Rome: 18°C" }],
      tools,
    });
    assertOneLoop(await newSpans(), "call_rome");
  });

  it("Anthropic Messages (translated to the OpenAI upstream): a tool_result block", async () => {
    gateway.upstream.script({ kind: "reply", ...ask("Kyoto", "call_kyoto") }, { kind: "reply", text: "Rain." });
    const anthropic = new Anthropic({ baseURL: gateway.daemon.url, apiKey: gateway.daemon.token, maxRetries: 0 });
    const tools = [{ name: "get_weather", input_schema: { type: "object" as const, properties: {} } }];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Weather in Kyoto?" }];
    const first = await anthropic.messages.create({ model: "smart", max_tokens: 64, messages, tools });
    const use = first.content.find((b) => b.type === "tool_use")!;
    assert.ok(use && use.type === "tool_use");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Kyoto: 12°C, rain" }] },
    );
    await anthropic.messages.create({ model: "smart", max_tokens: 64, messages, tools });
    assertOneLoop(await newSpans(), "call_kyoto");
  });

  it("two loops at once stay two traces; results of calls it never answered start a trace of their own", async () => {
    gateway.upstream.script(
      { kind: "reply", ...ask("Quito", "call_quito") },
      { kind: "reply", ...ask("Accra", "call_accra") },
      { kind: "reply", text: "Accra: hot." },
      { kind: "reply", text: "Quito: mild." },
      { kind: "reply", text: "Unrelated." },
    );
    const first = (city: string) =>
      openai().chat.completions.create({ model: "smart", messages: [{ role: "user", content: city }], tools: [TOOL] });
    const then = (city: string, id: string) =>
      openai().chat.completions.create({
        model: "smart",
        tools: [TOOL],
        messages: [
          { role: "user", content: city },
          {
            role: "assistant",
            tool_calls: [{ id, type: "function", function: { name: "get_weather", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: id, content: `${city}: fine` },
        ],
      });
    await first("Quito");
    await first("Accra");
    await then("Accra", "call_accra");
    await then("Quito", "call_quito");
    await then("Lima", "call_never_asked");
    const spans = await newSpans();
    assert.equal(traces(spans).size, 3);
    for (const id of ["call_quito", "call_accra"]) {
      const tool = spans.find((s) => s.kind === "tool" && s.attributes["gen_ai.tool.call.id"] === id)!;
      assertOneLoop(
        spans.filter((s) => s.traceId === tool.traceId),
        id,
      );
    }
  });

  it("a named session keeps its own trace: the conversation id wins over the calls", async () => {
    gateway.upstream.script({ kind: "reply", ...ask("Lagos", "call_lagos") }, { kind: "reply", text: "Humid." });
    await openai().chat.completions.create({
      model: "smart",
      messages: [{ role: "user", content: "Lagos" }],
      tools: [TOOL],
    });
    const named = await openai()
      .chat.completions.create(
        {
          model: "smart",
          tools: [TOOL],
          messages: [
            { role: "user", content: "Lagos" },
            {
              role: "assistant",
              tool_calls: [{ id: "call_lagos", type: "function", function: { name: "get_weather", arguments: "{}" } }],
            },
            { role: "tool", tool_call_id: "call_lagos", content: "Lagos: 30°C" },
          ],
        },
        { headers: { "x-hotpath-conversation-id": "conv-lagos" } },
      )
      .withResponse();
    assert.ok(named.response.ok);
    const spans = await newSpans();
    assert.equal(traces(spans).size, 2);
    assert.equal(spans.filter((s) => s.kind === "tool").length, 0, "the calls were asked in another trace");
  });
});
