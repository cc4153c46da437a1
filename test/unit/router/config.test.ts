// The router's config section: secret references only, clear errors, and reload on file change.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type RouterConfig } from "../../../daemon/config.js";
import { watchConfigFile } from "../../../daemon/router/reload.js";
import { Router } from "../../../daemon/router/router.js";
import { redact, resolveSecret } from "../../../daemon/router/secrets.js";

describe("router: config", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-router-config-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function load(yaml: string) {
    const file = join(dir, "config.yaml");
    writeFileSync(file, yaml);
    return loadConfig({ flags: { config: file }, env: {} });
  }

  it("parses a full router section with defaults filled in", () => {
    const c = load(`
router:
  providers:
    vllm: { type: openai-compatible, baseURL: "http://gpu-box:8000/v1" }
    openai: { type: openai, apiKey: "env:OPENAI_API_KEY", maxConcurrency: 4 }
  routes:
    "openai:gpt-4o-mini": { timeoutMs: 20000, fallbacks: [smart], dailyBudgetUsd: 5 }
  aliases:
    fast: "local:qwen"
    smart: "anthropic:claude-sonnet-4-5"
    auto: { cascade: ["local:qwen", "vllm:llama-70b", smart], minMean: 0.7 }
  rules:
    - { name: summaries, when: { task: summarize, maxPromptChars: 20000 }, target: fast }
    - { when: { tools: true }, target: smart }
  prices:
    "vllm:": { input: 0, output: 0 }
`);
    assert.equal(c.router.providers.vllm.maxConcurrency, 16);
    assert.equal(c.router.providers.openai.maxConcurrency, 4);
    assert.equal(c.router.timeoutMs, 60_000);
    assert.equal(c.router.breaker.failureThreshold, 5);
    assert.equal(c.router.backoff.baseMs, 250);
    assert.equal(c.router.rules.length, 2);
    // With no router section at all, everything defaults.
    assert.deepEqual(load("port: 9000\n").router.providers, {});
  });

  it("refuses a key written into the config, naming where it should go", () => {
    assert.throws(
      () => load(`router:\n  providers:\n    openai: { type: openai, apiKey: "sk-live-abcdef1234567890" }\n`),
      (e: unknown) =>
        e instanceof ConfigError &&
        /router\.providers\.openai\.apiKey: must be a secret reference like env:OPENAI_API_KEY/.test(e.message) &&
        !e.message.includes("sk-live"),
    );
  });

  it("reports every problem with its path: unknown provider in a route, missing baseURL, bad cascade, unknown rule field", () => {
    assert.throws(
      () =>
        load(`
router:
  providers:
    box: { type: openai-compatible }
  aliases:
    fast: "nosuch:model"
    auto: { cascade: ["local:a"] }
  rules:
    - { when: { taks: summarize }, target: fast }
`),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /router\.providers\.box\.baseURL: an openai-compatible provider needs a baseURL/);
        assert.match(e.message, /router\.aliases\.auto\.cascade: a cascade needs at least two routes/);
        assert.match(e.message, /router\.rules\.0\.when: Unrecognized key/);
        return true;
      },
    );
    assert.throws(
      () => load(`router:\n  aliases:\n    fast: "nosuch:model"\n`),
      /router\.aliases\.fast: 'nosuch:model' names provider 'nosuch', which is not configured/,
    );
  });

  it("resolves secret references at request time and scrubs their values from text", () => {
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, "file-key-value-123456\n");
    assert.equal(resolveSecret("env:K", { K: "env-key-value-987654" }), "env-key-value-987654");
    assert.equal(resolveSecret(`file:${keyFile}`), "file-key-value-123456");
    assert.equal(resolveSecret("env:MISSING", {}), undefined);
    assert.equal(redact("got env-key-value-987654 and file-key-value-123456"), "got [redacted] and [redacted]");
    assert.equal(
      redact("Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrSt"),
      "Incorrect API key provided: [redacted]",
    );
  });

  it("reloads the router section when the file changes; an invalid edit is reported and the old config stays", async () => {
    const file = join(dir, "config.yaml");
    writeFileSync(file, `router:\n  aliases:\n    fast: "local:a"\n`);
    const router = new Router({ config: loadConfig({ flags: { config: file }, env: {} }).router });
    const logs: string[] = [];
    let applied: RouterConfig | undefined;
    const waitFor = async (what: () => boolean) => {
      for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(what(), `timed out; logs: ${logs.join(" | ")}`);
    };
    const w = watchConfigFile(
      file,
      () => loadConfig({ flags: { config: file }, env: {} }).router,
      (c) => {
        applied = c;
        router.reload(c);
      },
      (level, m) => logs.push(`${level}: ${m}`),
      20,
    );
    try {
      writeFileSync(file, `router:\n  aliases:\n    fast: "anthropic:claude-haiku-4-5"\n`);
      await waitFor(() => applied !== undefined);
      const p = router.plan({ model: "fast", messages: [{ role: "user", content: "x" }] });
      assert.deepEqual(p.kind === "chain" && p.routes, ["anthropic:claude-haiku-4-5"]);

      writeFileSync(file, `router:\n  aliases:\n    fast: 12\n`);
      await waitFor(() => logs.some((l) => l.startsWith("error:")));
      assert.match(
        logs.find((l) => l.startsWith("error:"))!,
        /config reload failed, keeping the previous router config: invalid configuration:\n\s+router\.aliases\.fast/,
      );
      const still = router.plan({ model: "fast", messages: [{ role: "user", content: "x" }] });
      assert.deepEqual(still.kind === "chain" && still.routes, ["anthropic:claude-haiku-4-5"]);
    } finally {
      w.close();
      router.close();
    }
  });
});
