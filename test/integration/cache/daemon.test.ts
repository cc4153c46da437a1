// The cache inside the real daemon, driven by the official `openai` client: hits, paraphrases, guard refusals,
// isolation, streamed replay, span attributes, admin endpoints and /metrics.
import assert from "node:assert/strict";
import OpenAI from "openai";
import type { CacheClearResult, CacheEntries, CacheStats } from "../../../daemon/api.js";
import { readSpan, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";

describe("cache: in the real daemon (official openai client)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let client: OpenAI;
  const model = "chat";
  const system = { role: "system" as const, content: "You are a helpful assistant." };

  before(async () => {
    daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: [model] });
    client = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
  });
  after(() => daemon?.dispose());

  async function ask(
    content: string,
    over: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
    headers: Record<string, string> = {},
  ) {
    const started = performance.now();
    const { data, response } = await client.chat.completions
      .create(
        { model, messages: [system, { role: "user", content }], max_tokens: 24, temperature: 0, ...over },
        { headers },
      )
      .withResponse();
    return {
      data,
      ms: performance.now() - started,
      cache: response.headers.get("x-hotpath-cache"),
      similarity: response.headers.get("x-hotpath-cache-similarity"),
      match: response.headers.get("x-hotpath-cache-match"),
      requestId: response.headers.get("x-hotpath-request-id")!,
    };
  }

  const span = (requestId: string): Record<string, unknown> => readSpan(daemon, requestId).attributes;

  it("answers the same deterministic request a second time from the cache, faster", async () => {
    const first = await ask("Once upon a time there was a little dog.");
    assert.equal(first.cache, "miss");
    const second = await ask("Once upon a time there was a little dog.");
    assert.equal(second.cache, "hit");
    assert.equal(second.similarity, "1.0000");
    assert.equal(second.data.choices[0].message.content, first.data.choices[0].message.content);
    assert.notEqual(second.data.id, first.data.id);
    assert.equal(second.data.usage?.prompt_tokens_details?.cached_tokens, first.data.usage?.prompt_tokens);
    // Not a benchmark (see npm run bench -- cache); only the direction, which a broken cache would flip.
    const third = await ask("Once upon a time there was a little dog.");
    assert.ok(
      Math.min(second.ms, third.ms) < first.ms,
      `hit ${second.ms.toFixed(1)} / ${third.ms.toFixed(1)} ms vs miss ${first.ms.toFixed(1)} ms`,
    );
    const attrs = span(second.requestId);
    assert.equal(attrs["hotpath.cache.verdict"], "hit");
    assert.equal(attrs["hotpath.cache.similarity"], 1);
    assert.equal(attrs["hotpath.cache.match"], "exact");
    assert.equal(span(first.requestId)["hotpath.cache.verdict"], "miss");
  });

  it("says which rung served a hit, keeps user scopes apart, and serves /v1/messages from the cache", async () => {
    const alice = { "x-hotpath-cache-scope": "alice" };
    assert.equal((await ask("Write one line about a brave little cat.", {}, alice)).cache, "miss");
    const normal = await ask("write one line about a brave   little CAT .", {}, alice);
    assert.equal(normal.cache, "hit");
    assert.equal(normal.match, "normalized");
    assert.equal(span(normal.requestId)["hotpath.cache.match"], "normalized");
    assert.equal(span(normal.requestId)["hotpath.cache.scope"], "alice");
    const bob = await ask("Write one line about a brave little cat.", {}, { "x-hotpath-cache-scope": "bob" });
    assert.equal(bob.cache, "miss", "another scope never sees alice's answer");
    assert.equal(bob.match, null);
    const hostile = await ask("Write one line about a brave little cat.", {}, { "x-hotpath-cache-scope": "two words" });
    assert.equal(hostile.cache, "bypass", "a malformed scope is never shared: not cached at all");
    assert.match(String(span(hostile.requestId)["hotpath.cache.reason"]), /x-hotpath-cache-scope/);

    const messages = async (content: string) => {
      const res = await daemon.fetch("/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({
          model,
          max_tokens: 24,
          temperature: 0,
          system: system.content,
          messages: [{ role: "user", content }],
        }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { type: string; content: { type: string; text: string }[] };
      assert.equal(body.type, "message");
      return {
        cache: res.headers.get("x-hotpath-cache"),
        match: res.headers.get("x-hotpath-cache-match"),
        text: body.content[0]?.text,
      };
    };
    const first = await messages("Tell me about a small red fox in the snow.");
    assert.equal(first.cache, "miss");
    const again = await messages("Tell me about a small red fox in the snow.");
    assert.equal(again.cache, "hit");
    assert.equal(again.match, "exact");
    assert.equal(again.text, first.text);
  });

  it("hits on a paraphrase; refuses enable-after-disable with the antonym guard, recorded on the span", async () => {
    const q = await ask("How do I reset my password?");
    assert.equal(q.cache, "miss");
    const para = await ask("How can I reset my password?");
    assert.equal(para.cache, "hit");
    assert.ok(Number(para.similarity) >= 0.9 && Number(para.similarity) < 1, para.similarity ?? "no similarity");
    assert.equal(para.data.choices[0].message.content, q.data.choices[0].message.content);

    assert.equal((await ask("How do I disable 2FA on my account?")).cache, "miss");
    const enable = await ask("How do I enable 2FA on my account?");
    assert.equal(enable.cache, "miss");
    assert.ok(Number(enable.similarity) > 0.9, `scored ${enable.similarity}, refused anyway`);
    const attrs = span(enable.requestId);
    assert.equal(attrs["hotpath.cache.guard"], "antonym");
    assert.equal(attrs["hotpath.cache.verdict"], "miss");
  });

  it("never hits across a different system prompt or temperature", async () => {
    await ask("Tell me about the sea.");
    assert.equal((await ask("Tell me about the sea.")).cache, "hit");
    const otherSystem = await client.chat.completions
      .create({
        model,
        messages: [
          { role: "system", content: "You are a pirate." },
          { role: "user", content: "Tell me about the sea." },
        ],
        max_tokens: 24,
        temperature: 0,
      })
      .withResponse();
    assert.equal(otherSystem.response.headers.get("x-hotpath-cache"), "miss");
    const warm = await ask("Tell me about the sea.", { temperature: 0.8 });
    assert.equal(warm.cache, "bypass");
    assert.equal(span(warm.requestId)["hotpath.cache.verdict"], "bypass");
    assert.equal((await ask("Tell me about the sea.", {}, { "x-hotpath-cache": "bypass" })).cache, "bypass");
    assert.equal((await ask("Tell me about the sea.", {}, { "cache-control": "no-store" })).cache, "bypass");
  });

  it("replays a hit on a streamed request as well-formed SSE", async () => {
    const plain = await ask("A cat sat on the mat.");
    const stream = await client.chat.completions
      .create({
        model,
        messages: [system, { role: "user", content: "A cat sat on the mat." }],
        max_tokens: 24,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    assert.equal(stream.response.headers.get("x-hotpath-cache"), "hit");
    assert.match(stream.response.headers.get("content-type") ?? "", /text\/event-stream/);
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, plain.data.choices[0].message.content);
    assert.equal(finish, plain.data.choices[0].finish_reason);
    assert.equal(usage?.completion_tokens, plain.data.usage?.completion_tokens);
    // Raw framing: every event is `data: <json>` and the stream ends with [DONE].
    const res = await daemon.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [system, { role: "user", content: "A cat sat on the mat." }],
        max_tokens: 24,
        temperature: 0,
        stream: true,
      }),
    });
    const body = await res.text();
    const events = body.split("\n\n").filter(Boolean);
    assert.equal(events.at(-1), "data: [DONE]");
    for (const e of events.slice(0, -1))
      assert.equal(JSON.parse(e.replace(/^data: /, "")).object, "chat.completion.chunk");
  });

  it("stores streamed misses too, and serves them non-streamed", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [system, { role: "user", content: "The bird flew away." }],
      max_tokens: 24,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    let hit;
    for (let i = 0; i < 50; i++) {
      hit = await ask("The bird flew away.");
      if (hit.cache === "hit") break;
    }
    assert.equal(hit?.cache, "hit");
    assert.equal(hit?.data.choices[0].message.content, text);
  });

  it("serves concurrent identical requests once (single-flight)", async () => {
    const results = await Promise.all([0, 1, 2].map(() => ask("Concurrency is when two things happen at once.")));
    const verdicts = results.map((r) => r.cache).sort();
    assert.deepEqual(verdicts, ["hit", "hit", "miss"]);
    const contents = new Set(results.map((r) => r.data.choices[0].message.content));
    assert.equal(contents.size, 1);
  });

  it("caches /v1/completions by exact prompt and replays streamed hits", async () => {
    const first = await client.completions
      .create({ model, prompt: "Once upon a time", max_tokens: 16, temperature: 0 })
      .withResponse();
    assert.equal(first.response.headers.get("x-hotpath-cache"), "miss");
    let hit;
    for (let i = 0; i < 50; i++) {
      hit = await client.completions
        .create({ model, prompt: "Once upon a time", max_tokens: 16, temperature: 0 })
        .withResponse();
      if (hit.response.headers.get("x-hotpath-cache") === "hit") break;
    }
    assert.equal(hit?.response.headers.get("x-hotpath-cache"), "hit");
    assert.equal(hit?.data.choices[0].text, first.data.choices[0].text);
    const stream = await client.completions
      .create({ model, prompt: "Once upon a time", max_tokens: 16, temperature: 0, stream: true })
      .withResponse();
    assert.equal(stream.response.headers.get("x-hotpath-cache"), "hit");
    let text = "";
    for await (const chunk of stream.data) text += chunk.choices[0]?.text ?? "";
    assert.equal(text, first.data.choices[0].text);
    const other = await client.completions
      .create({ model, prompt: "Once upon a time,", max_tokens: 16, temperature: 0 })
      .withResponse();
    assert.equal(other.response.headers.get("x-hotpath-cache"), "miss", "completions match exactly by default");
  });

  it("reports stats, lists entries and clears through the admin API; refuses hostile queries", async () => {
    const stats = (await (await daemon.fetch("/hotpath/cache/stats")).json()) as CacheStats;
    assert.ok(
      stats.totals.hits >= 5 && stats.totals.misses >= 5 && stats.totals.bypasses >= 3,
      JSON.stringify(stats.totals),
    );
    assert.ok(stats.totals.semanticHits >= 1 && stats.totals.guardRejections >= 1);
    assert.ok(stats.totals.msSaved > 0 && stats.totals.tokensSaved > 0);
    assert.equal(stats.embedderLoaded, true);
    const ns = stats.namespaces.find((n) => n.entries > 0)!;
    // Namespaces are keyed on the requested model name (before routing), so the label shows it twice: "route model".
    assert.match(ns.label, /^chat chat · You are a helpful assistant\./);
    const entries = (await (
      await daemon.fetch(`/hotpath/cache/entries?namespace=${ns.namespace}&limit=2`)
    ).json()) as CacheEntries;
    assert.equal(entries.entries.length, 2);
    assert.ok(entries.entries.every((e) => e.namespace === ns.namespace && e.answerPreview.length > 0));

    for (const bad of [
      "namespace=xyz",
      "limit=0",
      "limit=abc",
      "limit=100000",
      "limit=1&limit=2",
      `namespace=${"a".repeat(5000)}`,
    ]) {
      const r = await daemon.fetch(`/hotpath/cache/entries?${bad}`);
      assert.equal(r.status, 400, bad);
      const body = (await r.json()) as { error: { message: string } };
      assert.ok(body.error.message.length > 0);
    }
    assert.equal((await fetch(`${daemon.url}/hotpath/cache/stats`)).status, 401, "the admin API needs the token");
    assert.equal((await daemon.fetch("/hotpath/cache?namespace=nothex", { method: "DELETE" })).status, 400);

    const metrics = await (await daemon.fetch("/metrics")).text();
    assert.match(metrics, /hotpath_cache_lookups\{verdict="hit"\} \d+/);
    assert.match(metrics, /hotpath_cache_lookup_seconds_count\{verdict="miss"\} \d+/);

    const cleared = (await (
      await daemon.fetch(`/hotpath/cache?namespace=${ns.namespace}`, { method: "DELETE" })
    ).json()) as CacheClearResult;
    assert.equal(cleared.namespace, ns.namespace);
    assert.ok(cleared.cleared >= 2);
    const all = (await (await daemon.fetch("/hotpath/cache", { method: "DELETE" })).json()) as CacheClearResult;
    assert.equal(all.namespace, null);
    assert.equal(((await (await daemon.fetch("/hotpath/cache/stats")).json()) as CacheStats).entries, 0);
    assert.equal((await ask("Once upon a time there was a little dog.")).cache, "miss");
  });
});
