// The Vercel AI SDK (pinned in test/fixtures/agents/ai-sdk.ts) through Hotpath: a two-step tool loop — the model asks
// for a tool, the SDK runs it and sends the result, the model answers from it — with each of its providers (OpenAI on
// Responses and on chat completions, Anthropic) against each kind of route (the vendor's own, passed through; another
// vendor's, translated; a chat-only OpenAI-compatible server), streamed and not. The loop must end with the answer
// made from the tool's result, and be one trace with the tool's span between the two model calls although the SDK
// names no session (the daemon follows it by its tool calls).
import assert from "node:assert/strict";
import { readSpans } from "../../fixtures/agents/capture.js";
import { loadAiSdk, type AiSdk } from "../../fixtures/agents/ai-sdk.js";
import { routedDaemonHooks } from "../../fixtures/agents/daemons.js";
import type { FakeUpstream } from "../../fixtures/upstreams/fake.js";

const KEY = "sk-ai-sdk-e2e-SECRET-99aa88bb";

describe("agents: Vercel AI SDK tool loops through Hotpath", function () {
  this.timeout(300_000);
  let sdk: AiSdk;
  before(async function () {
    const loaded = await loadAiSdk();
    if ("skip" in loaded) {
      console.log(`      skipped: ${loaded.skip}`);
      this.skip();
    }
    sdk = loaded as AiSdk;
  });

  for (const flavor of ["openai", "anthropic"] as const) {
    describe(`routes to a fake ${flavor === "openai" ? "OpenAI" : "Anthropic"} upstream and a chat-only server`, () => {
      const gateway = routedDaemonHooks({
        flavor,
        apiKey: KEY,
        alias: "cloud",
        target: flavor === "openai" ? "gpt-5.4-mini" : "claude-sonnet-4-5",
        chatOnly: { alias: "compat", target: "qwen3-8b" },
      });
      const providers = {
        "openai (Responses)": (model: string) =>
          sdk.openai.createOpenAI({ baseURL: `${gateway.daemon.url}/v1`, apiKey: gateway.daemon.token })(model),
        "openai (chat)": (model: string) =>
          sdk.openai.createOpenAI({ baseURL: `${gateway.daemon.url}/v1`, apiKey: gateway.daemon.token }).chat(model),
        anthropic: (model: string) =>
          sdk.anthropic.createAnthropic({ baseURL: `${gateway.daemon.url}/v1`, apiKey: gateway.daemon.token })(model),
      };

      for (const [provider, model] of Object.entries(providers))
        for (const alias of ["cloud", "compat"])
          for (const stream of [false, true]) {
            it(`${provider} → ${alias === "cloud" ? flavor : "chat-only"}, ${stream ? "streamText" : "generateText"}`, async () => {
              const upstream: FakeUpstream = alias === "cloud" ? gateway.upstream : gateway.chatOnly!;
              const city = `${provider}-${alias}-${stream}`.replace(/\W+/g, "-");
              const callId = `call_${city}`;
              upstream.script(
                { kind: "reply", toolCalls: [{ id: callId, name: "weather", arguments: JSON.stringify({ city }) }] },
                {
                  kind: "read",
                  reply: (body) => ({
                    text: JSON.stringify(body).includes(`sunny in ${city}`) ? `It is sunny in ${city}.` : "NO RESULT",
                  }),
                },
              );
              const asked = upstream.received.length;
              const before = (await readSpans(gateway.daemon.dataDir)).length;
              const ran: unknown[] = [];
              const weather = sdk.ai.tool({
                description: "The weather in a city",
                inputSchema: sdk.ai.jsonSchema({
                  type: "object",
                  properties: { city: { type: "string" } },
                  required: ["city"],
                }),
                execute: async (input: { city: string }) => {
                  ran.push(input);
                  return `sunny in ${input.city}`;
                },
              });
              const args = {
                model: model(alias),
                tools: { weather },
                prompt: `Weather in ${city}?`,
                maxOutputTokens: 256,
                stopWhen: sdk.ai.stepCountIs(3),
              };
              let text = "";
              let steps: unknown[];
              if (stream) {
                const r = sdk.ai.streamText(args);
                for await (const delta of r.textStream) text += delta;
                steps = await r.steps;
              } else {
                const r = await sdk.ai.generateText(args);
                text = r.text;
                steps = r.steps;
              }
              assert.deepEqual(ran, [{ city }], "the SDK ran the tool with the arguments the model asked for");
              assert.equal(text, `It is sunny in ${city}.`);
              assert.equal(steps.length, 2);
              assert.equal(upstream.received.length - asked, 2, "two requests reached the route's upstream");

              const spans = (await readSpans(gateway.daemon.dataDir)).slice(before);
              assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, JSON.stringify(spans.map((s) => s.kind)));
              const llm = spans.filter((s) => s.kind === "llm");
              const tools = spans.filter((s) => s.kind === "tool");
              assert.equal(llm.length, 2);
              assert.equal(tools.length, 1);
              assert.equal(tools[0].attributes["gen_ai.tool.name"], "weather");
              assert.equal(tools[0].attributes["gen_ai.tool.call.id"], callId);
              assert.ok(llm[0].endNs <= tools[0].startNs && tools[0].endNs <= llm[1].startNs + 1e6);
            });
          }
    });
  }
});
