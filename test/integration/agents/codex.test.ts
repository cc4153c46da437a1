// The real Codex CLI (@openai/codex, pinned in test/fixtures/agents/clis.ts) through the daemon. A capture proxy in
// front of the daemon records what Codex sent; the fake OpenAI upstream records what reached it: a route to OpenAI
// must pass Codex's Responses request through unchanged (a deep-equal), and stream the upstream's answer back.
import assert from "node:assert/strict";
import { readSpans } from "../../fixtures/agents/capture.js";
import {
  agentClisHooks,
  assertLocalAgentSpans,
  agentModelDaemonHooks,
  capturedDaemonHooks,
} from "../../fixtures/agents/daemons.js";
import { codexArgs, runCli } from "../../fixtures/agents/run.js";

const OPENAI_KEY = "sk-codex-e2e-SECRET-0123456789abcdef";

describe("agents: Codex CLI through Hotpath", function () {
  this.timeout(600_000);
  const clis = agentClisHooks();
  const gateway = capturedDaemonHooks({
    flavor: "openai",
    apiKey: OPENAI_KEY,
    alias: "codex-smart",
    target: "gpt-5.5",
  });
  beforeEach(() => {
    gateway.upstream?.reset();
    if (gateway.capture) gateway.capture.captured.length = 0;
  });

  it("passes Codex's Responses request to OpenAI unchanged except the model, and prints the upstream's answer", async () => {
    gateway.upstream.script({
      kind: "reply",
      text: "PONG from the fake Responses upstream",
      usage: { input: 1200, output: 9, cached: 1000 },
    });
    const run = await runCli(clis.codex, codexArgs(`${gateway.capture.url}/v1`, "codex-smart", "Reply with PONG."), {
      HOTPATH_TOKEN: gateway.daemon.token,
    });
    assert.equal(run.code, 0, `codex failed:\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /PONG from the fake Responses upstream/);

    const sent = gateway.capture.captured.filter((c) => c.path.startsWith("/v1/responses"));
    assert.equal(sent.length, 1, `Codex made ${sent.length} Responses requests`);
    assert.equal(gateway.upstream.received.length, 1);
    const got = gateway.upstream.received[0];
    assert.equal(got.path, "/v1/responses");
    // The body as Codex sent it, every field (input items, tools of every type, reasoning, include, prompt_cache_key,
    // client_metadata…), with only the model replaced by the route's.
    assert.equal(got.body.model, "gpt-5.5");
    assert.deepEqual({ ...got.body, model: sent[0].body!.model }, sent[0].body);
    // Codex's own headers reach OpenAI; Hotpath's token does not (the provider's key replaces it).
    for (const h of ["session-id", "originator", "x-codex-turn-metadata", "user-agent"]) {
      assert.equal(got.headers[h], sent[0].headers[h], `header ${h}`);
    }
    assert.equal(got.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.ok(!JSON.stringify(got.headers).includes(gateway.daemon.token));

    // The span of the proxied request: route, usage with cached tokens.
    const span = (await readSpans(gateway.daemon.dataDir)).find(
      (s) => s.attributes["hotpath.endpoint"] === "responses",
    );
    assert.ok(span, "the Responses request has a span");
    assert.equal(span.attributes["hotpath.route"], "openai:gpt-5.5");
    assert.equal(span.attributes["gen_ai.usage.input_tokens"], 1200);
    assert.equal(span.attributes["gen_ai.usage.cache_read.input_tokens"], 1000);
  });
});

describe("agents: Codex CLI on a local model through Hotpath", function () {
  this.timeout(900_000);
  const clis = agentClisHooks();
  // Codex's prompt (instructions, tools) is ~40 kB: a generated model with a context to hold it.
  const local = agentModelDaemonHooks();

  it("answers Codex's Responses request (its tools, developer turns, reasoning settings) without error", async () => {
    const run = await runCli(
      clis.codex,
      codexArgs(`${local.daemon.url}/v1`, "agent", "Say hello."),
      { HOTPATH_TOKEN: local.daemon.token },
      600_000,
    );
    assert.equal(run.code, 0, `codex failed:\n${run.stderr.slice(-3000)}\n${local.daemon.output().slice(-2000)}`);
    await assertLocalAgentSpans(local.daemon, "responses", "Codex");
  });
});
