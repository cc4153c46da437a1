// The model-backed cache verifier in the real daemon: near-threshold candidates are put to a model reached through the
// router (here a fake OpenAI upstream speaking the real wire format); its yes serves the cached answer, its no — or
// its failure — is a miss, and a verdict is remembered.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCriticalDifference } from "../../../daemon/cache/guards/index.js";
import type { TestDaemon } from "../../fixtures/daemon.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";
import { ask, stored, startJudgedDaemon } from "./daemon-client.js";

const KEY = "sk-verifier-test-0123456789";

describe("cache: model-backed verifier near the threshold", function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: TestDaemon;
  let judge: FakeUpstream;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-verifier-"));
    judge = await FakeUpstream.start("openai", KEY);
    // Threshold 0.99 with a band of 0.5: every candidate above 0.49 goes to the verifier, so paraphrases are decided
    // by it rather than by the embedding score alone.
    const cache = { threshold: 0.99, verifierBand: 0.5, verifier: { model: "judge:gpt-4o-mini", timeoutMs: 3000 } };
    daemon = await startJudgedDaemon(dir, { judge, key: KEY, provider: "judge", cache });
  });
  after(async () => {
    await daemon?.dispose();
    await judge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("yes → the cached answer, no → a miss, a failing verifier → a miss; verdicts are remembered", async () => {
    const first = await ask(daemon, "What is the capital of France?");
    assert.equal(first.cache, "miss");
    await stored(daemon, 1);
    assert.equal(judge.received.length, 0, "no candidate yet, no verifier call");

    judge.script({ kind: "reply", text: "Yes." });
    const paraphrase = await ask(daemon, "Tell me the capital city of France.");
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
    assert.equal((await ask(daemon, "Tell me the capital city of France.")).cache, "hit");
    assert.equal(judge.received.length, 1);

    judge.script({ kind: "reply", text: "no" });
    assert.equal((await ask(daemon, "Could you tell me what the capital of France is?")).cache, "miss");
    assert.equal(judge.received.length, 2);

    // Two entries now (the refused request was answered and stored too): each candidate that no false-hit defence
    // refuses is put to the judge.
    judge.script(
      { kind: "error", status: 500, message: "judge is down" },
      { kind: "error", status: 500, message: "judge is down" },
    );
    assert.equal(
      (await ask(daemon, "Name the capital of France for me.")).cache,
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
