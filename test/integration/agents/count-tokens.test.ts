// POST /v1/messages/count_tokens on an Anthropic route is a pass-through, as Claude Code needs it: the official
// Anthropic SDK's count (beta form: anthropic-beta header; SDKs before 1.0 and Claude Code add ?beta=true) with what
// Claude Code sends — system blocks with cache_control, thinking, tools, and a field no SDK knows yet — reaches
// Anthropic as sent except the model, and Anthropic's answer comes back as it came. A recording proxy in front of the
// daemon captures what was sent.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { capturedDaemonHooks, CLAUDE_CODE_ROUTE } from "../../fixtures/agents/daemons.js";

const ANTHROPIC_KEY = "sk-ant-count-e2e-SECRET-0a1b2c3d4e5f";

describe("agents: count_tokens passes through to Anthropic", function () {
  this.timeout(120_000);
  const gateway = capturedDaemonHooks({ ...CLAUDE_CODE_ROUTE, apiKey: ANTHROPIC_KEY });

  it("the SDK's messages.countTokens: body, anthropic-* headers and query as sent (only the model changes); the answer as it came", async () => {
    const anthropic = new Anthropic({ baseURL: gateway.capture.url, apiKey: gateway.daemon.token, maxRetries: 0 });
    const params = {
      model: "cc-smart",
      betas: ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"],
      system: [
        { type: "text" as const, text: "You are Claude Code." },
        { type: "text" as const, text: "Project notes.", cache_control: { type: "ephemeral" as const } },
      ],
      messages: [
        { role: "user" as const, content: [{ type: "text" as const, text: "List the files." }] },
        {
          role: "assistant" as const,
          content: [{ type: "tool_use" as const, id: "toolu_1", name: "Bash", input: { command: "ls" } }],
        },
        {
          role: "user" as const,
          content: [{ type: "tool_result" as const, tool_use_id: "toolu_1", content: "a.ts\nb.ts" }],
        },
      ],
      tools: [
        {
          name: "Bash",
          description: "Run a command",
          input_schema: { type: "object" as const, properties: { command: { type: "string" } } },
        },
      ],
      thinking: { type: "enabled" as const, budget_tokens: 2048 },
      // A field Hotpath (and this SDK) does not know: it must survive.
      hotpath_future_field: { keep: ["me", 1] },
    };
    const counted = await anthropic.beta.messages.countTokens(params as Anthropic.Beta.MessageCountTokensParams);

    const sent = gateway.capture.captured.at(-1)!;
    const got = gateway.upstream.received.at(-1)!;
    assert.match(sent.path, /^\/v1\/messages\/count_tokens(\?|$)/);
    assert.equal(got.path, sent.path, "the path and query string as the SDK sent them");
    assert.equal(got.body.model, "claude-sonnet-4-5");
    assert.deepEqual({ ...got.body, model: sent.body!.model }, sent.body);
    assert.deepEqual(sent.body!.hotpath_future_field, { keep: ["me", 1] });
    for (const h of ["anthropic-beta", "anthropic-version", "user-agent"])
      assert.equal(got.headers[h], sent.headers[h], `header ${h}`);
    assert.equal(got.headers["x-api-key"], ANTHROPIC_KEY);
    assert.ok(!JSON.stringify(got.headers).includes(gateway.daemon.token), "Hotpath's token stays with Hotpath");

    // The fake's count is derived from the body it received: equal only if that body's answer came back.
    const expected = Math.ceil(JSON.stringify([got.body.system, got.body.messages, got.body.tools]).length / 4);
    assert.equal(counted.input_tokens, expected);
    const raw = await fetch(`${gateway.daemon.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": gateway.daemon.token,
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ model: "cc-smart", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("request-id"), gateway.upstream.lastRequestId, "Anthropic's request id is relayed");
    assert.equal(raw.headers.get("x-hotpath-token-count"), "exact");
    assert.equal(raw.headers.get("x-hotpath-route"), "anthropic:claude-sonnet-4-5");
    assert.equal(
      await raw.text(),
      JSON.stringify({
        input_tokens: Math.ceil(JSON.stringify([undefined, [{ role: "user", content: "hi" }], undefined]).length / 4),
      }),
      "the upstream's bytes",
    );
    // A query string goes along, whichever client adds one (Claude Code's ?beta=true).
    const queried = await fetch(`${gateway.daemon.url}/v1/messages/count_tokens?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gateway.daemon.token}` },
      body: JSON.stringify({ model: "cc-smart", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(queried.status, 200);
    assert.equal(gateway.upstream.received.at(-1)!.path, "/v1/messages/count_tokens?beta=true");
  });
});
