// The Router against fake OpenAI/Anthropic upstreams: retries, fallbacks, timeouts, resets, circuits, budgets,
// cascades, rules and aliases.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { openDb } from "../../../daemon/db.js";
import { RouterError } from "../../../daemon/router/router.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";
import { ANTHROPIC_KEY, ask, collect, ENV, OPENAI_KEY, opts, Router, routerConfig } from "./helpers.js";
import { chatUsage } from "../../fixtures/events.js";
import { openaiCompletion } from "../../fixtures/upstreams/openai-wire.js";

describe("router: routing and resilience against fake upstreams", () => {
  let oa: FakeUpstream;
  let an: FakeUpstream;
  let backup: FakeUpstream;
  const routers: Router[] = [];
  before(async () => {
    oa = await FakeUpstream.start("openai", OPENAI_KEY);
    an = await FakeUpstream.start("anthropic", ANTHROPIC_KEY);
    backup = await FakeUpstream.start("openai");
  });
  after(async () => {
    for (const r of routers) r.close();
    await Promise.all([oa.close(), an.close(), backup.close()]);
  });
  beforeEach(() => [oa, an, backup].forEach((f) => f.reset()));

  function router(extra: Record<string, unknown> = {}, db?: ReturnType<typeof openDb>) {
    const r = new Router({
      config: routerConfig({
        providers: {
          oa: { type: "openai", baseURL: oa.baseURL, apiKey: "env:TEST_OPENAI_KEY" },
          an: { type: "anthropic", baseURL: an.baseURL, apiKey: "env:TEST_ANTHROPIC_KEY" },
          backup: { type: "openai-compatible", baseURL: backup.baseURL },
        },
        ...extra,
      }),
      env: ENV,
      db,
    });
    routers.push(r);
    return r;
  }

  it("streams an OpenAI upstream through unchanged, with usage, cost and one attempt", async () => {
    oa.script({ kind: "reply", text: "Hello, world!", usage: { input: 1000, output: 500, cached: 400 } });
    const r = await router().chat(ask("oa:gpt-4o-mini", { stream: true }), opts());
    assert.equal(r.route, "oa:gpt-4o-mini");
    const { text, events } = await collect(r);
    assert.equal(text, "Hello, world!");
    assert.ok(events.filter((e) => e.type === "text").length > 1, "text arrives in several deltas");
    const done = events.at(-1)!;
    assert.equal(done.type, "done");
    assert.equal(oa.received[0].body.model, "gpt-4o-mini");
    assert.deepEqual(oa.received[0].body.stream_options, { include_usage: true });
    // Price of gpt-4o-mini from the shipped table only applies to the "openai:" provider: "oa" has none.
    assert.equal(r.costUsd, undefined);
    assert.equal(r.attempts.length, 1);
    assert.equal(r.attempts[0].status, 200);
    assert.ok(r.attempts[0].ttfbMs !== undefined);
  });

  it("retries a 429 after the retry-after it was given, then succeeds: one answer, both attempts recorded", async () => {
    oa.script(
      { kind: "error", status: 429, headers: { "retry-after": "1" } },
      { kind: "reply", text: "after the wait" },
    );
    const started = Date.now();
    const r = await router().chat(ask("oa:gpt-4o-mini"), opts());
    const { text } = await collect(r);
    assert.equal(text, "after the wait");
    assert.ok(Date.now() - started >= 950, "waited for retry-after: 1");
    assert.deepEqual(
      r.attempts.map((a) => [a.route, a.status, a.outcome]),
      [
        ["oa:gpt-4o-mini", 429, "error"],
        ["oa:gpt-4o-mini", 200, "ok"],
      ],
    );
    assert.match(r.attempts[0].error!, /Rate limit reached/);
    assert.equal(oa.received.length, 2);
  });

  it("honours retry-after-ms over retry-after", async () => {
    oa.script(
      { kind: "error", status: 503, headers: { "retry-after-ms": "10", "retry-after": "30" } },
      { kind: "reply", text: "ok" },
    );
    const started = Date.now();
    const r = await router().chat(ask("oa:gpt-4o-mini"), opts());
    await collect(r);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(r.attempts.length, 2);
  });

  it("falls back to the next route when one keeps failing with 500s", async () => {
    oa.fallback = { kind: "error", status: 500 };
    const r = await router({
      routes: { "oa:gpt-4o-mini": { fallbacks: ["an:claude-haiku-4-5"], maxRetries: 1 } },
    }).chat(ask("oa:gpt-4o-mini"), opts());
    assert.equal(r.route, "an:claude-haiku-4-5");
    assert.match(r.reason, /fell back to an:claude-haiku-4-5/);
    const { text } = await collect(r);
    assert.equal(text, "Hello from the fake upstream.");
    assert.deepEqual(
      r.attempts.map((a) => [a.route, a.status]),
      [
        ["oa:gpt-4o-mini", 500],
        ["oa:gpt-4o-mini", 500],
        ["an:claude-haiku-4-5", 200],
      ],
    );
    // The Anthropic upstream got a real Messages request.
    assert.equal(an.received[0].body.model, "claude-haiku-4-5");
    assert.equal(an.received[0].headers["anthropic-version"], "2023-06-01");
  });

  it("does not retry a 400, and passes its status on when no route is left", async () => {
    oa.script({ kind: "error", status: 400, message: "max_tokens is too large" });
    await assert.rejects(router().chat(ask("oa:gpt-4o-mini"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.equal(e.status, 400);
      assert.match(e.message, /max_tokens is too large/);
      assert.equal(e.attempts.length, 1);
      return true;
    });
  });

  it("times out a silent upstream and falls back", async () => {
    oa.script({ kind: "hang" });
    const r = await router({
      routes: { "oa:gpt-4o-mini": { timeoutMs: 200, maxRetries: 0, fallbacks: ["backup:llama"] } },
    }).chat(ask("oa:gpt-4o-mini"), opts());
    assert.equal(r.route, "backup:llama");
    assert.equal(r.attempts[0].outcome, "timeout");
    assert.match(r.attempts[0].error!, /timeout/);
    assert.equal((await collect(r)).text, "Hello from the fake upstream.");
  });

  it("a timeout with nowhere to fall back is a 504", async () => {
    oa.fallback = { kind: "hang" };
    await assert.rejects(
      router({ routes: { "oa:gpt-4o-mini": { timeoutMs: 150, maxRetries: 1 } } }).chat(ask("oa:gpt-4o-mini"), opts()),
      (e: unknown) => {
        assert.ok(e instanceof RouterError);
        assert.equal(e.status, 504);
        assert.equal(e.attempts.length, 2);
        return true;
      },
    );
  });

  for (const flavor of ["openai", "anthropic"] as const) {
    it(`a connection reset mid-stream (${flavor}) ends the stream with a clean error, no retry, no hang`, async () => {
      const fake = flavor === "openai" ? oa : an;
      const route = flavor === "openai" ? "oa:gpt-4o-mini" : "an:claude-haiku-4-5";
      fake.script({ kind: "reset", afterEvents: 4, text: "This answer will be cut off halfway through.", chunk: 3 });
      const r = await router({ routes: { [route]: { fallbacks: ["backup:llama"] } } }).chat(
        ask(route, { stream: true }),
        opts(),
      );
      assert.equal(r.route, route);
      let text = "";
      await assert.rejects(
        (async () => {
          for await (const e of r.events) if (e.type === "text") text += e.text;
        })(),
        (e: unknown) => {
          assert.ok(e instanceof RouterError);
          assert.equal(e.midStream, true);
          assert.match(e.message, /mid-stream/);
          return true;
        },
      );
      assert.ok(text.length > 0 && text.length < 44, "some text arrived before the reset");
      assert.equal(backup.received.length, 0, "never falls back after the first byte");
      assert.equal(fake.received.length, 1, "never retries after the first byte");
      assert.equal(r.attempts[0].outcome, "error");
    });
  }

  it("a stream that goes silent mid-way times out instead of hanging", async () => {
    oa.script({ kind: "stall", afterEvents: 3, text: "This answer stops.", chunk: 2 });
    const r = await router({ routes: { "oa:gpt-4o-mini": { timeoutMs: 200 } } }).chat(
      ask("oa:gpt-4o-mini", { stream: true }),
      opts(),
    );
    await assert.rejects(collect(r), (e: unknown) => e instanceof RouterError && e.status === 504 && e.midStream);
    assert.equal(r.attempts[0].outcome, "timeout");
  });

  it("opens a route's circuit after repeated failures, skips it, and closes it after a successful trial", async () => {
    const rt = router({
      breaker: { failureThreshold: 2, cooldownMs: 300 },
      routes: { "oa:gpt-4o-mini": { maxRetries: 0, fallbacks: ["backup:llama"] } },
    });
    oa.fallback = { kind: "error", status: 502 };
    for (let i = 0; i < 2; i++) assert.equal((await rt.chat(ask("oa:gpt-4o-mini"), opts())).route, "backup:llama");
    assert.equal(rt.circuit("oa:gpt-4o-mini"), "open");
    const skipped = await rt.chat(ask("oa:gpt-4o-mini"), opts());
    assert.equal(skipped.route, "backup:llama");
    assert.deepEqual(
      skipped.attempts.map((a) => [a.route, a.outcome]),
      [
        ["oa:gpt-4o-mini", "skipped"],
        ["backup:llama", "ok"],
      ],
    );
    assert.match(skipped.attempts[0].error!, /circuit open/);
    assert.equal(oa.received.length, 2, "an open circuit sends nothing upstream");

    await new Promise((r) => setTimeout(r, 350));
    assert.equal(rt.circuit("oa:gpt-4o-mini"), "half-open");
    oa.fallback = { kind: "reply", text: "healthy again" };
    const trial = await rt.chat(ask("oa:gpt-4o-mini"), opts());
    assert.equal(trial.route, "oa:gpt-4o-mini");
    assert.equal((await collect(trial)).text, "healthy again");
    assert.equal(rt.circuit("oa:gpt-4o-mini"), "closed");
  });

  it("with every circuit open, answers 503 with retry-after", async () => {
    const rt = router({
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      routes: { "oa:gpt-4o-mini": { maxRetries: 0 } },
    });
    oa.fallback = { kind: "error", status: 500 };
    await assert.rejects(
      rt.chat(ask("oa:gpt-4o-mini"), opts()),
      (e: unknown) => e instanceof RouterError && e.status === 502,
    );
    await assert.rejects(rt.chat(ask("oa:gpt-4o-mini"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.equal(e.status, 503);
      assert.equal(e.code, "circuit_open");
      assert.ok(Number(e.headers["retry-after"]) >= 1);
      return true;
    });
  });

  it("a request during which its route's circuit opens gets 503 circuit_open with retry-after, not a 500", async () => {
    const rt = router({
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      routes: { "oa:gpt-4o-mini": { maxRetries: 3 } },
      backoff: { baseMs: 1, maxMs: 5 },
    });
    oa.fallback = { kind: "error", status: 500 };
    await assert.rejects(rt.chat(ask("oa:gpt-4o-mini"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.equal(e.status, 503, e.message);
      assert.equal(e.code, "circuit_open");
      assert.match(e.message, /2 tries failed, then route oa:gpt-4o-mini is paused/);
      assert.ok(Number(e.headers["retry-after"]) >= 1);
      return true;
    });
    assert.equal(oa.received.length, 2);
  });

  it("charges each call from the price table and refuses with 402 once the daily budget is spent (persisted in the DB)", async () => {
    const db = openDb(":memory:");
    const config = {
      routes: { "oa:gpt-4o-mini": { dailyBudgetUsd: 0.01, price: { input: 1000, output: 2000, cachedInput: 100 } } },
    };
    const rt = router(config, db);
    oa.fallback = { kind: "reply", text: "spent", usage: { input: 5, output: 3, cached: 2 } };
    const first = await rt.chat(ask("oa:gpt-4o-mini"), opts());
    await collect(first);
    // (3 fresh × 1000 + 2 cached × 100 + 3 out × 2000) / 1M
    assert.equal(first.costUsd, (3 * 1000 + 2 * 100 + 3 * 2000) / 1e6);
    assert.equal(first.attempts[0].costUsd, first.costUsd);
    await collect(await rt.chat(ask("oa:gpt-4o-mini"), opts())); // 0.0184 total: over the budget now
    await assert.rejects(rt.chat(ask("oa:gpt-4o-mini"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.equal(e.status, 402);
      assert.equal(e.code, "budget_exceeded");
      assert.match(e.message, /daily budget of \$0\.01 for route oa:gpt-4o-mini is spent/);
      assert.match(e.message, /dailyBudgetUsd/);
      return true;
    });
    assert.equal(oa.received.length, 2);
    // A new router on the same DB (a restart) still knows today's spend.
    const again = router(config, db);
    await assert.rejects(
      again.chat(ask("oa:gpt-4o-mini"), opts()),
      (e: unknown) => e instanceof RouterError && e.status === 402,
    );
    // With a fallback, a spent budget skips to it instead.
    const withFallback = router(
      {
        routes: {
          ...config.routes,
          "oa:gpt-4o-mini": { ...config.routes["oa:gpt-4o-mini"], fallbacks: ["backup:llama"] },
        },
      },
      db,
    );
    const r = await withFallback.chat(ask("oa:gpt-4o-mini"), opts());
    assert.equal(r.route, "backup:llama");
    assert.equal(r.attempts[0].outcome, "skipped");
    db.close();
  });

  it("uses the shipped price table for known vendor models", async () => {
    const rt = new Router({
      config: routerConfig({
        providers: { openai: { type: "openai", baseURL: oa.baseURL, apiKey: "env:TEST_OPENAI_KEY" } },
      }),
      env: ENV,
    });
    routers.push(rt);
    oa.fallback = { kind: "reply", text: "x", usage: { input: 1_000_000, output: 1_000_000 } };
    const r = await rt.chat(ask("gpt-4o-mini-2024-07-18"), opts());
    assert.equal(r.route, "openai:gpt-4o-mini-2024-07-18");
    await collect(r);
    assert.equal(r.costUsd, 0.15 + 0.6);
  });

  it("cascade: accepts the cheap route's answer when its checks pass", async () => {
    backup.script({ kind: "reply", text: '{"answer": 42}' });
    const rt = router({ aliases: { auto: { cascade: ["backup:small", "oa:gpt-4o"], minMean: 0.5 } } });
    const r = await rt.chat(
      ask("auto", {
        response_format: {
          type: "json_schema",
          json_schema: { name: "a", schema: { type: "object", required: ["answer"] } },
        },
      }),
      opts(),
    );
    assert.equal(r.route, "backup:small");
    assert.match(r.reason, /backup:small accepted/);
    assert.equal((await collect(r)).text, '{"answer": 42}');
    assert.equal(oa.received.length, 0);
  });

  it("cascade: escalates when the cheap answer is not valid JSON for the schema, or empty", async () => {
    const rt = router({ aliases: { auto: { cascade: ["backup:small", "oa:gpt-4o"] } } });
    const format = {
      type: "json_schema" as const,
      json_schema: { name: "a", schema: { type: "object", required: ["answer"] } },
    };
    backup.script({ kind: "reply", text: "The answer is 42." });
    oa.script({ kind: "reply", text: '{"answer": 42}' });
    const r = await rt.chat(ask("auto", { response_format: format }), opts());
    assert.equal(r.route, "oa:gpt-4o");
    assert.deepEqual(
      r.attempts.map((a) => [a.route, a.outcome]),
      [
        ["backup:small", "escalated"],
        ["oa:gpt-4o", "ok"],
      ],
    );
    assert.match(r.attempts[0].error!, /not valid JSON/);
    assert.equal((await collect(r)).text, '{"answer": 42}');

    backup.script({ kind: "reply", text: '{"other": 1}' });
    const missing = await rt.chat(ask("auto", { response_format: format }), opts());
    assert.equal(missing.route, "oa:gpt-4o");
    assert.match(missing.attempts[0].error!, /missing answer/);

    backup.script({ kind: "reply", text: "  " });
    const empty = await rt.chat(ask("auto", { stream: true }), opts());
    assert.equal(empty.route, "oa:gpt-4o");
    assert.match(empty.reason, /rejected \(empty answer\)/);
    await collect(empty);
  });

  it("rules pick a target by task header, classifier, prompt length, tools and JSON schema", async () => {
    const rt = router({
      aliases: { fast: "backup:small", smart: "an:claude-sonnet-4-5" },
      rules: [
        { name: "tools", when: { tools: true }, target: "smart" },
        { name: "summaries", when: { task: "summarize" }, target: "fast" },
        { name: "long", when: { minPromptChars: 200 }, target: "smart" },
        { when: { model: "auto" }, target: "fast" },
      ],
    });
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    assert.deepEqual(rt.plan(ask("auto", { tools })), {
      kind: "chain",
      routes: ["an:claude-sonnet-4-5"],
      reason: "rule 'tools' (tools present); alias smart",
    });
    const byHeader = rt.plan(ask("auto"), { task: "summarize" });
    assert.equal(byHeader.kind === "chain" && byHeader.routes[0], "backup:small");
    assert.match(byHeader.reason, /task=summarize \(header\)/);
    const byClassifier = rt.plan({
      model: "auto",
      messages: [{ role: "user", content: "Please summarize this article" }],
    });
    assert.match(byClassifier.reason, /task=summarize \(classifier\)/);
    const long = rt.plan({ model: "auto", messages: [{ role: "user", content: "x".repeat(300) }] });
    assert.equal(long.kind === "chain" && long.routes[0], "an:claude-sonnet-4-5");
    assert.equal(rt.plan(ask("auto")).reason, "rule (matches all); alias fast");
    // A concrete route id is never rewritten by model-less rules.
    assert.equal(rt.plan(ask("oa:gpt-4o", { tools })).reason, "requested route");

    const r = await rt.chat(ask("whatever", { tools }), opts(undefined, { "x-hotpath-task": "chat" }));
    assert.equal(r.route, "an:claude-sonnet-4-5");
  });

  it("an unknown model is a 404 that says what to use", async () => {
    await assert.rejects(router().chat(ask("no-such-model"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.equal(e.status, 404);
      assert.equal(e.code, "model_not_found");
      assert.match(e.message, /model "no-such-model" does not exist here/);
      return true;
    });
  });

  it("a client that goes away stops the upstream request", async () => {
    oa.script({ kind: "reply", text: "a long answer streamed slowly", chunk: 1, gapMs: 20 });
    const ac = new AbortController();
    const r = await router().chat(ask("oa:gpt-4o-mini", { stream: true }), opts(ac.signal));
    let n = 0;
    await assert.rejects(
      (async () => {
        for await (const e of r.events) {
          if (e.type === "text" && ++n === 3) ac.abort();
        }
      })(),
    );
    assert.ok(n < 10);
  });

  it("passes a stream through as it arrives: the first delta is out while the upstream is still sending", async () => {
    oa.script({ kind: "reply", text: "one two three four five six", chunk: 4, gapMs: 40 });
    const r = await router().chat(ask("oa:gpt-4o-mini", { stream: true }), opts());
    let upstreamBusyAtFirstText: boolean | undefined;
    for await (const e of r.events) {
      if (e.type === "text" && upstreamBusyAtFirstText === undefined) upstreamBusyAtFirstText = oa.inFlight > 0;
    }
    assert.equal(upstreamBusyAtFirstText, true);
  });

  it("holds a provider to its maxConcurrency; the rest wait their turn", async () => {
    const rt = new Router({
      config: routerConfig({
        providers: { slow: { type: "openai-compatible", baseURL: backup.baseURL, maxConcurrency: 2 } },
      }),
    });
    routers.push(rt);
    backup.fallback = { kind: "reply", text: "slow answer", delayMs: 100 };
    const results = await Promise.all(Array.from({ length: 6 }, () => rt.chat(ask("slow:m"), opts()).then(collect)));
    assert.ok(results.every((r) => r.text === "slow answer"));
    assert.equal(backup.maxInFlight, 2);
  });

  it("streams an Anthropic upstream with text and tool_use as chat events, usage with cache reads", async () => {
    an.script({
      kind: "reply",
      text: "Looking up.",
      toolCalls: [{ id: "toolu_7", name: "search", arguments: '{"q":"hotpath","limit":3}' }],
      usage: { input: 300, output: 40, cached: 200 },
    });
    const tools = [{ type: "function" as const, function: { name: "search", parameters: { type: "object" } } }];
    const r = await router().chat(
      ask("an:claude-haiku-4-5", { stream: true, tools, tool_choice: "required", parallel_tool_calls: false }),
      opts(),
    );
    const { text, events } = await collect(r);
    assert.equal(text, "Looking up.");
    const args = events
      .filter((e) => e.type === "tool_call_delta")
      .map((e) => (e.type === "tool_call_delta" ? e.arguments : ""))
      .join("");
    assert.deepEqual(JSON.parse(args), { q: "hotpath", limit: 3 });
    const done = events.at(-1)!;
    assert.ok(done.type === "done");
    assert.equal(done.finishReason, "tool_calls");
    assert.deepEqual(done.usage, chatUsage(300, 40, 200));
    const sent = an.received[0].body as Record<string, any>;
    assert.deepEqual(sent.tool_choice, { type: "any", disable_parallel_tool_use: true });
    assert.equal(sent.stream, true);
    assert.equal(an.received[0].headers["x-api-key"], ANTHROPIC_KEY);
  });

  it("a missing key is a clear error that names the provider, and the route falls back", async () => {
    const rt = new Router({
      config: routerConfig({
        providers: { oa: { type: "openai", baseURL: oa.baseURL, apiKey: "env:UNSET_KEY_VAR" } },
        routes: { "oa:gpt-4o": { fallbacks: ["anthropic:claude-haiku-4-5"] } },
      }),
      env: {},
    });
    routers.push(rt);
    await assert.rejects(rt.chat(ask("oa:gpt-4o"), opts()), (e: unknown) => {
      assert.ok(e instanceof RouterError);
      assert.match(
        e.attempts[0].error!,
        /no API key for provider oa: the environment variable UNSET_KEY_VAR is not set/,
      );
      assert.match(
        e.attempts[1].error!,
        /no API key for provider anthropic: the environment variable ANTHROPIC_API_KEY/,
      );
      return true;
    });
    assert.equal(oa.received.length, 0);
  });

  it("a missing key fails a same-format pass-through the same way, before anything is sent upstream", async () => {
    // The pass-through's stream is handed back as it is and reads the key when first pulled: the failure must still
    // be the route's (an attempt naming the provider), not a throw out of the backend's chat().
    const rt = new Router({
      config: routerConfig({
        providers: {
          oa: { type: "openai", baseURL: oa.baseURL, apiKey: "env:UNSET_OA_KEY" },
          an: { type: "anthropic", baseURL: an.baseURL, apiKey: "env:UNSET_AN_KEY" },
        },
      }),
      env: {},
    });
    routers.push(rt);
    const cases = [
      { model: "oa:gpt-4o", format: "openai.chat" as const, variable: "UNSET_OA_KEY", provider: "oa" },
      { model: "an:claude-haiku-4-5", format: "anthropic.messages" as const, variable: "UNSET_AN_KEY", provider: "an" },
    ];
    for (const c of cases) {
      const request = ask(c.model, { max_tokens: 16 });
      const native = { format: c.format, body: { ...request }, headers: {}, query: "" };
      await assert.rejects(rt.chat(request, { ...opts(), native }), (e: unknown) => {
        assert.ok(e instanceof RouterError);
        assert.equal(e.attempts.length, 1);
        assert.equal(e.attempts[0].status, 401);
        assert.match(
          e.attempts[0].error!,
          new RegExp(`no API key for provider ${c.provider}: the environment variable ${c.variable} is not set`),
        );
        return true;
      });
    }
    assert.equal(oa.received.length, 0);
    assert.equal(an.received.length, 0);
  });

  it("reads an unstreamed answer whole whether its body came with its head or a read later, on one connection", async () => {
    // The body is taken from the stream's buffer when the parser already saw its end, else read as it arrives: both
    // give the whole answer and leave the keep-alive connection free for the next request.
    const answer = (text: string) => JSON.stringify(openaiCompletion("m", { text }));
    let connections = 0;
    let n = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const body = answer(`answer ${++n}`);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        if (n % 2) return void res.end(body);
        res.write(body.slice(0, 20));
        setTimeout(() => res.end(body.slice(20)), 30);
      });
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const rt = new Router({
        config: routerConfig({
          providers: {
            split: {
              type: "openai-compatible",
              baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
            },
          },
        }),
      });
      routers.push(rt);
      const texts: string[] = [];
      for (let i = 0; i < 4; i++) texts.push((await collect(await rt.chat(ask("split:m"), opts()))).text);
      assert.deepEqual(texts, ["answer 1", "answer 2", "answer 3", "answer 4"]);
      assert.equal(connections, 1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reuses keep-alive connections across requests", async () => {
    const rt = router();
    const before = oa.connections;
    for (let i = 0; i < 5; i++) await collect(await rt.chat(ask("oa:gpt-4o-mini", { stream: i % 2 === 0 }), opts()));
    assert.equal(oa.connections - before, 1);
  });
});
