// Shared set-up for the cache's integration tests: a fresh SQLite file in a temp dir and the real default embedder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletion, ChatCompletionRequest } from "../../../daemon/api.js";
import "../../../daemon/cache/store.js"; // registers the cache migration before openDb
import { UseEmbedder } from "../../../daemon/cache/embedders/use.js";
import { ResponseCache, type ResponseCacheOptions } from "../../../daemon/cache/service.js";
import { CacheConfigSchema, type CacheConfig } from "../../../daemon/config.js";
import { openDb, type Db } from "../../../daemon/db.js";

/** One embedder per test process: loading USE takes a few hundred ms. */
export const embedder = new UseEmbedder();

export function tempDb(): { db: Db; file: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-cache-"));
  const file = join(dir, "hotpath.db");
  const db = openDb(file);
  return { db, file, dir, cleanup: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

export function makeCache(
  db: Db,
  config: Partial<CacheConfig> = {},
  extra: Partial<ResponseCacheOptions> = {},
): ResponseCache {
  return new ResponseCache({ db, config: CacheConfigSchema.parse(config), embedder, ...extra });
}

export function chat(user: string, over: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return {
    model: "stories",
    temperature: 0,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: user },
    ],
    ...over,
  };
}

export function answer(text: string, extra: Partial<ChatCompletion["choices"][0]["message"]> = {}): ChatCompletion {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1,
    model: "stories",
    system_fingerprint: "hotpath",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null, ...extra },
        finish_reason: extra.tool_calls ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30, prompt_tokens_details: { cached_tokens: 0 } },
    timings: {
      queue_ms: 0,
      prompt_n: 20,
      prompt_ms: 5,
      ttft_ms: 6,
      predicted_n: 10,
      predicted_ms: 50,
      predicted_per_second: 200,
    },
  };
}

export const ctx = (headers: Record<string, string> = {}, route = "local:stories") => ({ route, headers });
