// The OpenAI Responses API translation: requests (as Codex and the Agents SDK send them) to chat requests, events to
// the documented SSE sequence and back, and what current Anthropic clients (Claude Code) send on /v1/messages.
import assert from "node:assert/strict";
import { AnthropicMessagesRequestSchema, ResponsesRequestSchema } from "../../../daemon/api.js";
import type { ChatEvent } from "../../../daemon/chat.js";
import { messagesToChat, TranslationError } from "../../../daemon/router/translate/request.js";
import {
  collectResponse,
  eventsToResponsesStream,
  responsesStreamToEvents,
  responsesToChat,
  responseToEvents,
  type ResponseMeta,
} from "../../../daemon/router/translate/responses.js";
import { responsesObject, responsesStreamFrames } from "../../fixtures/upstreams/responses-wire.js";
import { all, chatUsage, from, parseSse } from "../../fixtures/events.js";

const usage = chatUsage(30, 7, 20);
/** A response to `{ model: "m", input: "hi" }` whose custom tools are `customTools`. */
const metaFor = (id: string, customTools: string[]): ResponseMeta => ({
  id,
  model: "m",
  createdAt: 1,
  request: ResponsesRequestSchema.parse({ model: "m", input: "hi" }),
  customTools: new Set(customTools),
});

describe("router: the OpenAI Responses API translation", () => {
  it("input items as Codex sends them become chat messages in order (developer, calls joined to their turn, outputs, custom tools)", () => {
    const req = ResponsesRequestSchema.parse({
      model: "m",
      instructions: "Be brief.",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "You are Codex." }] },
        { role: "user", content: "list files" },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAA" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Looking." }] },
        { type: "function_call", call_id: "c1", name: "exec_command", arguments: '{"cmd":"ls"}' },
        { type: "custom_tool_call", call_id: "c2", name: "apply_patch", input: "*** Begin Patch" },
        { type: "function_call_output", call_id: "c1", output: "a.txt" },
        { type: "custom_tool_call_output", call_id: "c2", output: [{ type: "input_text", text: "Done!" }] },
        { type: "message", role: "system", content: "Mid-conversation note." },
      ],
      tools: [
        {
          type: "function",
          name: "exec_command",
          description: "run",
          parameters: { type: "object", properties: { cmd: { type: "string" } } },
          strict: false,
        },
        {
          type: "custom",
          name: "apply_patch",
          description: "edit files",
          format: { type: "grammar", syntax: "lark", definition: "start: x" },
        },
        { type: "web_search", external_web_access: false },
      ],
      tool_choice: "auto",
      reasoning: { effort: "medium" },
      max_output_tokens: 50,
      text: {
        format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
        verbosity: "low",
      },
      future_field: { anything: 1 },
    });
    const { chat, customTools, ignored } = responsesToChat(req);
    assert.deepEqual(
      chat.messages.map((m) => m.role),
      ["system", "developer", "user", "assistant", "tool", "tool", "system"],
    );
    const a = chat.messages[3] as {
      content: string;
      tool_calls: { id: string; function: { name: string; arguments: string } }[];
    };
    assert.equal(a.content, "Looking.");
    assert.deepEqual(
      a.tool_calls.map((c) => [c.id, c.function.name, c.function.arguments]),
      [
        ["c1", "exec_command", '{"cmd":"ls"}'],
        ["c2", "apply_patch", '{"input":"*** Begin Patch"}'],
      ],
    );
    assert.equal((chat.messages[5] as { content: string }).content, "Done!");
    assert.deepEqual(
      chat.tools!.map((t) => t.function.name),
      ["exec_command", "apply_patch"],
    );
    assert.deepEqual(chat.tools![1].function.parameters, {
      type: "object",
      properties: { input: { type: "string" } },
      required: ["input"],
    });
    assert.ok(customTools.has("apply_patch"));
    assert.deepEqual(ignored.sort(), ["reasoning items", "reasoning.effort", "web_search tool"]);
    assert.equal(chat.max_completion_tokens, 50);
    assert.deepEqual(chat.response_format, {
      type: "json_schema",
      json_schema: { name: "out", schema: { type: "object" }, strict: true },
    });
  });

  it("refuses what no translated route can serve, with a reason", () => {
    const forced = ResponsesRequestSchema.parse({
      model: "m",
      input: "hi",
      tools: [{ type: "web_search" }],
      tool_choice: { type: "web_search" },
    });
    assert.throws(
      () => responsesToChat(forced),
      (e: Error) => e instanceof TranslationError && /only OpenAI can run/.test(e.message),
    );
    const ref = ResponsesRequestSchema.parse({
      model: "m",
      input: [
        { type: "item_reference", id: "msg_1" },
        { role: "user", content: "x" },
      ],
    });
    assert.throws(() => responsesToChat(ref), TranslationError);
    assert.throws(
      () => ResponsesRequestSchema.parse({ model: "m", input: [{ type: "function_call", name: "f" }] }),
      /call_id/,
    );
    assert.throws(
      () => responsesToChat(ResponsesRequestSchema.parse({ model: "m", instructions: "x", input: [] })),
      /no message/,
    );
  });

  it("events -> the documented SSE sequence, with sequence numbers, text and a function call, usage with cached tokens", async () => {
    const meta = metaFor("resp_abc", []);
    const events: ChatEvent[] = [
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "tool_call_delta", index: 0, id: "call_1", name: "f", arguments: '{"a"' },
      { type: "tool_call_delta", index: 0, arguments: ":1}" },
      { type: "done", finishReason: "tool_calls", usage },
    ];
    const out = await all(eventsToResponsesStream(from(events), meta));
    assert.deepEqual(
      out.map((e) => e.event),
      [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual(
      out.map((e) => e.data.sequence_number),
      out.map((_, i) => i),
    );
    const final = out[out.length - 1].data.response as {
      output: { type: string }[];
      usage: { input_tokens_details: { cached_tokens: number } };
      status: string;
    };
    assert.equal(final.status, "completed");
    assert.deepEqual(
      final.output.map((o) => o.type),
      ["message", "function_call"],
    );
    assert.equal(final.usage.input_tokens_details.cached_tokens, 20);
    const done = out.find((e) => e.event === "response.function_call_arguments.done")!.data;
    assert.equal(done.arguments, '{"a":1}');
  });

  it("a custom tool's call goes back as custom_tool_call with its free-form input; max tokens make it incomplete", async () => {
    const meta = metaFor("resp_x", ["apply_patch"]);
    const r = await collectResponse(
      from<ChatEvent>([
        { type: "tool_call_delta", index: 0, id: "call_9", name: "apply_patch", arguments: '{"input":"*** Begin' },
        { type: "tool_call_delta", index: 0, arguments: ' Patch"}' },
        { type: "done", finishReason: "length", usage },
      ]),
      meta,
    );
    assert.equal(r.status, "incomplete");
    assert.deepEqual(r.incomplete_details, { reason: "max_output_tokens" });
    assert.deepEqual(r.output[0], {
      type: "custom_tool_call",
      id: r.output[0].id,
      call_id: "call_9",
      name: "apply_patch",
      input: "*** Begin Patch",
      status: "completed",
    });
  });

  it("an upstream's Responses SSE and JSON become the same events (text, calls, usage)", async () => {
    const spec = {
      text: "Hello there",
      toolCalls: [{ id: "call_7", name: "lookup", arguments: '{"q":"x"}' }],
      usage: { input: 40, output: 6, cached: 32 },
    };
    let final: unknown;
    const streamed = await all(
      responsesStreamToEvents(from(parseSse(responsesStreamFrames("gpt-x", spec))), "fake", (r) => (final = r)),
    );
    const unstreamed = [...responseToEvents(responsesObject("gpt-x", spec) as never)];
    const fold = (events: ChatEvent[]) => {
      let text = "";
      const args: Record<number, string> = {};
      for (const e of events) {
        if (e.type === "text") text += e.text;
        else if (e.type === "tool_call_delta") args[e.index] = (args[e.index] ?? "") + e.arguments;
      }
      const done = events[events.length - 1] as Extract<ChatEvent, { type: "done" }>;
      return { text, args, finish: done.finishReason, usage: done.usage };
    };
    assert.deepEqual(fold(streamed), fold(unstreamed));
    assert.deepEqual(fold(streamed).usage, chatUsage(40, 6, 32));
    assert.equal((final as { id: string }).id, "resp_fake123");
    await assert.rejects(
      all(responsesStreamToEvents(from(parseSse(responsesStreamFrames("m", spec).slice(0, 4))), "fake")),
      /before response.completed/,
    );
  });
});

describe("router: what current Anthropic clients send, on translated routes", () => {
  // The shape of a Claude Code 2.1.x request (fields and block types as it sends them; texts shortened).
  const claudeCode = {
    model: "claude-opus-5-5",
    max_tokens: 128000,
    stream: true,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.328;" },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "<system-reminder>context</system-reminder>" },
          { type: "text", text: "say hi" },
        ],
      },
      { role: "system", content: [{ type: "text", text: "# Environment\nPlatform: linux" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "", signature: "sig" },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [
              { type: "text", text: "a.txt" },
              { type: "tool_reference", tool_name: "Read" },
            ],
          },
        ],
      },
    ],
    tools: [
      {
        name: "Bash",
        description: "Run a command",
        input_schema: { type: "object", properties: { command: { type: "string" } } },
      },
      { name: "DeferredToolPlaceholder", description: "x", input_schema: { type: "object" }, defer_loading: true },
      { type: "web_search_20250305", name: "web_search", max_uses: 3 },
    ],
    metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: "eb18-session" }) },
    thinking: { type: "adaptive", display: "omitted" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    invented_future_field: { on: true },
  };

  it("validates, keeps system turns in order, and names what it left out", () => {
    const body = AnthropicMessagesRequestSchema.parse(claudeCode);
    const ignored: string[] = [];
    const chat = messagesToChat(body, ignored);
    assert.deepEqual(
      chat.messages.map((m) => m.role),
      ["system", "user", "system", "assistant", "tool"],
    );
    assert.equal(chat.messages[2].content, "# Environment\nPlatform: linux");
    assert.deepEqual(
      chat.tools!.map((t) => t.function.name),
      ["Bash", "DeferredToolPlaceholder"],
    );
    assert.equal((chat.messages[4] as { content: string }).content, "a.txt[tool_reference]");
    assert.deepEqual(ignored.sort(), [
      "context_management",
      "output_config.effort",
      "thinking",
      "web_search_20250305 tool",
    ]);
  });

  it("refuses a forced server tool on a translated route", () => {
    const body = AnthropicMessagesRequestSchema.parse({
      ...claudeCode,
      tool_choice: { type: "tool", name: "web_search" },
    });
    assert.throws(() => messagesToChat(body), /only Anthropic runs/);
  });
});
