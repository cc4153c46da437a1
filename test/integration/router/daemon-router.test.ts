// End to end: the real daemon (dist/daemon/main.js) with a local model and fake cloud upstreams, driven by the
// official SDKs. Anthropic Messages on the local model (streamed and not), retries honouring retry-after,
// fallbacks, attempts on the span, Anthropic error shapes, and keys never reaching the DB or the logs.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { ChatCompletionRequestSchema, type CacheStats } from "../../../daemon/api.js";
import { requestKey } from "../../../daemon/cache/key.js";
import { readSpan, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";

const OPENAI_KEY = "sk-e2e-openai-SECRET-9f8e7d6c5b4a3210";
const ANTHROPIC_KEY = "sk-ant-e2e-SECRET-0a1b2c3d4e5f6789";

describe("router: end to end through the daemon", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let oa: FakeUpstream;
  let an: FakeUpstream;
  let anthropic: Anthropic;
  let openai: OpenAI;

  before(async function () {
    oa = await FakeUpstream.start("openai", OPENAI_KEY);
    an = await FakeUpstream.start("anthropic", ANTHROPIC_KEY);
    const dataDir = (await import("node:fs")).mkdtempSync(
      join((await import("node:os")).tmpdir(), "hotpath-router-e2e-"),
    );
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(
      configFile,
      `router:
  providers:
    oa: { type: openai, baseURL: "${oa.baseURL}", apiKey: "env:E2E_OPENAI_KEY" }
    an: { type: anthropic, baseURL: "${an.baseURL}", apiKey: "env:E2E_ANTHROPIC_KEY" }
  maxRetries: 2
  routes:
    "oa:gpt-4o-mini":
      fallbacks: ["an:claude-haiku-4-5"]
      price: { input: 0.15, output: 0.6, cachedInput: 0.075 }
  aliases:
    smart: "oa:gpt-4o-mini"
    lenient: { cascade: ["local:chat", "oa:gpt-4o-mini"], minMean: 0.0001 }
    strict: { cascade: ["local:chat", "oa:gpt-4o-mini"], minMin: 0.9999 }
`,
    );
    daemon = await startDaemon({
      dataDir,
      args: ["--config", configFile, "--model", `chat=${chatModelPath()}`, "--threads", "2"],
      env: { E2E_OPENAI_KEY: OPENAI_KEY, E2E_ANTHROPIC_KEY: ANTHROPIC_KEY },
      waitForModels: ["chat"],
    });
    anthropic = new Anthropic({ baseURL: daemon.url, apiKey: daemon.token, maxRetries: 0 });
    openai = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
  });
  after(async () => {
    await daemon?.dispose();
    await oa?.close();
    await an?.close();
  });
  beforeEach(() => {
    oa.reset();
    an.reset();
  });

  const span = (requestId: string) => readSpan(daemon, requestId);

  it("Anthropic SDK messages.create (not streamed) on the local model returns a well-formed Message", async () => {
    const { data: msg, response } = await anthropic.messages
      .create({
        model: "chat",
        max_tokens: 8,
        system: "You tell stories.",
        messages: [{ role: "user", content: "Once upon a time" }],
      })
      .withResponse();
    assert.match(msg.id, /^msg_/);
    assert.equal(msg.type, "message");
    assert.equal(msg.role, "assistant");
    assert.equal(msg.model, "chat");
    assert.equal(msg.content[0].type, "text");
    assert.ok(msg.content[0].type === "text" && msg.content[0].text.length > 0);
    assert.ok(msg.stop_reason === "max_tokens" || msg.stop_reason === "end_turn");
    assert.ok(msg.usage.input_tokens > 0);
    assert.ok(msg.usage.output_tokens > 0 && msg.usage.output_tokens <= 8);
    assert.equal(typeof msg.usage.cache_read_input_tokens, "number");
    assert.equal(response.headers.get("x-hotpath-route"), "local:chat");
    const s = span(response.headers.get("x-hotpath-request-id")!);
    assert.equal(s.attributes["hotpath.endpoint"], "messages");
    assert.equal(s.attributes["hotpath.route"], "local:chat");
    assert.equal(s.attributes["hotpath.route.attempt_count"], 1);
  });

  it("Anthropic SDK messages.stream on the local model yields the full event sequence and a final Message", async () => {
    const stream = anthropic.messages.stream({
      model: "chat",
      max_tokens: 8,
      messages: [{ role: "user", content: "Tell me a story" }],
    });
    const types: string[] = [];
    stream.on("streamEvent", (e) => types.push(e.type));
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(types[0], "message_start");
    assert.equal(types.at(-1), "message_stop");
    assert.equal(types.at(-2), "message_delta");
    assert.ok(
      types.includes("content_block_start") &&
        types.includes("content_block_delta") &&
        types.includes("content_block_stop"),
    );
    assert.equal(final.content[0].type === "text" && final.content[0].text, text);
    assert.ok(text.length > 0);
    assert.ok(final.usage.output_tokens > 0 && final.usage.input_tokens > 0, "usage arrives in message_delta");
    assert.ok(final.stop_reason);
  });

  it("Anthropic SDK with tools through an OpenAI upstream: tool_use blocks, streamed and not", async () => {
    const tools = [
      {
        name: "get_weather",
        description: "weather",
        input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
      },
    ];
    oa.script({
      kind: "reply",
      text: "Checking.",
      toolCalls: [{ id: "call_abc", name: "get_weather", arguments: '{"city":"Paris"}' }],
    });
    const msg = await anthropic.messages.create({
      model: "smart",
      max_tokens: 50,
      tools,
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    assert.equal(msg.stop_reason, "tool_use");
    assert.deepEqual(msg.content, [
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } },
    ]);
    const sent = oa.received[0].body as any;
    assert.equal(sent.parallel_tool_calls, false);
    assert.equal(sent.tools[0].function.name, "get_weather");

    oa.script({ kind: "reply", toolCalls: [{ id: "call_def", name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const final = await anthropic.messages
      .stream({
        model: "smart",
        max_tokens: 50,
        tools,
        messages: [
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } }],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "call_abc", content: "sunny" },
              { type: "text", text: "And Oslo?" },
            ],
          },
        ],
      })
      .finalMessage();
    assert.deepEqual(final.content, [
      { type: "tool_use", id: "call_def", name: "get_weather", input: { city: "Oslo" } },
    ]);
    const history = (oa.received[1].body as any).messages;
    assert.deepEqual(
      history.map((m: any) => m.role),
      ["user", "assistant", "tool", "user"],
    );
    assert.equal(history[2].tool_call_id, "call_abc");
  });

  it("an upstream answering 429 with retry-after: 1 then 200 yields one successful response; the span shows both attempts", async () => {
    oa.script(
      { kind: "error", status: 429, headers: { "retry-after": "1" } },
      { kind: "reply", text: "Finally.", usage: { input: 100, output: 10 } },
    );
    const started = Date.now();
    const { data, response } = await openai.chat.completions
      .create({ model: "oa:gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.ok(Date.now() - started >= 950);
    assert.equal(data.choices[0].message.content, "Finally.");
    assert.equal(response.headers.get("x-hotpath-route"), "oa:gpt-4o-mini");
    assert.equal(oa.received.length, 2);
    const s = span(response.headers.get("x-hotpath-request-id")!);
    const attempts = (s.attributes["hotpath.route.attempts"] as string[]).map((a) => JSON.parse(a));
    assert.deepEqual(
      attempts.map((a) => [a.route, a.status, a.outcome]),
      [
        ["oa:gpt-4o-mini", 429, "error"],
        ["oa:gpt-4o-mini", 200, "ok"],
      ],
    );
    assert.equal(s.attributes["hotpath.cost.usd"], (100 * 0.15 + 10 * 0.6) / 1e6);
  });

  it("a coding agent's size of request: the span holds its content exactly (made while the upstream worked), both SDKs", async () => {
    // ~200 KB: turns of code with quotes, backslashes, newlines and non-ASCII, as agents send late in a session.
    const code = 'const s = "a \\"quoted\\" line"; // é 😀 \u2028\n';
    const turns = Array.from({ length: 40 }, (_, i) => `turn ${i}\n${code.repeat(90)}`);
    const system = `You are a coding agent.\n${code.repeat(400)}`;
    const tools = [
      {
        type: "function" as const,
        function: { name: "read", description: code.repeat(300), parameters: { type: "object" } },
      },
    ];
    const messages = turns.map((content, i) => ({ role: i % 2 ? ("assistant" as const) : ("user" as const), content }));
    oa.script({ kind: "reply", text: "Done.", delayMs: 50, usage: { input: 50_000, output: 2 } });
    const chat = await openai.chat.completions
      .create({ model: "oa:gpt-4o-mini", messages: [{ role: "system", content: system }, ...messages], tools })
      .withResponse();
    assert.equal(chat.data.choices[0].message.content, "Done.");
    // Passed through as the client's bytes with the model spliced in (native-body.ts): the same JSON value.
    assert.deepEqual(oa.received[0].body, {
      model: "gpt-4o-mini",
      messages: [{ role: "system", content: system }, ...messages],
      tools,
    });
    const s = span(chat.response.headers.get("x-hotpath-request-id")!);
    assert.equal(s.attributes["gen_ai.system_instructions"], system);
    assert.equal(
      s.attributes["gen_ai.input.messages"],
      JSON.stringify([{ role: "system", content: system }, ...messages]),
    );
    assert.equal(s.attributes["gen_ai.tool.definitions"], JSON.stringify(tools));
    assert.equal(s.attributes["gen_ai.output.messages"] !== undefined, true);

    an.script({ kind: "reply", text: "Done.", usage: { input: 50_000, output: 2 } });
    const anthropicTools = [{ name: "read", description: code.repeat(300), input_schema: { type: "object" as const } }];
    const message = await anthropic.messages
      .create({ model: "an:claude-haiku-4-5", max_tokens: 16, system, messages, tools: anthropicTools })
      .withResponse();
    assert.deepEqual(an.received[0].body, {
      model: "claude-haiku-4-5",
      max_tokens: 16,
      system,
      messages,
      tools: anthropicTools,
    });
    const m = span(message.response.headers.get("x-hotpath-request-id")!);
    assert.equal(m.attributes["gen_ai.system_instructions"], system);
    assert.equal(m.attributes["gen_ai.input.messages"], JSON.stringify(messages));
    assert.equal(m.attributes["gen_ai.tool.definitions"], JSON.stringify(anthropicTools));
  });

  it("a large request passed through reaches the upstream as the client's own bytes, the model's value alone changed: Chat, Messages, Responses", async () => {
    // Over 64 KB, spaced as no serializer of the daemon's would write it: only the client's bytes keep that spacing.
    const code = 'const s = "a \\"quoted\\" line"; // é 😀 \u2028\n';
    const turns = Array.from({ length: 30 }, (_, i) => `turn ${i}\n${code.repeat(60)}`);
    const messages = turns.map((content, i) => ({ role: i % 2 ? "assistant" : "user", content }));
    const cases = [
      { path: "/v1/chat/completions", upstream: oa, route: "oa:gpt-4o-mini", model: "gpt-4o-mini", body: { messages } },
      {
        path: "/v1/messages",
        upstream: an,
        route: "an:claude-haiku-4-5",
        model: "claude-haiku-4-5",
        body: { max_tokens: 16, messages: [...messages, { role: "user", content: "Go on." }] },
      },
      // Codex's API: a conversation without a stored previous response is forwarded as sent.
      { path: "/v1/responses", upstream: oa, route: "oa:gpt-4o-mini", model: "gpt-4o-mini", body: { input: messages } },
    ];
    for (const c of cases) {
      c.upstream.script({ kind: "reply", text: "Sent as is." });
      const sent = JSON.stringify({ model: c.route, ...c.body }, null, 1);
      assert.ok(sent.length > 64 * 1024);
      const response = await fetch(`${daemon.url}${c.path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" },
        body: sent,
      });
      assert.equal(response.status, 200, `${c.path}: ${await response.clone().text()}`);
      await response.text();
      const got = c.upstream.received.at(-1)!;
      assert.equal(got.path.split("?")[0], c.path);
      assert.equal(got.text, sent.replace(`"model": "${c.route}"`, `"model": "${c.model}"`), `${c.path}: the bytes`);
    }
  });

  it("/v1/messages is priced like chat: the span carries the route's cost, and a cached repeat goes nowhere", async () => {
    oa.script({ kind: "reply", text: "Priced.", usage: { input: 200, output: 20 } });
    // temperature left the SDK's types with API version 2026-10-21; clients of earlier versions still send it.
    const deterministic = { temperature: 0 };
    const ask = () =>
      anthropic.messages
        .create({
          model: "oa:gpt-4o-mini",
          max_tokens: 30,
          ...deterministic,
          messages: [{ role: "user", content: "price me" }],
        })
        .withResponse();
    const first = await ask();
    assert.equal(first.response.headers.get("x-hotpath-cache"), "miss");
    assert.equal(first.response.headers.get("x-hotpath-route"), "oa:gpt-4o-mini");
    const s = span(first.response.headers.get("x-hotpath-request-id")!);
    assert.equal(s.attributes["hotpath.endpoint"], "messages");
    assert.equal(s.attributes["hotpath.cost.usd"], (200 * 0.15 + 20 * 0.6) / 1e6);
    const again = await ask();
    assert.equal(again.response.headers.get("x-hotpath-cache"), "hit");
    assert.deepEqual(again.data.content, [{ type: "text", text: "Priced." }]);
    assert.equal(again.data.usage.cache_read_input_tokens, 200);
    assert.equal(oa.received.length, 1, "the repeat was not sent upstream");
  });

  it("a sampled request bypasses the cache unkeyed: no namespace on its span, its bypass counted in its namespace", async () => {
    oa.script({ kind: "reply", text: "Sampled." });
    const body = {
      model: "oa:gpt-4o-mini",
      temperature: 0.7,
      messages: [{ role: "user" as const, content: "surprise me (bypass count)" }],
    };
    const { response } = await openai.chat.completions.create(body).withResponse();
    assert.equal(response.headers.get("x-hotpath-cache"), "bypass");
    const s = span(response.headers.get("x-hotpath-request-id")!);
    assert.equal(s.attributes["hotpath.cache.verdict"], "bypass");
    assert.match(String(s.attributes["hotpath.cache.reason"]), /deterministic/);
    assert.equal(s.attributes["hotpath.cache.namespace"], undefined);
    const namespace = requestKey(ChatCompletionRequestSchema.parse(body), body.model).namespace;
    const stats = (await (await daemon.fetch("/hotpath/cache/stats")).json()) as CacheStats;
    assert.equal(stats.namespaces.find((n) => n.namespace === namespace)?.bypasses, 1);
  });

  it("an upstream that keeps failing falls back to the next route (streamed); the span shows every attempt", async () => {
    oa.fallback = { kind: "error", status: 500 };
    an.script({ kind: "reply", text: "Fallback answer." });
    const stream = await openai.chat.completions
      .create({ model: "oa:gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "Fallback answer.");
    assert.equal(stream.response.headers.get("x-hotpath-route"), "an:claude-haiku-4-5");
    assert.match(stream.response.headers.get("x-hotpath-route-reason")!, /fell back to an:claude-haiku-4-5/);
    const s = span(stream.response.headers.get("x-hotpath-request-id")!);
    assert.equal(s.attributes["hotpath.route"], "an:claude-haiku-4-5");
    const attempts = (s.attributes["hotpath.route.attempts"] as string[]).map((a) => JSON.parse(a));
    assert.deepEqual(
      attempts.map((a) => [a.route, a.status]),
      [
        ["oa:gpt-4o-mini", 500],
        ["oa:gpt-4o-mini", 500],
        ["oa:gpt-4o-mini", 500],
        ["an:claude-haiku-4-5", 200],
      ],
    );
    assert.match(s.attributes["hotpath.route.reason"], /fallbacks an:claude-haiku-4-5/);
  });

  it("cascade: the local model's answer is accepted when its confidence clears the threshold", async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: "lenient", max_tokens: 6, messages: [{ role: "user", content: "Once upon a time" }] })
      .withResponse();
    assert.equal(response.headers.get("x-hotpath-route"), "local:chat");
    assert.match(response.headers.get("x-hotpath-route-reason")!, /local:chat accepted \(mean [0-9.]+ >= 0.0001\)/);
    assert.ok(data.choices[0].message.content);
    assert.equal(oa.received.length, 0);
  });

  it("cascade: escalates to the cloud route when the local model is not confident enough, streaming the escalated answer", async () => {
    oa.script({ kind: "reply", text: "A confident answer." });
    const stream = await openai.chat.completions
      .create({
        model: "strict",
        max_tokens: 6,
        stream: true,
        messages: [{ role: "user", content: "Once upon a time" }],
      })
      .withResponse();
    let text = "";
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "A confident answer.");
    assert.equal(stream.response.headers.get("x-hotpath-route"), "oa:gpt-4o-mini");
    assert.match(
      stream.response.headers.get("x-hotpath-route-reason")!,
      /local:chat rejected \(min token probability [0-9.]+ < 0.9999\), escalating/,
    );
    const s = span(stream.response.headers.get("x-hotpath-request-id")!);
    const attempts = (s.attributes["hotpath.route.attempts"] as string[]).map((a) => JSON.parse(a));
    assert.deepEqual(
      attempts.map((a) => [a.route, a.outcome]),
      [
        ["local:chat", "escalated"],
        ["oa:gpt-4o-mini", "ok"],
      ],
    );
  });

  it("a connection reset mid-stream reaches SDK clients as a clean error (OpenAI chunks and Anthropic events), never a hang", async () => {
    oa.script({ kind: "reset", afterEvents: 3, text: "This will be cut off before it ends.", chunk: 4 });
    const stream = await openai.chat.completions.create({
      model: "oa:gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    let text = "";
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      })(),
      (e: any) => /mid-stream/.test(String(e.message)),
    );
    assert.ok(text.length > 0, "text before the reset arrived");

    an.script({ kind: "reset", afterEvents: 4, text: "This will be cut off too, halfway.", chunk: 4 });
    const messages = anthropic.messages.stream({
      model: "an:claude-haiku-4-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    await assert.rejects(messages.finalMessage(), (e: any) => {
      assert.ok(e instanceof Anthropic.APIError);
      assert.match(String(e.message), /mid-stream/);
      return true;
    });
    assert.equal(oa.received.length + an.received.length, 2, "no retry after the first byte");
  });

  it("errors on /v1/messages come in Anthropic's shape (auth, validation, unknown model, upstream failure)", async () => {
    const post = (body: unknown, headers: Record<string, string>) =>
      fetch(`${daemon.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    const bad = await post(
      { model: "chat", max_tokens: 5, messages: [{ role: "user", content: "x" }] },
      { "x-api-key": "wrong" },
    );
    assert.equal(bad.status, 401);
    assert.deepEqual(Object.keys(await bad.json()), ["type", "error"]);

    const client = new Anthropic({ baseURL: daemon.url, apiKey: daemon.token, maxRetries: 0 });
    await assert.rejects(
      client.messages.create({ model: "nope", max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
      (e: any) => {
        assert.ok(e instanceof Anthropic.NotFoundError);
        const body = (e as { error: any }).error;
        assert.equal(body.type, "error");
        assert.equal(body.error.type, "not_found_error");
        return true;
      },
    );
    const invalid = await post(
      { model: "chat", messages: [{ role: "user", content: "x" }] },
      { "x-api-key": daemon.token },
    );
    assert.equal(invalid.status, 400);
    const body = (await invalid.json()) as any;
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /max_tokens/);
    const notJson = await post("{", { "x-api-key": daemon.token });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as any).type, "error");
    const hostile = await post(
      {
        model: "chat",
        max_tokens: 5,
        messages: [{ role: "user", content: [{ type: "tool_use", id: "x", name: "y", input: {} }] }],
      },
      { "x-api-key": daemon.token },
    );
    assert.equal(hostile.status, 400);

    // An oversized body: the daemon refuses it from its declared length, before reading it (only its start is sent).
    const tooBig = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const url = new URL(`${daemon.url}/v1/messages`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            "x-api-key": daemon.token,
            "content-type": "application/json",
            "content-length": String(11 * 1024 * 1024),
          },
        },
        (res) => {
          let data = "";
          res.on("data", (d) => (data += d));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode!, body: JSON.parse(data) });
          });
        },
      );
      req.on("error", reject);
      req.write('{"model": "chat", "messages": [');
    });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body.type, "error");
    assert.equal(tooBig.body.error.type, "request_too_large");
    for (const hostileBody of [
      { model: "chat", max_tokens: -1, messages: [{ role: "user", content: "x" }] },
      { model: "chat", max_tokens: 5, messages: [] },
      { model: "chat", max_tokens: 5, messages: [{ role: "system", content: "x" }] },
      {
        model: "chat",
        max_tokens: 5,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "file", path: "/etc/passwd" } }] }],
      },
      {
        model: "chat",
        max_tokens: 5,
        tools: [{ name: "bad name!", input_schema: {} }],
        messages: [{ role: "user", content: "x" }],
      },
      [1, 2, 3],
    ]) {
      const r = await post(hostileBody, { "x-api-key": daemon.token });
      assert.equal(r.status, 400, JSON.stringify(hostileBody).slice(0, 80));
      const b = (await r.json()) as any;
      assert.equal(b.type, "error");
      assert.equal(b.error.type, "invalid_request_error");
    }

    an.fallback = { kind: "error", status: 529 };
    await assert.rejects(
      client.messages.create({
        model: "an:claude-haiku-4-5",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
      }),
      (e: any) => {
        assert.ok(e instanceof Anthropic.APIError);
        assert.equal(e.status, 502);
        const body = (e as { error: any }).error;
        assert.equal(body.error.type, "api_error");
        assert.match(body.error.message, /Overloaded/);
        return true;
      },
    );
  });

  it("count_tokens: exact on the local model (equals the prompt tokens it then bills), Anthropic's own count on an Anthropic route, a labelled estimate elsewhere", async () => {
    const count = (body: unknown, headers: Record<string, string> = { "x-api-key": daemon.token }) =>
      fetch(`${daemon.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    const system = "You tell short stories.";
    const messages = [{ role: "user" as const, content: "Once upon a time there was a cat" }];
    const tools = [
      {
        name: "lookup",
        description: "Look a word up",
        input_schema: { type: "object" as const, properties: { word: { type: "string" } } },
      },
    ];

    // Local: the SDK's own call, then the same body generated — the count is what the model is billed.
    for (const withTools of [false, true]) {
      const body = { model: "chat", system, messages, ...(withTools ? { tools } : {}) };
      const counted = await anthropic.messages.countTokens(body);
      const msg = await anthropic.messages.create({ ...body, max_tokens: 2 });
      // Anthropic's usage splits the prompt into uncached input and cache reads; count_tokens is their sum.
      assert.equal(
        counted.input_tokens,
        msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0),
        `local count ${withTools ? "with" : "without"} tools`,
      );
    }
    const local = await count({ model: "chat", system, messages });
    assert.equal(local.headers.get("x-hotpath-token-count"), "exact");
    assert.equal(local.headers.get("x-hotpath-tokenizer"), "gguf:chat");

    // Anthropic route: Anthropic's count, with the key, without generation settings.
    const viaAnthropic = await count({ model: "an:claude-haiku-4-5", system, messages, tools, max_tokens: 100 });
    assert.equal(viaAnthropic.status, 200);
    const sent = an.received.at(-1)!;
    assert.equal(sent.path, "/v1/messages/count_tokens");
    assert.equal(sent.headers["x-api-key"], ANTHROPIC_KEY);
    assert.ok(!("max_tokens" in sent.body));
    const expected = Math.ceil(JSON.stringify([sent.body.system, sent.body.messages, sent.body.tools]).length / 4);
    assert.deepEqual(await viaAnthropic.json(), { input_tokens: expected });
    assert.equal(viaAnthropic.headers.get("x-hotpath-token-count"), "exact");
    assert.equal(viaAnthropic.headers.get("x-hotpath-route"), "an:claude-haiku-4-5");

    // OpenAI route: no counting endpoint there, so an estimate that says so; more text, more tokens.
    const short = await count({ model: "oa:gpt-4o-mini", messages });
    const long = await count({ model: "oa:gpt-4o-mini", system: system.repeat(20), messages });
    assert.equal(short.headers.get("x-hotpath-token-count"), "estimate");
    assert.equal(short.headers.get("x-hotpath-tokenizer"), "openai:o200k_base");
    const [a, b] = [(await short.json()) as any, (await long.json()) as any];
    assert.ok(a.input_tokens > 5 && b.input_tokens > a.input_tokens + 50, `${a.input_tokens} → ${b.input_tokens}`);
    assert.equal(oa.received.length, 0, "nothing was sent to OpenAI");

    // Bad input: Anthropic-shaped errors, nothing counted.
    const noAuth = await count({ model: "chat", messages }, {});
    assert.equal(noAuth.status, 401);
    const unknown = await count({ model: "nope", messages });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as any).error.type, "not_found_error");
    for (const bad of [
      { model: "chat" },
      { model: "chat", messages: [] },
      { model: "chat", messages: [{ role: "robot", content: "x" }] },
      "{",
      "[]",
    ]) {
      const r = await count(bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(((await r.json()) as any).error.type, "invalid_request_error");
    }
  });

  it("GET /hotpath/router shows providers (key present, never the key), circuits, spend and prices", async () => {
    const res = await daemon.fetch("/hotpath/router");
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes(OPENAI_KEY) && !text.includes(ANTHROPIC_KEY));
    const status = JSON.parse(text) as import("../../../daemon/api.js").RouterStatus;
    const oaProvider = status.providers.find((p) => p.name === "oa")!;
    assert.equal(oaProvider.keyPresent, true);
    assert.equal(oaProvider.baseURL, oa.baseURL);
    const openaiProvider = status.providers.find((p) => p.name === "openai")!;
    assert.equal(
      openaiProvider.keyPresent,
      Boolean(process.env.OPENAI_API_KEY?.trim()),
      "follows OPENAI_API_KEY in the daemon's environment",
    );
    const route = status.routes.find((r) => r.route === "oa:gpt-4o-mini")!;
    assert.ok(route.spentTodayUsd > 0, "earlier tests spent on this route");
    assert.deepEqual(route.price, { input: 0.15, output: 0.6, cachedInput: 0.075 });
    assert.ok(["closed", "open", "half-open"].includes(route.circuit));
    assert.deepEqual(status.aliases.sort(), ["lenient", "smart", "strict"]);
  });

  it("a client's expect: 100-continue stays between it and the daemon: the pass-through answers, the upstream never sees it", async () => {
    // The upstream client (undici) refuses to send an expect header at all; node:http had forwarded it.
    const body = JSON.stringify({ model: "oa:gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${daemon.url}/v1/chat/completions`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            authorization: `Bearer ${daemon.token}`,
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body)),
            expect: "100-continue",
          },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on("error", reject);
      req.on("continue", () => req.end(body));
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(JSON.parse(answer.text).choices[0].message.content, "Hello from the fake upstream.");
    assert.equal(oa.received.length, 1);
    assert.equal(oa.received[0].headers.expect, undefined);
  });

  it("keys never reach the DB, the WAL or the logs, even when an upstream echoes them back", async () => {
    oa.script({
      kind: "error",
      status: 401,
      message: `Incorrect API key provided: ${OPENAI_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    });
    an.script({ kind: "error", status: 400, message: `bad request for key ${ANTHROPIC_KEY}` });
    await assert.rejects(
      openai.chat.completions.create({ model: "oa:gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
      (e: any) => {
        assert.ok(!String(e.message).includes(OPENAI_KEY), "the client's error has no key");
        assert.ok(!String(e.message).includes(ANTHROPIC_KEY));
        assert.match(String(e.message), /\[redacted\]/);
        return true;
      },
    );
    // Let the span land before scanning.
    await new Promise((r) => setTimeout(r, 200));
    const files = readdirSync(daemon.dataDir).filter((f) => f.startsWith("hotpath.db"));
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(join(daemon.dataDir, f));
      for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
        assert.equal(bytes.includes(key), false, `${f} holds a key`);
        assert.equal(bytes.includes(key.slice(0, 20)), false, `${f} holds part of a key`);
      }
    }
    const log = daemon.output();
    assert.ok(!log.includes(OPENAI_KEY) && !log.includes(ANTHROPIC_KEY), "the daemon's output holds a key");
    // The upstreams did get the keys (so the scan above is not vacuous).
    assert.equal(oa.received[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.equal(an.received[0].headers["x-api-key"], ANTHROPIC_KEY);
  });
});
