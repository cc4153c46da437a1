// Prefix reuse through the real daemon: a long shared prefix is evaluated once, the facts reach the response and the
// span, re-ordered tool JSON does not break the prefix, and a changed system prompt is reported as a cache breaker.
import assert from "node:assert/strict";
import { generatedModelPath } from "../../fixtures/models.js";
import { filler, PREFIX_MODEL } from "../../fixtures/prompts.js";
import { readSpan, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

async function chat(daemon: TestDaemon, messages: object[], extra: object = {}) {
  const res = await daemon.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages, temperature: 0, max_tokens: 4, ...extra }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return { id: res.headers.get("x-hotpath-request-id")!, body: (await res.json()) as any };
}

const spanAttributes = (daemon: TestDaemon, requestId: string): Record<string, unknown> =>
  readSpan(daemon, requestId).attributes;

describe("daemon: prefix reuse", function () {
  let daemon: TestDaemon;
  before(async function () {
    daemon = await startDaemon({
      args: [
        "--model",
        `m=${generatedModelPath(PREFIX_MODEL)}`,
        "--context-size",
        "4096",
        "--sequences",
        "4",
        "--no-response-cache",
      ],
      waitForModels: ["m"],
    });
  });
  after(async () => daemon?.dispose());

  it("a second request sharing a ~1,500-token prefix reuses ≥ 90% of it, in well under a third of the prompt time", async function () {
    const system = filler(1500, 7);
    const first = await chat(daemon, [
      { role: "system", content: system },
      { role: "user", content: "first question" },
    ]);
    const second = await chat(daemon, [
      { role: "system", content: system },
      { role: "user", content: "second question here" },
    ]);
    const prefixTokens = first.body.usage.prompt_tokens - 8; // the system turn (template markers included), roughly
    assert.ok(prefixTokens > 1400, `prefix is ${prefixTokens} tokens`);
    assert.equal(first.body.usage.prompt_tokens_details.cached_tokens, 0);
    const cached = second.body.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached >= 0.9 * prefixTokens, `cached ${cached} of a ${prefixTokens}-token prefix`);
    assert.equal(
      second.body.timings.prompt_n,
      second.body.usage.prompt_tokens - cached,
      "prompt_n counts only what was evaluated",
    );
    const ratio = second.body.timings.prompt_ms / first.body.timings.prompt_ms;
    console.log(
      `      prompt ${first.body.timings.prompt_ms} ms cold vs ${second.body.timings.prompt_ms} ms reused (${ratio.toFixed(3)}×)`,
    );
    assert.ok(
      ratio < 1 / 3,
      `reused prompt time ${second.body.timings.prompt_ms} ms vs cold ${first.body.timings.prompt_ms} ms`,
    );
    const attrs = spanAttributes(daemon, second.id);
    assert.equal(attrs["hotpath.prefix.reused_tokens"], cached);
    assert.equal(attrs["gen_ai.usage.cache_read.input_tokens"], cached);
  });

  it("interleaved sessions sharing a system prompt: the newcomer copies it, nobody's history is evicted", async function () {
    const system = filler(600, 13);
    const turn = (who: string, n: number) => [
      { role: "system", content: system },
      ...Array.from({ length: n }, (_, i) => [
        { role: "user", content: `${who} asks ${i}` },
        { role: "assistant", content: filler(40, who.length * 100 + i) },
      ]).flat(),
      { role: "user", content: `${who} asks ${n}` },
    ];
    const a1 = await chat(daemon, turn("alice", 0));
    const b1 = await chat(daemon, turn("bob", 0));
    const b1Attrs = spanAttributes(daemon, b1.id);
    assert.equal(b1Attrs["hotpath.prefix.source"], "copy", JSON.stringify(b1Attrs));
    assert.ok(b1.body.usage.prompt_tokens_details.cached_tokens >= 600);
    const last: Record<string, typeof a1> = { alice: a1, bob: b1 };
    for (let step = 1; step <= 3; step++) {
      for (const who of ["alice", "bob"]) {
        const r = await chat(daemon, turn(who, step));
        // Everything up to the new turn was resident: the previous prompt, less the assistant header at its end.
        assert.ok(
          r.body.usage.prompt_tokens_details.cached_tokens >= last[who].body.usage.prompt_tokens - 2,
          `${who} step ${step}: ${JSON.stringify(r.body.usage)}`,
        );
        last[who] = r;
      }
    }
  });

  it("identical output with and without reuse at temperature 0", async function () {
    const messages = [
      { role: "system", content: filler(300, 3) },
      { role: "user", content: "tell me" },
    ];
    const a = await chat(daemon, messages, { max_tokens: 24 });
    const b = await chat(daemon, messages, { max_tokens: 24 });
    assert.ok(b.body.usage.prompt_tokens_details.cached_tokens > 250);
    assert.equal(b.body.choices[0].message.content, a.body.choices[0].message.content);
  });

  it("re-ordered tool JSON does not break the prefix", async function () {
    const toolA = {
      type: "function",
      function: {
        name: "search",
        description: "find",
        parameters: {
          type: "object",
          properties: { q: { type: "string" }, limit: { type: "integer" } },
          required: ["q"],
        },
      },
    };
    const toolB = {
      type: "function",
      function: {
        name: "open",
        description: "open a file",
        parameters: { properties: { path: { type: "string" } }, type: "object" },
      },
    };
    const reordered = (t: any) => ({
      function: {
        parameters: Object.fromEntries(Object.entries(t.function.parameters).reverse()),
        description: t.function.description,
        name: t.function.name,
      },
      type: "function",
    });
    const system = filler(200, 5);
    const first = await chat(
      daemon,
      [
        { role: "system", content: system },
        { role: "user", content: "go" },
      ],
      { tools: [toolA, toolB], tool_choice: "required" },
    );
    const second = await chat(
      daemon,
      [
        { role: "system", content: system },
        { role: "user", content: "go" },
      ],
      { tools: [reordered(toolB), reordered(toolA)], tool_choice: "required" },
    );
    // Same request up to key and tool order: the very same prompt tokens, all reused but the last (its logits are needed).
    assert.equal(second.body.usage.prompt_tokens, first.body.usage.prompt_tokens);
    assert.equal(second.body.usage.prompt_tokens_details.cached_tokens, first.body.usage.prompt_tokens - 1);
    assert.equal(spanAttributes(daemon, second.id)["hotpath.prefix.diverged_at"], undefined);
  });

  it("a changed timestamp early in the system prompt is recorded as the cache breaker", async function () {
    const rest = filler(400, 9);
    const first = await chat(daemon, [
      { role: "system", content: `Now is 10 31. ${rest}` },
      { role: "user", content: "hi" },
    ]);
    const second = await chat(daemon, [
      { role: "system", content: `Now is 10 32. ${rest}` },
      { role: "user", content: "hi" },
    ]);
    assert.ok(second.body.usage.prompt_tokens_details.cached_tokens < 20, "the prefix broke early");
    const attrs = spanAttributes(daemon, second.id);
    const at = attrs["hotpath.prefix.diverged_at"] as number;
    assert.ok(at > 0 && at < 20, `diverged at ${at}`);
    assert.match(String(attrs["hotpath.prefix.before"]), /1/);
    assert.match(String(attrs["hotpath.prefix.after"]), /2/);
    assert.equal(attrs["hotpath.prefix.reused_tokens"], second.body.usage.prompt_tokens_details.cached_tokens);
    void first;
  });
});
