// ResponseCache against a real SQLite file, real sqlite-vec and the real embedding model.
import assert from "node:assert/strict";
import { answer, chat, ctx, makeCache, tempDb } from "./helpers.js";

describe("cache: ResponseCache (real SQLite, sqlite-vec, USE embedder)", function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDb>;
  beforeEach(() => (t = tempDb()));
  afterEach(() => t.cleanup());

  async function miss(
    cache: ReturnType<typeof makeCache>,
    req: ReturnType<typeof chat>,
    text: string,
    headers: Record<string, string> = {},
  ) {
    const r = await cache.lookup(req, ctx(headers));
    assert.equal(r.verdict, "miss", r.reason);
    const s = await cache.store(req, ctx(headers), answer(text), { latencyMs: 1234, costUsd: 0.002 });
    assert.equal(s.stored, true, s.reason);
    return r;
  }

  it("answers the same deterministic request from the exact key, with savings counted", async () => {
    const cache = makeCache(t.db);
    const req = chat("How do I enable 2FA on my account?");
    await miss(cache, req, "Go to Settings → Security.");
    const again = await cache.lookup({ ...req, stream: true, user: "someone-else" }, ctx());
    assert.equal(again.verdict, "hit");
    assert.equal(again.match, "exact");
    assert.equal(again.similarity, 1);
    assert.equal(
      again.response && "message" in again.response.choices[0] ? again.response.choices[0].message.content : "",
      "Go to Settings → Security.",
    );
    assert.notEqual(again.response?.id, "chatcmpl-test", "a replay gets its own id");
    const stats = cache.stats();
    assert.equal(stats.totals.hits, 1);
    assert.equal(stats.totals.misses, 1);
    assert.equal(stats.totals.hitRate, 0.5);
    assert.equal(stats.totals.tokensSaved, 30);
    assert.equal(stats.totals.msSaved, 1234);
    assert.equal(stats.totals.usdSaved, 0.002);
    assert.equal(stats.namespaces[0].entries, 1);
  });

  it("answers a paraphrase semantically, and refuses enable-after-disable with the antonym guard", async () => {
    const cache = makeCache(t.db);
    await miss(cache, chat("How do I disable 2FA on my account?"), "Settings → Security → Turn off 2FA.");
    const para = await cache.lookup(chat("How can I disable two-factor authentication for my account?"), ctx());
    // A paraphrase with a synonym the entity lexicon knows (2FA ↔ two-factor) — judged by cosine and the guards.
    const enable = await cache.lookup(chat("How do I enable 2FA on my account?"), ctx());
    assert.equal(enable.verdict, "miss");
    assert.equal(enable.guard, "antonym", enable.reason);
    assert.ok((enable.similarity ?? 0) > 0.9, `enable/disable score high on cosine (${enable.similarity})`);
    await miss(cache, chat("How do I reset my password?"), "Use the forgot-password link.");
    const reset = await cache.lookup(chat("How can I reset my password?"), ctx());
    assert.equal(reset.verdict, "hit", reset.reason);
    assert.equal(reset.match, "semantic");
    assert.ok(reset.similarity! >= 0.9 && reset.similarity! < 1);
    assert.equal(cache.stats().totals.semanticHits, para.verdict === "hit" ? 2 : 1);
    assert.ok(cache.stats().totals.guardRejections >= 1);
  });

  it("never hits across system prompts, tools, temperature/seed, history or routes", async () => {
    const cache = makeCache(t.db);
    const base = chat("What is the capital of France?");
    await miss(cache, base, "Paris.");
    const variants: [string, ReturnType<typeof chat>, string?][] = [
      ["system prompt", { ...base, messages: [{ role: "system", content: "Answer in French." }, base.messages[1]] }],
      [
        "tools",
        { ...base, tools: [{ type: "function", function: { name: "lookup_city", parameters: { type: "object" } } }] },
      ],
      ["seed", { ...base, seed: 7 }],
      ["top_p", { ...base, top_p: 0.5 }],
      ["response_format", { ...base, response_format: { type: "json_object" } }],
      ["tool_choice", { ...base, tool_choice: "none" }],
      [
        "history",
        {
          ...base,
          messages: [
            base.messages[0],
            { role: "user", content: "Hi" },
            { role: "assistant", content: "Hello!" },
            base.messages[1],
          ],
        },
      ],
      ["model", { ...base, model: "other-model" }],
      ["route", base, "openai:gpt-4o-mini"],
    ];
    for (const [what, req, route] of variants) {
      const r = await cache.lookup(req, ctx({}, route));
      assert.equal(r.verdict, "miss", `${what} must not hit: ${r.reason}`);
      assert.notEqual(r.namespace, (await cache.lookup(base, ctx())).namespace, `${what} has its own namespace`);
    }
    // Sampled requests are not even looked up by default.
    const hot = await cache.lookup({ ...base, temperature: 0.7 }, ctx());
    assert.equal(hot.verdict, "bypass");
    assert.match(hot.reason, /deterministic/);
    assert.equal(
      (await cache.store({ ...base, temperature: 0.7 }, ctx(), answer("Paris!"), { latencyMs: 1 })).stored,
      false,
    );
  });

  it("honours Cache-Control and x-hotpath-cache", async () => {
    const cache = makeCache(t.db);
    const req = chat("Why is the sky blue?");
    const noStore = await cache.lookup(req, ctx({ "cache-control": "no-store" }));
    assert.equal(noStore.verdict, "bypass");
    assert.equal(noStore.storable, false);
    assert.equal(
      (await cache.store(req, ctx({ "cache-control": "no-store" }), answer("Rayleigh"), { latencyMs: 1 })).stored,
      false,
    );
    const noCache = await cache.lookup(req, ctx({ "Cache-Control": "max-age=0, no-cache" }));
    assert.equal(noCache.verdict, "bypass");
    assert.equal(noCache.storable, true, "no-cache refreshes: the fresh answer is stored");
    assert.equal(
      (await cache.store(req, ctx({ "cache-control": "no-cache" }), answer("Rayleigh scattering"), { latencyMs: 1 }))
        .stored,
      true,
    );
    assert.equal((await cache.lookup(req, ctx({ "x-hotpath-cache": "bypass" }))).verdict, "bypass");
    const hit = await cache.lookup(req, ctx());
    assert.equal(hit.verdict, "hit");
    assert.equal(cache.stats().totals.bypasses, 3);
  });

  it("matches tool-result turns and tool-call answers only exactly", async () => {
    const cache = makeCache(t.db);
    const call = {
      id: "call_1",
      type: "function" as const,
      function: { name: "read_file", arguments: '{"path":"a.ts"}' },
    };
    const toolTurn = chat("Read a.ts and summarise it.", {
      messages: [
        { role: "system", content: "You are a coding agent." },
        { role: "user", content: "Read a.ts and summarise it." },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "export const a = 1;" },
      ],
    });
    const first = await cache.lookup(toolTurn, ctx());
    assert.equal(first.verdict, "miss");
    assert.match(first.reason, /tool result/);
    await cache.store(toolTurn, ctx(), answer("It exports a = 1."), { latencyMs: 1 });
    assert.equal((await cache.lookup(toolTurn, ctx())).verdict, "hit");
    const otherResult = structuredClone(toolTurn);
    otherResult.messages[3] = { role: "tool", tool_call_id: "call_1", content: "export const a = 2;" };
    assert.equal((await cache.lookup(otherResult, ctx())).verdict, "miss", "a different tool result never hits");

    const ask = chat("Read b.ts please.");
    assert.equal((await cache.lookup(ask, ctx())).verdict, "miss");
    const s = await cache.store(ask, ctx(), answer("", { content: null, tool_calls: [call] }), { latencyMs: 1 });
    assert.match(s.reason, /exact match only/);
    assert.equal(
      (await cache.lookup(chat("Please read b.ts."), ctx())).verdict,
      "miss",
      "a tool-call answer is not served to a paraphrase",
    );
    assert.equal((await cache.lookup(ask, ctx())).verdict, "hit");
  });

  it("expires entries after their workload's TTL (x-hotpath-task or classifier)", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const cache = makeCache(t.db, {}, { now: () => now });
    const conv = chat("Tell me a fun fact about otters.");
    await miss(cache, conv, "They hold hands.");
    const cls = chat("Classify the sentiment: I love it.", {
      messages: [
        { role: "system", content: "Classify the sentiment as positive or negative." },
        { role: "user", content: "I love it." },
      ],
    });
    await miss(cache, cls, "positive");
    const code = chat("Write a regex for digits.");
    await miss(cache, code, "\\d+", { "x-hotpath-task": "code" });
    const [c1] = cache.entries({ limit: 10 }).filter((e) => e.queryText.includes("otters"));
    assert.equal(c1.workload, "conversation");
    assert.equal(c1.expiresMs - c1.createdMs, 3600_000);
    now += 3600_000 + 1;
    assert.equal((await cache.lookup(conv, ctx())).verdict, "miss", "conversation expires after 1 h");
    assert.equal((await cache.lookup(code, ctx())).verdict, "hit", "code lives 24 h");
    now += 24 * 3600_000;
    assert.equal((await cache.lookup(code, ctx())).verdict, "miss", "code expires after 24 h");
    assert.equal((await cache.lookup(cls, ctx())).verdict, "hit", "classification lives 30 d");
    const { expired } = cache.maintain(true);
    assert.equal(expired, 2);
    assert.equal(cache.stats().entries, 1);
  });

  it("evicts the least recently used entries beyond the size cap, vectors included", async () => {
    let now = 1_000_000;
    const cache = makeCache(t.db, { maxEntries: 3 }, { now: () => now });
    const qs = ["What is a monad?", "What is a closure?", "What is a mutex?", "What is a semaphore?"];
    for (const q of qs.slice(0, 3)) {
      now += 1000;
      await miss(cache, chat(q), `About ${q}`);
    }
    now += 1000;
    assert.equal((await cache.lookup(chat(qs[0]), ctx())).verdict, "hit"); // monad is now recently used
    now += 1000;
    await miss(cache, chat(qs[3]), "About semaphores"); // over the cap: closure (least recently used) goes
    const left = cache
      .entries({ limit: 10 })
      .map((e) => e.queryText)
      .sort();
    assert.deepEqual(left, ["What is a monad?", "What is a mutex?", "What is a semaphore?"]);
    assert.equal(cache.stats().evictions, 1);
    // The evicted entry's vector went with it: asked again, the nearest candidate is another question.
    const closure = await cache.lookup(chat("What is a closure?"), ctx());
    assert.equal(closure.verdict, "miss");
    assert.ok((closure.similarity ?? 0) < 0.99, `nearest cosine ${closure.similarity}`);
  });

  it("makes concurrent identical requests wait for the first one's answer (single-flight)", async () => {
    const cache = makeCache(t.db);
    const req = chat("Summarise the design document in one line.");
    const leader = await cache.lookup(req, ctx());
    assert.equal(leader.verdict, "miss");
    const followers = [cache.lookup(req, ctx()), cache.lookup({ ...req, stream: true }, ctx())];
    let settled = false;
    void Promise.all(followers).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, "followers wait while the leader is at the backend");
    await cache.store(req, ctx(), answer("One line."), { latencyMs: 500 });
    for (const f of await Promise.all(followers)) {
      assert.equal(f.verdict, "hit");
      assert.equal(f.match, "single-flight");
    }
    // A leader that fails releases its followers, who then go to the backend themselves (one of them leads).
    const req2 = chat("Another question entirely, about compilers.");
    assert.equal((await cache.lookup(req2, ctx())).verdict, "miss");
    const waiting = cache.lookup(req2, ctx());
    cache.abandon(req2, ctx());
    assert.equal((await waiting).verdict, "miss");
    // An aborted follower stops waiting.
    const req3 = chat("Third question, about kernels.");
    await cache.lookup(req3, ctx());
    const ac = new AbortController();
    const aborted = cache.lookup(req3, { ...ctx(), signal: ac.signal });
    ac.abort();
    assert.equal((await aborted).verdict, "miss");
    cache.abandon(req3, ctx());
  });

  it("keeps a threshold per namespace", async () => {
    const cache = makeCache(t.db);
    await miss(cache, chat("How do I reset my password?"), "Use the link.");
    const r = await cache.lookup(chat("How can I reset my password?"), ctx());
    assert.equal(r.verdict, "hit");
    assert.equal(cache.setThreshold(r.namespace!, 0.999), true);
    const strict = await cache.lookup(chat("How can I reset my password?"), ctx());
    assert.equal(strict.verdict, "miss");
    assert.match(strict.reason, /< 0.999/);
    assert.equal(cache.stats().namespaces.find((n) => n.namespace === r.namespace)?.threshold, 0.999);
  });

  it("asks the verifier about borderline candidates only, and follows its judgement", async () => {
    for (const says of [false, true]) {
      const asked: number[] = [];
      // Band [0.92, 1.02): a close paraphrase (~0.96) is borderline here; an unrelated question is not asked about.
      const cache = makeCache(
        t.db,
        { threshold: 0.97, verifierBand: 0.05 },
        {
          verifier: async ({ similarity }) => {
            asked.push(similarity);
            return says;
          },
        },
      );
      cache.clear();
      await miss(cache, chat("How do I reset my password?"), "Use the link.");
      const r = await cache.lookup(chat("How can I reset my password?"), ctx());
      assert.equal(asked.length, 1);
      assert.ok(asked[0] >= 0.92 && asked[0] < 1);
      assert.equal(r.verdict, says ? "hit" : "miss");
      if (!says) assert.equal(r.guard, "verifier");
      await cache.lookup(chat("What is the boiling point of mercury?"), ctx());
      assert.equal(asked.length, 1, "far candidates never reach the verifier");
    }
  });

  it("lists and clears entries per namespace; clearing removes their vectors", async () => {
    const cache = makeCache(t.db);
    await miss(cache, chat("What is Rust?"), "A language.");
    const other = chat("What is Rust?", {
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is Rust?" },
      ],
    });
    await miss(cache, other, "Lang.");
    const ns = (await cache.lookup(other, ctx())).namespace;
    assert.equal(cache.entries({ namespace: ns }).length, 1);
    assert.equal(cache.entries().length, 2);
    assert.equal(cache.clear(ns), 1);
    assert.equal(cache.entries().length, 1);
    assert.equal(cache.clear(), 1);
    assert.equal(cache.stats().entries, 0);
    assert.equal((await cache.lookup(chat("What is Rust?"), ctx())).verdict, "miss");
  });

  it("caches completions by exact prompt (semantic off by default for continuations)", async () => {
    const cache = makeCache(t.db);
    const req = { model: "stories", prompt: "Once upon a time", temperature: 0, max_tokens: 16 };
    assert.equal((await cache.lookup(req, ctx())).verdict, "miss");
    const completion = {
      id: "cmpl-1",
      object: "text_completion" as const,
      created: 1,
      model: "stories",
      choices: [{ index: 0, text: " there was a cat.", finish_reason: "stop" as const, logprobs: null }],
      usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10, prompt_tokens_details: { cached_tokens: 0 } },
      timings: {
        queue_ms: 0,
        prompt_n: 4,
        prompt_ms: 1,
        ttft_ms: 1,
        predicted_n: 6,
        predicted_ms: 6,
        predicted_per_second: 1000,
      },
    };
    await cache.store(req, ctx(), completion, { latencyMs: 7 });
    const hit = await cache.lookup({ ...req, prompt: ["Once upon a time"] }, ctx());
    assert.equal(hit.verdict, "hit");
    assert.equal(hit.response?.object, "text_completion");
    assert.equal((await cache.lookup({ ...req, prompt: "Once upon a time," }, ctx())).verdict, "miss");
  });
});
