// The recommended verifier set-up from docs/cache.md: the judge is a small model named by an alias, not a route id.
// (1) `--model judge=<gguf>` — a local model under the alias the verifier names. The only models here are
// stories260K-sized, which cannot answer yes/no: the local judge runs, its unclear reply counts as "different", and
// the paraphrase is a miss (safe), with no verifier failure logged. (2) A router alias `judge` — here pointing at a
// fake judge (an OpenAI wire-format upstream), so its yes and no are scripted: yes serves, no refuses.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";
import { ask, cacheStats, stored, startJudgedDaemon } from "./daemon-client.js";

const KEY = "sk-local-judge-test-0123456789";

describe("cache: the recommended judge set-up (a small model under an alias)", function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-local-judge-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Threshold 0.99 with a band of 0.5: the paraphrases below are candidates only the judge can admit.
  const cacheConfig = { threshold: 0.99, verifierBand: 0.5, verifier: { model: "judge", timeoutMs: 60_000 } };

  it("a local model loaded as `--model judge=…` is asked; a reply that is not yes is a miss, never a failure", async () => {
    const config = join(dir, "local.json");
    writeFileSync(config, JSON.stringify({ cache: cacheConfig }));
    const daemon = await startDaemon({
      dataDir: join(dir, "local-data"),
      args: ["--config", config, "--model", `chat=${chatModelPath()}`, "--model", `judge=${chatModelPath()}`],
      waitForModels: ["chat", "judge"],
    });
    try {
      const first = await ask(daemon, "What is the capital of France?");
      assert.equal(first.cache, "miss");
      await stored(daemon, 1);
      const before = (await cacheStats(daemon)).totals.guardRejections;
      assert.equal((await ask(daemon, "Tell me the capital city of France.")).cache, "miss");
      assert.equal((await cacheStats(daemon)).totals.guardRejections, before + 1, "the judge refused the candidate");
      assert.doesNotMatch(daemon.output(), /cache verifier .* failed/, "the local judge answered (no failure)");
      assert.equal((await ask(daemon, "What is the capital of France?")).cache, "hit", "exact hits need no judge");
    } finally {
      await daemon.dispose();
    }
  });

  it("a judge the alias cannot reach is logged and refuses (the control for the case above)", async () => {
    const config = join(dir, "missing.json");
    writeFileSync(
      config,
      JSON.stringify({ cache: { ...cacheConfig, verifier: { model: "nojudge", timeoutMs: 5000 } } }),
    );
    const daemon = await startDaemon({
      dataDir: join(dir, "missing-data"),
      args: ["--config", config, "--model", `chat=${chatModelPath()}`],
      waitForModels: ["chat"],
    });
    try {
      assert.equal((await ask(daemon, "What is the capital of France?")).cache, "miss");
      await stored(daemon, 1);
      assert.equal((await ask(daemon, "Tell me the capital city of France.")).cache, "miss");
      assert.match(daemon.output(), /cache verifier nojudge failed/);
    } finally {
      await daemon.dispose();
    }
  });

  it("a router alias `judge` reaches the judge it names: yes serves the cached answer, no refuses", async () => {
    const judge = await FakeUpstream.start("openai", KEY);
    const daemon = await startJudgedDaemon(dir, {
      judge,
      key: KEY,
      provider: "fakejudge",
      aliases: { judge: "fakejudge:small-instruct" },
      cache: cacheConfig,
    });
    try {
      const first = await ask(daemon, "What is the capital of France?");
      await stored(daemon, 1);
      judge.script({ kind: "reply", text: "yes" });
      const hit = await ask(daemon, "Tell me the capital city of France.");
      assert.equal(hit.cache, "hit");
      assert.equal(hit.text, first.text);
      assert.equal(judge.received.length, 1);
      assert.equal((judge.received[0].body as { model: string }).model, "small-instruct");
      judge.script({ kind: "reply", text: "No." }, { kind: "reply", text: "No." });
      assert.equal((await ask(daemon, "Could you tell me what the capital of France is?")).cache, "miss");
      assert.ok(judge.received.length >= 2);
    } finally {
      await daemon.dispose();
      await judge.close();
    }
  });
});
