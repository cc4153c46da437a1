// The model-backed cache verifier in the real daemon: near-threshold candidates are put to a model reached through the
// router (here a fake OpenAI upstream speaking the real wire format); its yes serves the cached answer, its no — or
// its failure — is a miss, and a verdict is remembered.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CacheEntries } from "../../../daemon/api.js";
import { findCriticalDifference } from "../../../daemon/cache/guards/index.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";

const KEY = "sk-verifier-test-0123456789";

describe("cache: model-backed verifier near the threshold", function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: TestDaemon;
  let judge: FakeUpstream;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-verifier-"));
    judge = await FakeUpstream.start("openai", KEY);
    const config = join(dir, "config.json");
    // Threshold 0.99 with a band of 0.5: every candidate above 0.49 goes to the verifier, so paraphrases are decided
    // by it rather than by the embedding score alone.
    writeFileSync(
      config,
      JSON.stringify({
        router: {
          providers: { judge: { type: "openai", baseURL: judge.baseURL, apiKey: "env:VERIFIER_KEY" } },
          maxRetries: 0,
        },
        cache: { threshold: 0.99, verifierBand: 0.5, verifier: { model: "judge:gpt-4o-mini", timeoutMs: 3000 } },
      }),
    );
    daemon = await startDaemon({
      dataDir: join(dir, "data"),
      args: ["--config", config, "--model", `chat=${chatModelPath()}`],
      env: { VERIFIER_KEY: KEY },
      waitForModels: ["chat"],
    });
  });
  after(async () => {
    await daemon?.dispose();
    await judge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ask(content: string) {
    const res = await daemon.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content }], max_tokens: 12, temperature: 0 }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    return { cache: res.headers.get("x-hotpath-cache"), text: body.choices[0].message.content };
  }

  it("yes → the cached answer, no → a miss, a failing verifier → a miss; verdicts are remembered", async () => {
    const first = await ask("What is the capital of France?");
    assert.equal(first.cache, "miss");
    for (let i = 0; i < 50; i++) {
      const { entries } = (await (await daemon.fetch("/hotpath/cache/entries")).json()) as CacheEntries;
      if (entries.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(judge.received.length, 0, "no candidate yet, no verifier call");

    judge.script({ kind: "reply", text: "Yes." });
    const paraphrase = await ask("Tell me the capital city of France.");
    assert.equal(paraphrase.cache, "hit");
    assert.equal(paraphrase.text, first.text);
    assert.equal(judge.received.length, 1);
    const asked = judge.received[0].body as { model: string; messages: { content: string }[]; max_tokens: number };
    assert.equal(asked.model, "gpt-4o-mini");
    const prompt = asked.messages.map((m) => m.content).join("\n");
    assert.ok(
      prompt.includes("Tell me the capital city of France.") && prompt.includes("What is the capital of France?"),
      prompt,
    );

    // The same paraphrase again: the remembered verdict answers, the judge is not asked twice.
    assert.equal((await ask("Tell me the capital city of France.")).cache, "hit");
    assert.equal(judge.received.length, 1);

    judge.script({ kind: "reply", text: "no" });
    assert.equal((await ask("Could you tell me what the capital of France is?")).cache, "miss");
    assert.equal(judge.received.length, 2);

    // Two entries now (the refused request was answered and stored too): each candidate that no false-hit defence
    // refuses is put to the judge.
    judge.script(
      { kind: "error", status: 500, message: "judge is down" },
      { kind: "error", status: 500, message: "judge is down" },
    );
    assert.equal(
      (await ask("Name the capital of France for me.")).cache,
      "miss",
      "a failing verifier never makes a hit",
    );
    const judged = ["What is the capital of France?", "Could you tell me what the capital of France is?"].filter(
      (c) => !findCriticalDifference("Name the capital of France for me.", c),
    ).length;
    assert.ok(judged >= 1, "at least one candidate reaches the judge");
    assert.equal(judge.received.length, 2 + judged);
  });
});
