// One request pipeline under every wire format, through the real daemon and the official SDKs: /v1/messages gets the
// response cache, priority classes and the span exactly like /v1/chat/completions, and an answer cached through one
// wire format is a hit through the other (streamed or not), rendered in the second format.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { readSpan, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";

describe("pipeline: one answer, any wire format (official SDKs, real daemon)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let anthropic: Anthropic;
  let openai: OpenAI;
  const model = "chat";
  const system = "You tell short stories.";

  before(async () => {
    daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: [model] });
    anthropic = new Anthropic({ baseURL: daemon.url, apiKey: daemon.token, maxRetries: 0 });
    openai = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
  });
  after(() => daemon?.dispose());

  const span = (requestId: string) => readSpan(daemon, requestId).attributes;

  const asked = { model, max_tokens: 16, temperature: 0 };
  const chatMessages = (content: string) => [
    { role: "system" as const, content: system },
    { role: "user" as const, content },
  ];
  const anthropicText = (content: Anthropic.ContentBlock[]) =>
    content.map((b) => (b.type === "text" ? b.text : "")).join("");
  /** What Hotpath says of an answer in its headers: the cache verdict, and the request id that finds its span. */
  const verdict = (response: Response) => ({
    cache: response.headers.get("x-hotpath-cache"),
    requestId: response.headers.get("x-hotpath-request-id")!,
  });

  async function viaMessages(content: string, headers: Record<string, string> = {}) {
    const { data, response } = await anthropic.messages
      .create({ ...asked, system, messages: [{ role: "user", content }] }, { headers })
      .withResponse();
    return { data, text: anthropicText(data.content), ...verdict(response) };
  }

  async function viaMessagesStreamed(content: string) {
    const stream = anthropic.messages.stream({ ...asked, system, messages: [{ role: "user", content }] });
    const { response } = await stream.withResponse();
    const final = await stream.finalMessage();
    return { final, text: anthropicText(final.content), ...verdict(response) };
  }

  async function viaChat(content: string) {
    const { data, response } = await openai.chat.completions
      .create({ ...asked, messages: chatMessages(content) })
      .withResponse();
    return { data, text: data.choices[0].message.content ?? "", ...verdict(response) };
  }

  async function viaChatStreamed(content: string) {
    const { data, response } = await openai.chat.completions
      .create({ ...asked, stream: true, stream_options: { include_usage: true }, messages: chatMessages(content) })
      .withResponse();
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    return { text, usage, ...verdict(response) };
  }

  /** A streamed miss is stored as its stream ends; the next request may arrive a moment before that. */
  async function eventually<T extends { cache: string | null }>(ask: () => Promise<T>): Promise<T> {
    let r = await ask();
    for (let i = 0; i < 50 && r.cache !== "hit"; i++) r = await ask();
    return r;
  }

  it("the Anthropic SDK asking twice at temperature 0 gets a hit the second time, with Anthropic usage counting cache reads", async () => {
    const first = await viaMessages("Once upon a time there was a red fox.");
    assert.equal(first.cache, "miss");
    assert.ok(first.data.usage.input_tokens > 0 && first.data.usage.output_tokens > 0);
    const second = await viaMessages("Once upon a time there was a red fox.");
    assert.equal(second.cache, "hit");
    assert.equal(second.text, first.text);
    assert.notEqual(second.data.id, first.data.id);
    assert.match(second.data.id, /^msg_/);
    assert.equal(second.data.model, model);
    assert.equal(second.data.stop_reason, first.data.stop_reason);
    const prompt = first.data.usage.input_tokens + (first.data.usage.cache_read_input_tokens ?? 0);
    assert.equal(second.data.usage.cache_read_input_tokens, prompt, "the whole prompt counts as read from the cache");
    assert.equal(second.data.usage.input_tokens, 0);
    assert.equal(second.data.usage.output_tokens, first.data.usage.output_tokens);
    const attrs = span(second.requestId);
    assert.equal(attrs["hotpath.endpoint"], "messages");
    assert.equal(attrs["hotpath.cache.verdict"], "hit");
    assert.equal(attrs["hotpath.cache.match"], "exact");
    assert.equal(attrs["hotpath.route"], "cache");
    assert.equal(span(first.requestId)["hotpath.cache.verdict"], "miss");
  });

  it("messages then chat: the answer cached through /v1/messages is a hit on /v1/chat/completions, in OpenAI's shape", async () => {
    const first = await viaMessages("A little boat sailed at night.");
    assert.equal(first.cache, "miss");
    const second = await viaChat("A little boat sailed at night.");
    assert.equal(second.cache, "hit");
    assert.equal(second.data.object, "chat.completion");
    assert.match(second.data.id, /^chatcmpl-/);
    assert.equal(second.text, first.text);
    assert.equal(second.data.choices[0].finish_reason, first.data.stop_reason === "max_tokens" ? "length" : "stop");
    assert.equal(second.data.usage?.completion_tokens, first.data.usage.output_tokens);
    assert.equal(second.data.usage?.prompt_tokens_details?.cached_tokens, second.data.usage?.prompt_tokens);
    const streamed = await viaChatStreamed("A little boat sailed at night.");
    assert.equal(streamed.cache, "hit");
    assert.equal(streamed.text, first.text);
    assert.equal(streamed.usage?.completion_tokens, first.data.usage.output_tokens);
  });

  it("chat then messages: the answer cached through /v1/chat/completions is a hit on /v1/messages, streamed and not", async () => {
    const first = await viaChat("The old tree had a secret.");
    assert.equal(first.cache, "miss");
    const streamed = await viaMessagesStreamed("The old tree had a secret.");
    assert.equal(streamed.cache, "hit");
    assert.equal(streamed.text, first.text);
    assert.equal(streamed.final.usage.output_tokens, first.data.usage?.completion_tokens);
    assert.equal(streamed.final.usage.cache_read_input_tokens, first.data.usage?.prompt_tokens);
    const plain = await viaMessages("The old tree had a secret.");
    assert.equal(plain.cache, "hit");
    assert.equal(plain.text, first.text);
  });

  it("streamed misses on either format are stored and served to the other", async () => {
    const messages = await viaMessagesStreamed("A small bird found a shiny key.");
    assert.equal(messages.cache, "miss");
    assert.ok(messages.text.length > 0);
    const chat = await eventually(() => viaChatStreamed("A small bird found a shiny key."));
    assert.equal(chat.cache, "hit");
    assert.equal(chat.text, messages.text);

    const chatFirst = await viaChatStreamed("The moon smiled at the sleepy town.");
    assert.equal(chatFirst.cache, "miss");
    const back = await eventually(() => viaMessagesStreamed("The moon smiled at the sleepy town."));
    assert.equal(back.cache, "hit");
    assert.equal(back.text, chatFirst.text);
  });

  it("honours the cache-bypass headers on /v1/messages", async () => {
    const content = "The rain sang on the roof.";
    assert.equal((await viaMessages(content, { "x-hotpath-cache": "bypass" })).cache, "bypass");
    assert.equal((await viaMessages(content, { "cache-control": "no-store" })).cache, "bypass");
    assert.equal((await viaMessages(content)).cache, "miss", "nothing was stored by the bypassed requests");
    assert.equal((await viaMessages(content)).cache, "hit");
    const bypassed = await viaMessages(content, { "x-hotpath-cache": "bypass" });
    assert.equal(bypassed.cache, "bypass");
    assert.equal(span(bypassed.requestId)["hotpath.cache.verdict"], "bypass");
    assert.equal(span(bypassed.requestId)["hotpath.route"], "local:chat");
    // Refresh: not answered from the cache, but its answer replaces the stored one.
    assert.equal((await viaMessages(content, { "cache-control": "no-cache" })).cache, "bypass");
    // Not deterministic: no lookup at all. (temperature left the SDK's types with API version 2026-10-21; clients of
    // earlier versions still send it.)
    const sampled = { temperature: 0.9 };
    const warm = await anthropic.messages
      .create({ model, max_tokens: 8, ...sampled, system, messages: [{ role: "user", content }] })
      .withResponse();
    assert.equal(warm.response.headers.get("x-hotpath-cache"), "bypass");
  });

  it("/v1/messages takes the priority class from x-hotpath-priority, and refuses a bad one in Anthropic's error shape", async () => {
    const { response } = await anthropic.messages
      .create(
        { model, max_tokens: 4, system, messages: [{ role: "user", content: "A quiet morning." }] },
        { headers: { "x-hotpath-priority": "background" } },
      )
      .withResponse();
    assert.equal(span(response.headers.get("x-hotpath-request-id")!)["hotpath.priority"], "background");
    await assert.rejects(
      anthropic.messages.create(
        { model, max_tokens: 4, messages: [{ role: "user", content: "x" }] },
        { headers: { "x-hotpath-priority": "urgent" } },
      ),
      (e: any) => {
        assert.ok(e instanceof Anthropic.BadRequestError);
        const body = (e as any).error;
        assert.equal(body.type, "error");
        assert.equal(body.error.type, "invalid_request_error");
        assert.match(body.error.message, /x-hotpath-priority/);
        return true;
      },
    );
  });
});
