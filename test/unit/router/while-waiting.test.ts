// ChatOptions.whileWaiting: the caller's work (the span's content) runs while the upstream works on the request —
// after the request's last byte was written to the connection (undici's own "body sent" event), before the answer —
// on every cloud path: translated and passed through, OpenAI and Anthropic, streamed and not.
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import type { WireFormat } from "../../../daemon/chat.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";
import { ANTHROPIC_KEY, ask, collect, ENV, OPENAI_KEY, opts, Router, routerConfig } from "./helpers.js";

describe("router: the caller's work while the upstream works", () => {
  let oa: FakeUpstream;
  let an: FakeUpstream;
  let router: Router;
  before(async () => {
    oa = await FakeUpstream.start("openai", OPENAI_KEY);
    an = await FakeUpstream.start("anthropic", ANTHROPIC_KEY);
    router = new Router({
      config: routerConfig({
        providers: {
          oa: { type: "openai", baseURL: oa.baseURL, apiKey: "env:TEST_OPENAI_KEY" },
          an: { type: "anthropic", baseURL: an.baseURL, apiKey: "env:TEST_ANTHROPIC_KEY" },
        },
      }),
      env: ENV,
    });
  });
  after(async () => {
    router.close();
    await Promise.all([oa.close(), an.close()]);
  });
  beforeEach(() => [oa, an].forEach((f) => f.reset()));
  let order: string[] = [];
  const bodySent = () => order.push("body sent");
  before(() => diagnostics.subscribe("undici:request:bodySent", bodySent));
  after(() => diagnostics.unsubscribe("undici:request:bodySent", bodySent));

  const cases: { model: string; native?: WireFormat; stream: boolean }[] = [];
  for (const stream of [false, true]) {
    cases.push({ model: "oa:gpt-4o-mini", stream });
    cases.push({ model: "oa:gpt-4o-mini", native: "openai.chat", stream });
    cases.push({ model: "an:claude-haiku-4-5", stream });
    cases.push({ model: "an:claude-haiku-4-5", native: "anthropic.messages", stream });
  }
  for (const c of cases) {
    it(`${c.model}, ${c.native ? "passed through" : "translated"}, ${c.stream ? "streamed" : "not streamed"}`, async () => {
      const upstream = c.model.startsWith("oa:") ? oa : an;
      upstream.script({ kind: "reply", text: "Hello there", delayMs: 150, usage: { input: 5, output: 2 } });
      // A coding agent's size of request: ~200 KB of messages.
      const request = ask(c.model, {
        stream: c.stream,
        max_tokens: 16,
        messages: [{ role: "user", content: `${"lorem ipsum ".repeat(17_000)}Say hello.` }],
      });
      // A streamed pass-through of Chat Completions asks for its usage itself (else it is translated).
      const body =
        c.stream && c.native === "openai.chat" ? { ...request, stream_options: { include_usage: true } } : request;
      const native = c.native ? { format: c.native, body: { ...body }, headers: {}, query: "" } : undefined;
      const calls: number[] = [];
      order = [];
      const sent = performance.now();
      const result = await router.chat(request, {
        ...opts(),
        native,
        whileWaiting: () => {
          order.push("caller's work");
          calls.push(performance.now() - sent);
        },
      });
      const { text } = await collect(result);
      const answeredAfter = performance.now() - sent;
      assert.equal(text, "Hello there");
      assert.equal(calls.length, 1, "called once for the one attempt");
      assert.deepEqual(order, ["body sent", "caller's work"]);
      assert.equal(upstream.received.length, 1);
      // The answer, 150 ms after the upstream had the request, came after it.
      assert.ok(calls[0] < answeredAfter - 100, `called at ${calls[0]} ms, answered at ${answeredAfter} ms`);
    });
  }
});
