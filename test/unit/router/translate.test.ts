// Translation between OpenAI chat and Anthropic messages: requests both ways, responses, and streams.
import assert from "node:assert/strict";
import type { AnthropicMessagesRequest, ChatCompletionRequest } from "../../../daemon/api.js";
import { AnthropicMessagesRequestSchema } from "../../../daemon/api.js";
import type { ChatEvent } from "../../../daemon/chat.js";
import { chatToMessages, messagesToChat, TranslationError } from "../../../daemon/router/translate/request.js";
import { collectMessage, messageToEvents } from "../../../daemon/router/translate/response.js";
import { anthropicStreamToEvents, eventsToAnthropicStream } from "../../../daemon/router/translate/stream.js";
import { anthropicMessage, anthropicStreamFrames } from "../../fixtures/upstreams/anthropic-wire.js";
import { all, chatUsage, from, parseSse } from "../../fixtures/events.js";

const weather = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("router: translation OpenAI chat <-> Anthropic messages", () => {
  it("Anthropic request -> chat -> Anthropic request keeps system, tools, tool results, images and parallel-tool setting", () => {
    const original: AnthropicMessagesRequest = AnthropicMessagesRequestSchema.parse({
      model: "claude-sonnet-4-5",
      max_tokens: 300,
      system: [{ type: "text", text: "Be brief." }],
      temperature: 0.3,
      stop_sequences: ["END"],
      tools: [weather],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      metadata: { user_id: "u-1" },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather here?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
            { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "rain" }], is_error: false },
            { type: "text", text: "Thanks" },
          ],
        },
      ],
    });
    const chat = messagesToChat(original);
    assert.deepEqual(
      chat.messages.map((m) => m.role),
      ["system", "user", "assistant", "tool", "tool", "user"],
    );
    assert.equal(chat.parallel_tool_calls, false);
    assert.equal(chat.tool_choice, "required");
    assert.deepEqual(chat.stop, ["END"]);
    assert.equal(chat.user, "u-1");
    const user = chat.messages[1] as Extract<ChatCompletionRequest["messages"][number], { role: "user" }>;
    assert.deepEqual(user.content, [
      { type: "text", text: "Weather here?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K" } },
    ]);

    const back = chatToMessages(chat, "claude-sonnet-4-5") as Record<string, any>;
    assert.equal(back.system, "Be brief.");
    assert.equal(back.max_tokens, 300);
    assert.deepEqual(back.stop_sequences, ["END"]);
    assert.deepEqual(back.tool_choice, { type: "any", disable_parallel_tool_use: true });
    assert.deepEqual(back.tools, [weather]);
    assert.deepEqual(back.metadata, { user_id: "u-1" });
    assert.deepEqual(back.messages[0].content[1], {
      type: "image",
      source: { type: "base64", media_type: "image/png", data: "iVBORw0K" },
    });
    assert.deepEqual(back.messages[1].content, original.messages[1].content);
    // The two tool results and the text merge back into one user turn, in order.
    assert.deepEqual(back.messages[2].content, [
      { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
      { type: "tool_result", tool_use_id: "toolu_2", content: "rain" },
      { type: "text", text: "Thanks" },
    ]);
    assert.equal(back.messages.length, 3);
  });

  it("chat -> Anthropic: tool_choice and parallel_tool_calls map onto tool_choice.disable_parallel_tool_use; temperature is clamped", () => {
    const base: ChatCompletionRequest = {
      model: "x",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "f" } }],
    };
    assert.deepEqual(chatToMessages({ ...base, parallel_tool_calls: false }, "m").tool_choice, {
      type: "auto",
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(
      chatToMessages({ ...base, tool_choice: { type: "function", function: { name: "f" } } }, "m").tool_choice,
      { type: "tool", name: "f" },
    );
    const none = chatToMessages({ ...base, tool_choice: "none" }, "m");
    assert.deepEqual(none.tool_choice, { type: "none" });
    assert.equal(none.tools, undefined);
    assert.equal(chatToMessages({ ...base, temperature: 1.7 }, "m").temperature, 1);
    assert.equal(chatToMessages(base, "m").max_tokens, 4096, "Anthropic requires max_tokens");
    assert.deepEqual((chatToMessages(base, "m").tools as any[])[0].input_schema, { type: "object", properties: {} });
  });

  it("refuses what Anthropic cannot take, with a message that says why", () => {
    assert.throws(
      () =>
        chatToMessages(
          {
            model: "x",
            messages: [
              {
                role: "assistant",
                tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: "{not json" } }],
              },
            ],
          },
          "m",
        ),
      TranslationError,
    );
    assert.throws(
      () =>
        chatToMessages(
          {
            model: "x",
            messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }] }],
          },
          "m",
        ),
      /data: URL or an http/,
    );
    assert.throws(
      () =>
        messagesToChat(
          AnthropicMessagesRequestSchema.parse({
            model: "m",
            max_tokens: 5,
            messages: [{ role: "user", content: [{ type: "tool_use", id: "a", name: "b", input: {} }] }],
          }),
        ),
      TranslationError,
    );
  });

  it("Anthropic Message -> events -> Anthropic Message round trip, with usage incl. cache reads and stop reasons", async () => {
    const msg = anthropicMessage("claude-haiku-4-5", {
      text: "Calling.",
      toolCalls: [{ id: "toolu_9", name: "get_weather", arguments: '{"city":"Rome"}' }],
      usage: { input: 120, output: 30, cached: 100 },
    });
    const events = [...messageToEvents(msg)];
    const done = events.at(-1) as Extract<ChatEvent, { type: "done" }>;
    assert.equal(done.finishReason, "tool_calls");
    assert.deepEqual(done.usage, chatUsage(120, 30, 100));
    const back = await collectMessage(from(events), { id: "msg_x", model: "fallback" });
    assert.deepEqual(back.content, msg.content);
    assert.equal(back.stop_reason, "tool_use");
    assert.equal(back.model, "claude-haiku-4-5");
    assert.deepEqual(back.usage, {
      input_tokens: 20,
      output_tokens: 30,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 100,
    });
  });

  it("Anthropic SSE -> events -> Anthropic SSE round trip with text and two tool_use blocks", async () => {
    const spec = {
      text: "Two lookups.",
      toolCalls: [
        { id: "toolu_a", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "toolu_b", name: "get_weather", arguments: '{"city":"Lima"}' },
      ],
      usage: { input: 50, output: 12, cached: 0 },
    };
    const upstream = parseSse(anthropicStreamFrames("claude-haiku-4-5", spec));
    const events = await all(anthropicStreamToEvents(from(upstream), "test"));
    const toolStarts = events.filter((e) => e.type === "tool_call_delta" && e.id);
    assert.deepEqual(
      toolStarts.map((e) => e.type === "tool_call_delta" && [e.index, e.id, e.name]),
      [
        [0, "toolu_a", "get_weather"],
        [1, "toolu_b", "get_weather"],
      ],
    );
    const rendered = await all(eventsToAnthropicStream(from(events), { id: "msg_fake123", model: "claude-haiku-4-5" }));
    // Same event sequence as the vendor's (pings aside), and the same blocks once folded.
    const vendorTypes = upstream.map((m) => m.event).filter((t) => t !== "ping");
    const ourTypes = rendered.map((e) => e.event);
    const blockTypes = (types: (string | undefined)[]) => types.filter((t) => t !== "content_block_delta");
    assert.deepEqual(blockTypes(ourTypes), blockTypes(vendorTypes));
    const again = await all(
      anthropicStreamToEvents(from(rendered.map((e) => ({ event: e.event, data: JSON.stringify(e.data) }))), "test"),
    );
    const fold = (es: ChatEvent[]) => collectMessage(from(es), { id: "m", model: "m" });
    const a = await fold(events);
    const b = await fold(again);
    assert.deepEqual(b.content, a.content);
    assert.equal(b.stop_reason, "tool_use");
    assert.deepEqual(b.usage, a.usage);
  });

  it("an Anthropic stream that stops before message_stop, or sends an error event, throws", async () => {
    const frames = parseSse(anthropicStreamFrames("m", { text: "cut short" }));
    await assert.rejects(
      all(anthropicStreamToEvents(from(frames.slice(0, 4)), "up")),
      /ended the stream before message_stop/,
    );
    const overloaded = [
      ...frames.slice(0, 3),
      {
        event: "error",
        data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
        id: undefined,
      },
    ];
    await assert.rejects(
      all(anthropicStreamToEvents(from(overloaded), "up")),
      (e: any) => e.status === 529 && /Overloaded/.test(e.message),
    );
  });

  it("hostile tool arguments from a model do not break the Anthropic rendering", async () => {
    const events: ChatEvent[] = [
      { type: "tool_call_delta", index: 0, id: "c1", name: "f", arguments: '{"a": [1, 2' },
      {
        type: "done",
        finishReason: "tool_calls",
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, prompt_tokens_details: { cached_tokens: 0 } },
      },
    ];
    const msg = await collectMessage(from(events), { id: "m", model: "m" });
    assert.deepEqual(msg.content[0], { type: "tool_use", id: "c1", name: "f", input: { _raw: '{"a": [1, 2' } });
  });
});
