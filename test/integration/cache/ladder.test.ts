// The exactness ladder (exact → normalised → semantic), the verifier on every semantic candidate, and scopes — against
// a real SQLite file, real sqlite-vec and the real embedding model. The judge is a local function standing in for a
// model (the model-backed path through the router is test/integration/cache/verifier.test.ts).
import assert from "node:assert/strict";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { modelVerifier, type Ask } from "../../../daemon/cache/verifier.js";
import type { ResponseCache } from "../../../daemon/cache/service.js";
import { answer, chat, ctx, makeCache, tempDb } from "./helpers.js";

describe("cache: exactness ladder, verifier on every candidate, scopes", function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDb>;
  beforeEach(() => (t = tempDb()));
  afterEach(() => t.cleanup());

  async function fill(cache: ResponseCache, req: ChatCompletionRequest, text: string, scope?: string) {
    const c = { ...ctx(), scope };
    const r = await cache.lookup(req, c);
    assert.equal(r.verdict, "miss", r.reason);
    assert.equal((await cache.store(req, c, answer(text), { latencyMs: 100 })).stored, true);
  }

  it("serves each rung and says which: exact, normalized (case, spacing, NFKC, JSON layout), semantic", async () => {
    const cache = makeCache(t.db);
    await fill(cache, chat('Validate {"name": "Ada", "age": 36} against the schema, please.'), "valid");
    assert.equal(
      (await cache.lookup(chat('Validate {"name": "Ada", "age": 36} against the schema, please.'), ctx())).match,
      "exact",
    );
    for (const variant of [
      'validate {"age":36,"name":"Ada"}   against the schema , please.',
      'VALIDATE {"name": "Ada", "age": 36} AGAINST THE SCHEMA, PLEASE.',
      'Validate\u00a0{"name": "Ada", "age": 36} against the ｓｃｈｅｍａ, please.',
    ]) {
      const r = await cache.lookup(chat(variant), ctx());
      assert.equal(r.verdict, "hit", `${variant}: ${r.reason}`);
      assert.equal(r.match, "normalized", variant);
    }
    // A different JSON value is not a normalisation.
    const other = await cache.lookup(chat('Validate {"name": "Ada", "age": 37} against the schema, please.'), ctx());
    cache.abandon(chat('Validate {"name": "Ada", "age": 37} against the schema, please.'), ctx());
    assert.notEqual(other.match, "normalized");
    assert.equal(other.verdict, "miss", "the number guard refuses 36 vs 37");

    await fill(cache, chat("How do I reset my password?"), "Use the forgot-password link.");
    const para = await cache.lookup(chat("How can I reset my password?"), ctx());
    assert.equal(para.verdict, "hit", para.reason);
    assert.equal(para.match, "semantic");
    const totals = cache.stats().totals;
    assert.equal(totals.normalizedHits, 3);
    assert.equal(totals.semanticHits, 1);
  });

  it("puts every semantic candidate to the verifier, far above the threshold too, and serves only its yes", async () => {
    const asked: { query: string; candidate: string; similarity: number }[] = [];
    let say = "no";
    // The recommended set-up: a small local instruction model as an alias, asked yes/no through modelVerifier. Here a
    // local function answers in the model's place, through the same prompt and parsing.
    const ask: Ask = async (request) => {
      const text = request.messages
        .map((m) => ("content" in m && typeof m.content === "string" ? m.content : ""))
        .join("\n");
      asked.push({ query: text, candidate: "", similarity: 0 });
      return say === "fail" ? Promise.reject(new Error("judge down")) : say;
    };
    const cache = makeCache(
      t.db,
      { verifierBand: 0.03 },
      { verifier: modelVerifier(ask, { model: "local:judge", timeoutMs: 1000 }) },
    );
    await fill(cache, chat("How do I reset my password?"), "Use the forgot-password link.");
    const no = await cache.lookup(chat("How can I reset my password?"), ctx());
    assert.ok((no.similarity ?? 0) >= 0.93, `a paraphrase well above the threshold (${no.similarity})`);
    assert.equal(asked.length, 1, "the verifier saw a candidate above threshold + band");
    assert.equal(no.verdict, "miss");
    assert.equal(no.guard, "verifier");
    say = "Yes";
    const yes = await cache.lookup(chat("How could I reset my password?"), ctx());
    assert.equal(yes.verdict, "hit", yes.reason);
    assert.match(yes.reason, /verifier/);
    say = "fail";
    const failed = await cache.lookup(chat("What's the way to reset my password?"), ctx());
    assert.equal(failed.verdict, "miss", "a failing verifier never makes a hit");
  });

  it("never serves one scope's answer to another; clear --scope removes only that scope", async () => {
    const cache = makeCache(t.db);
    const req = chat("Summarise my open tickets.");
    await fill(cache, req, "alice's tickets", "alice");
    // Each miss that is not answered is abandoned, as the request pipeline does when a backend fails.
    const bob = await cache.lookup(req, { ...ctx(), scope: "bob" });
    assert.equal(bob.verdict, "miss", "same request, other scope: a miss");
    cache.abandon(req, { ...ctx(), scope: "bob" });
    const shared = await cache.lookup(req, ctx());
    assert.equal(shared.verdict, "miss", "unscoped requests do not see scoped answers either");
    cache.abandon(req, ctx());
    const para = await cache.lookup(chat("Summarize my open tickets."), { ...ctx(), scope: "bob" });
    assert.equal(para.verdict, "miss", "nor do paraphrases or normalised forms");
    cache.abandon(chat("Summarize my open tickets."), { ...ctx(), scope: "bob" });
    assert.equal((await cache.lookup(req, { ...ctx(), scope: "alice" })).verdict, "hit");
    assert.equal(
      (await cache.lookup(chat("summarise my open tickets."), { ...ctx(), scope: "alice" })).match,
      "normalized",
    );
    await fill(cache, req, "bob's tickets", "bob");
    assert.equal(cache.entries().find((e) => e.scope === "bob")?.answerPreview, "bob's tickets");
    assert.equal(cache.clear({ scope: "alice" }), 1);
    assert.equal((await cache.lookup(req, { ...ctx(), scope: "alice" })).verdict, "miss");
    assert.equal((await cache.lookup(req, { ...ctx(), scope: "bob" })).verdict, "hit");
  });

  it("keeps the in-memory bit index in step with deletes, expiry and eviction", async () => {
    let now = Date.now();
    const cache = makeCache(t.db, { maxEntries: 2 }, { now: () => now });
    await fill(cache, chat("How do I reset my password?"), "link");
    await fill(cache, chat("How do I rotate an API key?"), "rotate");
    assert.equal((await cache.lookup(chat("How can I reset my password?"), ctx())).verdict, "hit");
    await fill(cache, chat("How do I revoke an OAuth token?"), "revoke"); // evicts the least recently used
    now += 10 * 86_400_000; // past every TTL
    const late = await cache.lookup(chat("How can I revoke an OAuth token?"), ctx());
    assert.equal(late.verdict, "miss", late.reason);
  });
});
