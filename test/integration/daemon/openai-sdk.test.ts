// The official `openai` client against the real daemon serving a real GGUF model.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { chatModelPath } from "../../fixtures/models.js";
import { startDaemon, STORED_SPANS, type TestDaemon } from "../../fixtures/daemon.js";

describe("daemon: OpenAI-compatible API with the official SDK", function () {
  let daemon: TestDaemon;
  let client: OpenAI;
  const model = "chat";

  before(async function () {
    // These tests are about the engine: identical deterministic requests must reach it, not the response cache.
    daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`, "--no-response-cache"],
      waitForModels: [model],
    });
    client = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
  });
  after(() => daemon?.dispose());

  it("answers a chat completion with usage and timings", async function () {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 12,
      temperature: 0,
    });
    const choice = res.choices[0];
    assert.equal(choice.message.role, "assistant");
    assert.ok(typeof choice.message.content === "string" && choice.message.content.length > 0, "non-empty text");
    assert.ok(["stop", "length"].includes(choice.finish_reason));
    assert.ok(res.usage && res.usage.prompt_tokens > 0 && res.usage.completion_tokens > 0);
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
    const timings = (res as any).timings;
    for (const k of [
      "queue_ms",
      "prompt_n",
      "prompt_ms",
      "ttft_ms",
      "predicted_n",
      "predicted_ms",
      "predicted_per_second",
    ]) {
      assert.equal(typeof timings[k], "number", `timings.${k}`);
    }
    assert.equal(timings.predicted_n, res.usage.completion_tokens);
  });

  it("streams chunks ending with usage when asked", async function () {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 10,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.ok(finish === "stop" || finish === "length");
    assert.ok(usage && usage.completion_tokens > 0);
  });

  it("streamed and non-streamed outputs are identical at temperature 0", async function () {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "You tell stories." },
      { role: "user", content: "A cat" },
    ];
    const plain = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
    const stream = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 16,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, plain.choices[0].message.content);
  });

  it("reuses the KV prefix of an identical earlier prompt", async function () {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "A long shared system prompt about a dog. ".repeat(8) },
      { role: "user", content: "Go" },
    ];
    await client.chat.completions.create({ model, messages, max_tokens: 4, temperature: 0 });
    const second = await client.chat.completions.create({ model, messages, max_tokens: 4, temperature: 0 });
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(cached >= second.usage!.prompt_tokens - 1, `cached ${cached} of ${second.usage!.prompt_tokens}`);
    assert.equal((second as any).timings.prompt_n, second.usage!.prompt_tokens - cached);
  });

  it("constrains output to a JSON schema", async function () {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Is the sky blue?" }],
      max_tokens: 64,
      temperature: 0,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "answer",
          schema: { type: "object", properties: { yes: { type: "boolean" } }, required: ["yes"] },
        },
      },
    });
    const value = JSON.parse(res.choices[0].message.content!);
    assert.equal(typeof value.yes, "boolean");
    assert.equal(res.choices[0].finish_reason, "stop");
  });

  it("json_object mode returns parseable JSON", async function () {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "json please" }],
      max_tokens: 96,
      temperature: 0,
      seed: 1,
      response_format: { type: "json_object" },
    });
    if (res.choices[0].finish_reason === "stop") JSON.parse(res.choices[0].message.content!);
    else assert.ok(res.choices[0].message.content!.trimStart().startsWith("{"));
  });

  it("returns tool_calls when a tool is required", async function () {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "What's the weather in Paris?" }],
      // The grammar's indented JSON takes ~70 tokens with the generated model's byte-sized vocabulary.
      max_tokens: 160,
      temperature: 0,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: {
              type: "object",
              properties: { city: { type: "string", enum: ["Paris", "Rome"] } },
              required: ["city"],
            },
          },
        },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
      ],
    });
    const choice = res.choices[0];
    assert.equal(choice.finish_reason, "tool_calls");
    const call = choice.message.tool_calls![0];
    assert.equal(call.type, "function");
    assert.equal((call as any).function.name, "get_weather");
    assert.ok(["Paris", "Rome"].includes(JSON.parse((call as any).function.arguments).city));
    assert.ok(call.id.length > 0);
  });

  it("accepts a conversation with tool calls and results (tool_choice auto)", async function () {
    const res = await client.chat.completions.create({
      model,
      max_tokens: 8,
      temperature: 0,
      tools: [
        {
          type: "function",
          function: {
            name: "lookup",
            description: "look a word up",
            parameters: { type: "object", properties: { word: { type: "string" } } },
          },
        },
      ],
      messages: [
        { role: "user", content: "look up cat" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"word":"cat"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "a small animal" },
      ],
    });
    assert.ok(["stop", "length", "tool_calls"].includes(res.choices[0].finish_reason));
  });

  it("honours stop strings", async function () {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 40,
      temperature: 0,
    });
    const full = res.choices[0].message.content!;
    const cut = full.trim().split(/\s+/)[1];
    assert.ok(cut, `need two words in: ${full}`);
    const stopped = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 40,
      temperature: 0,
      stop: [cut],
    });
    assert.equal(stopped.choices[0].finish_reason, "stop");
    assert.ok(!stopped.choices[0].message.content!.includes(cut));
    assert.ok(full.startsWith(stopped.choices[0].message.content!));
  });

  it("serves text completions, streamed and not", async function () {
    const res = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 8, temperature: 0 });
    assert.ok(res.choices[0].text.length > 0);
    assert.ok(res.usage!.completion_tokens > 0);
    const stream = await client.completions.create({
      model,
      prompt: "Once upon a time",
      max_tokens: 8,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.text ?? "";
    assert.equal(text, res.choices[0].text);
  });

  it("serves embeddings", async function () {
    const res = await client.embeddings.create({ model, input: ["hello world", "a second text"] });
    assert.equal(res.data.length, 2);
    assert.ok(res.data[0].embedding.length > 8);
    assert.notDeepEqual(res.data[0].embedding, res.data[1].embedding);
    const b64 = await client.embeddings.create({ model, input: "hello world", encoding_format: "base64" });
    const decoded = new Float32Array(
      Uint8Array.from(Buffer.from(b64.data[0].embedding as unknown as string, "base64")).buffer,
    );
    assert.equal(decoded.length, res.data[0].embedding.length);
    assert.ok(Math.abs(decoded[0] - res.data[0].embedding[0]) < 1e-6);
  });

  it("lists models", async function () {
    const list = await client.models.list();
    assert.deepEqual(
      list.data.map((m) => m.id),
      [model],
    );
  });

  it("maps errors onto the SDK's typed errors", async function () {
    await assert.rejects(
      client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
      (e: any) => e instanceof OpenAI.NotFoundError && /does not exist/.test(e.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model, messages: [] }),
      (e: any) => e instanceof OpenAI.BadRequestError && e.param === "messages",
    );
    const bad = new OpenAI({ baseURL: daemon.baseURL, apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e: any) => e instanceof OpenAI.AuthenticationError);
  });

  it("joins the caller's trace from traceparent, and a conversation's trace from its id", async function () {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parent = "00f067aa0ba902b7";
    const a = await client.chat.completions
      .create(
        { model, messages: [{ role: "user", content: "traced" }], max_tokens: 2, temperature: 0 },
        { headers: { traceparent: `00-${traceId}-${parent}-01` } },
      )
      .withResponse();
    const b1 = await client.chat.completions
      .create(
        { model, messages: [{ role: "user", content: "c1" }], max_tokens: 2 },
        { headers: { "x-hotpath-conversation-id": "conv-42" } },
      )
      .withResponse();
    const b2 = await client.chat.completions
      .create(
        { model, messages: [{ role: "user", content: "c2" }], max_tokens: 2 },
        { headers: { "x-hotpath-conversation-id": "conv-42" } },
      )
      .withResponse();
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(`${daemon.dataDir}/hotpath.db`, { readonly: true });
    try {
      const span = (r: { response: Response }) =>
        db
          .prepare(`SELECT * FROM ${STORED_SPANS} WHERE request_id = ?`)
          .get(r.response.headers.get("x-hotpath-request-id")) as any;
      assert.equal(span(a).trace_id, traceId);
      assert.equal(span(a).parent_span_id, parent);
      assert.equal(span(b1).trace_id, span(b2).trace_id);
      assert.notEqual(span(b1).trace_id, traceId);
      assert.equal(JSON.parse(span(b1).attributes)["gen_ai.conversation.id"], "conv-42");
    } finally {
      db.close();
    }
  });

  it("records every request as a span with GenAI attributes", async function () {
    const res = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "span me" }], max_tokens: 3, temperature: 0 })
      .withResponse();
    const requestId = res.response.headers.get("x-hotpath-request-id")!;
    assert.match(requestId, /^req_[0-9a-f]{24}$/);
    assert.equal(res.response.headers.get("x-hotpath-route"), "local:chat");
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(`${daemon.dataDir}/hotpath.db`, { readonly: true });
    try {
      const row = db.prepare(`SELECT * FROM ${STORED_SPANS} WHERE request_id = ?`).get(requestId) as any;
      assert.ok(row, "span written");
      const attrs = JSON.parse(row.attributes);
      assert.equal(attrs["gen_ai.operation.name"], "chat");
      assert.equal(attrs["gen_ai.request.model"], model);
      assert.equal(attrs["gen_ai.usage.output_tokens"], res.data.usage!.completion_tokens);
      assert.equal(attrs["hotpath.timings.predicted_n"], res.data.usage!.completion_tokens);
      assert.equal(row.kind, "llm");
    } finally {
      db.close();
    }
  });
});
