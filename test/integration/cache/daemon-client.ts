// How the cache tests talk to a running daemon: a temperature-0 chat question and the cache's verdict on it; waiting
// until the store (written after a miss's answer) holds `n` entries; the cache's stats; a daemon with a fake judge.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CacheEntries, CacheStats } from "../../../daemon/api.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import type { FakeUpstream } from "../../fixtures/upstreams/fake.js";

export async function ask(daemon: TestDaemon, content: string, maxTokens = 12) {
  const res = await daemon.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "chat",
      messages: [{ role: "user", content }],
      max_tokens: maxTokens,
      temperature: 0,
    }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return { cache: res.headers.get("x-hotpath-cache"), text: body.choices[0].message.content };
}

export async function stored(daemon: TestDaemon, n: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { entries } = (await (await daemon.fetch("/hotpath/cache/entries")).json()) as CacheEntries;
    if (entries.length >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`fewer than ${n} cache entries stored`);
}

export async function cacheStats(daemon: TestDaemon): Promise<CacheStats> {
  return (await (await daemon.fetch("/hotpath/cache/stats")).json()) as CacheStats;
}

/**
 * A daemon in `dir` serving the chat model as `chat`, whose router reaches `judge` (a fake OpenAI upstream) as
 * provider `provider` (key from the environment, no retries), with `aliases` and this cache config.
 */
export function startJudgedDaemon(
  dir: string,
  o: { judge: FakeUpstream; key: string; provider: string; aliases?: Record<string, string>; cache: object },
): Promise<TestDaemon> {
  const config = join(dir, `${o.provider}.json`);
  const provider = { type: "openai", baseURL: o.judge.baseURL, apiKey: "env:JUDGE_KEY" };
  const router = { providers: { [o.provider]: provider }, aliases: o.aliases, maxRetries: 0 };
  writeFileSync(config, JSON.stringify({ router, cache: o.cache }));
  return startDaemon({
    dataDir: join(dir, `${o.provider}-data`),
    args: ["--config", config, "--model", `chat=${chatModelPath()}`],
    env: { JUDGE_KEY: o.key },
    waitForModels: ["chat"],
  });
}
