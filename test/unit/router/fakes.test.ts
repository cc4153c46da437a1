// The fake upstreams must speak the vendors' real wire formats: the official SDKs are their clients here.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";

describe("router: fake upstreams speak the real wire formats", () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  before(async () => {
    openai = await FakeUpstream.start("openai", "sk-fake-openai-key-0000000000");
    anthropic = await FakeUpstream.start("anthropic", "sk-ant-fake-key-000000000000");
  });
  after(async () => {
    await openai.close();
    await anthropic.close();
  });
  beforeEach(() => {
    openai.reset();
    anthropic.reset();
  });

  it("openai SDK reads the fake's JSON, stream with tool calls, and 429 errors with retry-after", async () => {
    const client = new OpenAI({ apiKey: "sk-fake-openai-key-0000000000", baseURL: openai.baseURL, maxRetries: 0 });
    openai.script({ kind: "reply", text: "Hi there", usage: { input: 7, output: 2, cached: 3 } });
    const c = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(c.choices[0].message.content, "Hi there");
    assert.equal(c.usage?.prompt_tokens_details?.cached_tokens, 3);

    openai.script({
      kind: "reply",
      text: "Calling",
      toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
    });
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let args = "";
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
      usage += chunk.usage?.total_tokens ?? 0;
    }
    assert.equal(text, "Calling");
    assert.deepEqual(JSON.parse(args), { city: "Paris" });
    assert.equal(usage, 15);

    openai.script({ kind: "error", status: 429, headers: { "retry-after": "1" } });
    await assert.rejects(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.RateLimitError);
        assert.equal(e.headers?.get("retry-after"), "1");
        assert.match(e.message, /Rate limit reached/);
        return true;
      },
    );

    const bad = new OpenAI({ apiKey: "sk-wrong-key-000000000000000", baseURL: openai.baseURL, maxRetries: 0 });
    await assert.rejects(
      bad.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
      OpenAI.AuthenticationError,
    );
  });

  it("anthropic SDK reads the fake's Message, SSE stream with tool_use, and overloaded errors", async () => {
    const client = new Anthropic({ apiKey: "sk-ant-fake-key-000000000000", baseURL: anthropic.baseURL, maxRetries: 0 });
    anthropic.script({ kind: "reply", text: "Bonjour", usage: { input: 20, output: 3, cached: 12 } });
    const m = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(m.content, [{ type: "text", text: "Bonjour" }]);
    assert.equal(m.usage.cache_read_input_tokens, 12);
    assert.equal(m.usage.input_tokens, 8);

    anthropic.script({
      kind: "reply",
      text: "Let me look",
      toolCalls: [{ id: "toolu_1", name: "lookup", arguments: '{"q":"x","n":2}' }],
    });
    const stream = client.messages.stream({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, "tool_use");
    assert.deepEqual(final.content[1], { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x", n: 2 } });

    anthropic.script({ kind: "error", status: 529 });
    await assert.rejects(
      client.messages.create({ model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.APIError);
        assert.equal(e.status, 529);
        return true;
      },
    );
  });
});
