// `hotpath serve --embedding-model <gguf>`: the daemon embeds cache lookups with a GGUF model through node-llama-cpp.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../daemon/config.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { ask, cacheStats } from "./daemon-client.js";

describe("cache: --embedding-model (GGUF embedder in the daemon)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  const model = chatModelPath();

  before(async () => {
    daemon = await startDaemon({
      args: ["--model", `chat=${model}`, "--embedding-model", model],
      waitForModels: ["chat"],
    });
  });
  after(() => daemon?.dispose());

  it("uses the GGUF model's vector space for semantic lookups", async () => {
    assert.equal((await ask(daemon, "The cat sat on the mat.", 8)).cache, "miss");
    let verdict;
    for (let i = 0; i < 50 && verdict !== "hit"; i++) verdict = (await ask(daemon, "The cat sat on the mat.", 8)).cache;
    assert.equal(verdict, "hit");
    const stats = await cacheStats(daemon);
    assert.match(stats.embedder, /^gguf:[\w.-]+\.gguf#\d+$/);
    assert.equal(stats.embedderLoaded, true, "a semantic lookup embedded with it");
  });

  it("flags merge into the config file's cache section instead of replacing it", () => {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-cfg-"));
    try {
      const file = join(dir, "config.json");
      writeFileSync(file, JSON.stringify({ cache: { threshold: 0.93, ttlSeconds: { conversation: 60 } } }));
      const c = loadConfig({
        flags: { config: file, cache: { embedder: "gguf", embeddingModel: "/m.gguf" } as never },
        env: {},
      });
      assert.equal(c.cache.threshold, 0.93);
      assert.equal(c.cache.ttlSeconds.conversation, 60);
      assert.equal(c.cache.embedder, "gguf");
      assert.equal(c.cache.embeddingModel, "/m.gguf");
      assert.throws(() => loadConfig({ flags: { cache: { threshold: 7 } as never }, env: {} }), /cache\.threshold/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
