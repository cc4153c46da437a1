// The official OpenAI clients on the Responses API through the daemon to an OpenAI route: the `openai` SDK's
// responses.create / responses.stream with a function tool, and the OpenAI Agents SDK (@openai/agents) running an
// agent with one function tool. The upstream is a local fake of api.openai.com speaking the real Responses JSON and
// SSE event sequence, or a chat-only server the request is translated for; the fake model reads its second answer
// from the tool result it receives, as a model would. Nothing here is Hotpath's own client code.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { routedDaemonHooks } from "../../fixtures/agents/daemons.js";
import { readSpans, type StoredSpan } from "../../fixtures/agents/capture.js";
import type { ReplySpec } from "../../fixtures/upstreams/script.js";

const OPENAI_KEY = "sk-agents-e2e-SECRET-00112233445566778899";

const WEATHER_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "The current weather in a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};

/**
 * The fake model's second turn: it answers with what the tool returned, as a model would — a Responses
 * function_call_output item, or a chat `tool` message on a translated route.
 */
function answerFromToolResult(body: Record<string, unknown>): ReplySpec {
  const items = (Array.isArray(body.input) ? body.input : (body.messages ?? [])) as Record<string, unknown>[];
  const result = items.find((i) => i.type === "function_call_output" || i.role === "tool");
  if (!result) return { text: "I did not get the tool's result." };
  const value = result.output ?? result.content;
  const output = typeof value === "string" ? value : JSON.stringify(value);
  return { text: `Forecast: ${output}`, usage: { input: 80, output: 12 } };
}

const askWeather = (city: string, id: string): ReplySpec => ({
  toolCalls: [{ id, name: "get_weather", arguments: JSON.stringify({ city }) }],
  finish: "tool_calls",
  usage: { input: 60, output: 9 },
});

describe("agents: OpenAI SDK and Agents SDK with a function tool through Hotpath (OpenAI and chat-only upstreams)", function () {
  this.timeout(300_000);
  const gateway = routedDaemonHooks({
    flavor: "openai",
    apiKey: OPENAI_KEY,
    alias: "agent-smart",
    target: "gpt-5.4-mini",
    // A chat-only OpenAI-compatible server (vLLM, llama-server…): Responses requests are translated for it.
    chatOnly: { alias: "agent-chat", target: "qwen3-8b" },
  });
  beforeEach(() => {
    gateway.upstream?.reset();
    gateway.chatOnly?.reset();
  });

  /** An `openai` client pointed at the daemon; the conversation header makes its requests one trace. */
  const client = (conversation: string) =>
    new OpenAI({
      baseURL: gateway.daemon.baseURL,
      apiKey: gateway.daemon.token,
      maxRetries: 0,
      defaultHeaders: { "x-hotpath-conversation-id": conversation },
    });

  /** The spans of one conversation's trace: they must all share it. */
  async function sessionSpans(firstEndpoint: string, count: number): Promise<StoredSpan[]> {
    const llm = (await readSpans(gateway.daemon.dataDir)).filter(
      (s) => s.attributes["hotpath.endpoint"] === firstEndpoint,
    );
    const last = llm.slice(-count);
    assert.equal(new Set(last.map((s) => s.traceId)).size, 1, "the session's requests share one trace");
    return (await readSpans(gateway.daemon.dataDir)).filter((s) => s.traceId === last[0].traceId);
  }

  it("openai responses.create: a function call and its output pass through unchanged except the model", async () => {
    gateway.upstream.script(
      { kind: "reply", ...askWeather("Oslo", "call_oslo1") },
      { kind: "read", reply: answerFromToolResult },
    );
    const openai = client("sdk-create-1");
    const first = await openai.responses.create({
      model: "agent-smart",
      instructions: "Use the tool.",
      input: "Weather in Oslo?",
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
    });
    const call = first.output.find((i) => i.type === "function_call");
    assert.ok(call && call.type === "function_call", JSON.stringify(first.output));
    assert.equal(call.call_id, "call_oslo1");
    assert.deepEqual(JSON.parse(call.arguments), { city: "Oslo" });
    const secondInput = [
      { role: "user" as const, content: "Weather in Oslo?" },
      call,
      { type: "function_call_output" as const, call_id: call.call_id, output: "Oslo: -3°C, snow (station HP-2)" },
    ];
    const second = await openai.responses.create({ model: "agent-smart", input: secondInput, tools: [WEATHER_TOOL] });
    assert.equal(second.output_text, "Forecast: Oslo: -3°C, snow (station HP-2)");

    // What reached OpenAI: the SDK's bodies, only the model replaced by the route's.
    assert.equal(gateway.upstream.received.length, 2);
    const [a, b] = gateway.upstream.received.map((r) => r.body);
    assert.deepEqual(a, {
      model: "gpt-5.4-mini",
      instructions: "Use the tool.",
      input: "Weather in Oslo?",
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
    });
    assert.deepEqual(b, {
      model: "gpt-5.4-mini",
      input: JSON.parse(JSON.stringify(secondInput)),
      tools: [WEATHER_TOOL],
    });
    assert.equal(gateway.upstream.received[0].headers.authorization, `Bearer ${OPENAI_KEY}`);

    const spans = await sessionSpans("responses", 2);
    assert.equal(spans.filter((s) => s.kind !== "tool").length, 2);
    const tool = spans.find((s) => s.kind === "tool");
    assert.equal(tool?.attributes["gen_ai.tool.name"], "get_weather");
    assert.equal(tool?.attributes["gen_ai.tool.call.id"], "call_oslo1");
  });

  it("openai responses.stream: the upstream's event sequence reaches the SDK as sent (function call, then text)", async () => {
    gateway.upstream.script(
      { kind: "reply", ...askWeather("Rome", "call_rome1") },
      { kind: "read", reply: answerFromToolResult },
    );
    const openai = client("sdk-stream-1");
    const events: { type: string; sequence_number: number }[] = [];
    const stream = openai.responses.stream({ model: "agent-smart", input: "Weather in Rome?", tools: [WEATHER_TOOL] });
    for await (const e of stream) events.push(e);
    const first = await stream.finalResponse();
    // Relayed byte for byte: the upstream's own sequence numbers, in order, from 0.
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    assert.equal(events[0].type, "response.created");
    assert.ok(events.some((e) => e.type === "response.function_call_arguments.done"));
    assert.equal(events[events.length - 1].type, "response.completed");
    const call = first.output.find((i) => i.type === "function_call");
    assert.ok(call && call.type === "function_call");
    assert.deepEqual(JSON.parse(call.arguments), { city: "Rome" });

    const stream2 = openai.responses.stream({
      model: "agent-smart",
      input: [call, { type: "function_call_output", call_id: call.call_id, output: "Rome: 18°C, clear" }],
      tools: [WEATHER_TOOL],
    });
    let deltas = "";
    stream2.on("response.output_text.delta", (e) => (deltas += e.delta));
    const final = await stream2.finalResponse();
    assert.equal(final.output_text, "Forecast: Rome: 18°C, clear");
    assert.equal(deltas, final.output_text);
    assert.equal(gateway.upstream.received[0].body.stream, true);

    const spans = await sessionSpans("responses", 2);
    const llm = spans.filter((s) => s.kind !== "tool");
    assert.ok(
      llm.every(
        (s) => s.attributes["hotpath.stream"] === true && s.attributes["hotpath.route"] === "openai:gpt-5.4-mini",
      ),
    );
    assert.equal(spans.find((s) => s.kind === "tool")?.attributes["gen_ai.tool.call.id"], "call_rome1");
  });

  const agentCases = [
    { stream: false, alias: "agent-smart", model: "gpt-5.4-mini", via: "OpenAI, passed through", city: "Lisbon" },
    { stream: true, alias: "agent-smart", model: "gpt-5.4-mini", via: "OpenAI, passed through", city: "Kyoto" },
    { stream: false, alias: "agent-chat", model: "qwen3-8b", via: "a chat-only server, translated", city: "Quito" },
    { stream: true, alias: "agent-chat", model: "qwen3-8b", via: "a chat-only server, translated", city: "Accra" },
  ];
  for (const { stream, alias, model, via, city } of agentCases) {
    it(`@openai/agents: an agent with one function tool (${stream ? "streamed" : "unstreamed"} run, ${via}) is one trace with LLM and tool spans`, async () => {
      // Imported here: the Agents SDK is large, and only these cases need it.
      const { Agent, OpenAIResponsesModel, run, setDefaultOpenAIClient, setTracingDisabled, tool } =
        await import("@openai/agents");
      const { z } = await import("zod");
      setTracingDisabled(true); // its own trace export goes to api.openai.com; Hotpath records the trace instead
      const callId = `call_${city.toLowerCase()}1`;
      const target = alias === "agent-smart" ? gateway.upstream : gateway.chatOnly!;
      target.script({ kind: "reply", ...askWeather(city, callId) }, { kind: "read", reply: answerFromToolResult });
      // Both set-ups docs/agents/openai-agents-sdk.md gives: a model object, or a model name with the default client.
      // The SDK's provider keeps the first default client it sees, so only one case (the first run) can use it.
      const byName = alias === "agent-smart" && stream;
      if (byName) setDefaultOpenAIClient(client(`agents-sdk-${city}`));
      const ran: unknown[] = [];
      const getWeather = tool({
        name: "get_weather",
        description: "The current weather in a city.",
        parameters: z.object({ city: z.string() }),
        execute: async (args) => {
          ran.push(args);
          return `${args.city}: 21°C, light rain (station HP-7)`;
        },
      });
      const agent = new Agent({
        name: "Forecaster",
        instructions: "Answer weather questions with the get_weather tool.",
        model: byName ? alias : new OpenAIResponsesModel(client(`agents-sdk-${city}`), alias),
        tools: [getWeather],
      });
      let finalOutput: unknown;
      if (stream) {
        const result = await run(agent, `What's the weather in ${city}?`, { stream: true });
        for await (const _ of result.toTextStream()) void _;
        await result.completed;
        finalOutput = result.finalOutput;
      } else {
        finalOutput = (await run(agent, `What's the weather in ${city}?`)).finalOutput;
      }
      // The tool ran once with the model's arguments; its result went upstream and came back in the final answer.
      assert.deepEqual(ran, [{ city }]);
      assert.equal(finalOutput, `Forecast: ${city}: 21°C, light rain (station HP-7)`);
      assert.equal(target.received.length, 2);
      assert.equal(target.received[1].path, alias === "agent-smart" ? "/v1/responses" : "/v1/chat/completions");
      assert.equal(target.received[1].body.model, model);
      assert.equal(target.received[1].body.stream ?? false, stream);

      // One trace: two LLM spans (the ask, the answer) and the tool's time between them as a tool span.
      const spans = await sessionSpans("responses", 2);
      const llm = spans.filter((s) => s.kind !== "tool");
      const tools = spans.filter((s) => s.kind === "tool");
      assert.equal(llm.length, 2);
      assert.ok(
        llm.every(
          (s) =>
            s.attributes["hotpath.route"] === `${alias === "agent-smart" ? "openai" : "compat"}:${model}` &&
            s.status === "ok",
        ),
      );
      assert.equal(tools.length, 1);
      const t = tools[0];
      assert.equal(t.attributes["gen_ai.tool.name"], "get_weather");
      assert.equal(t.attributes["gen_ai.tool.call.id"], callId);
      assert.deepEqual(JSON.parse(String(t.attributes["gen_ai.tool.call.arguments"])), { city });
      assert.ok((t.attributes["hotpath.tool.result_chars"] as number) > 0);
      const [ask, answer] = [...llm].sort((x, y) => x.startNs - y.startNs);
      assert.ok(
        t.startNs >= ask.startNs && t.endNs <= answer.startNs + 1e6,
        "the tool span lies between the two calls",
      );
    });
  }

  it("a translated stream that breaks mid-way ends with OpenAI's in-band error event, numbered in sequence", async () => {
    gateway.chatOnly!.script({
      kind: "reset",
      afterEvents: 4,
      text: "This answer is cut off before it ends.",
      chunk: 4,
    });
    const res = await gateway.daemon.fetch("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "agent-chat", input: "Tell me a story", stream: true }),
    });
    assert.equal(res.status, 200);
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    const data = frames.map((f) => JSON.parse(f.slice(f.indexOf("data: ") + 6)) as Record<string, unknown>);
    assert.equal(data[0].type, "response.created");
    assert.ok(
      data.some((d) => d.type === "response.output_text.delta"),
      "text before the break arrived",
    );
    const last = data[data.length - 1];
    assert.match(frames[frames.length - 1], /^event: error\n/);
    assert.equal(last.type, "error");
    assert.equal(last.sequence_number, data.length - 1);
    assert.equal(typeof last.message, "string");
    assert.ok(!data.some((d) => d.type === "response.completed"));
  });
});
