// Shared setup for router tests: a validated router config and a short way to run one request.
import { RouterConfigSchema, type RouterConfig } from "../../../daemon/config.js";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import type { ChatEvent } from "../../../daemon/chat.js";
import { Router, type RouteResult } from "../../../daemon/router/router.js";

export const OPENAI_KEY = "sk-test-openai-SECRET-4f9a8b7c6d5e";
export const ANTHROPIC_KEY = "sk-ant-test-SECRET-1a2b3c4d5e6f";
export const ENV = { TEST_OPENAI_KEY: OPENAI_KEY, TEST_ANTHROPIC_KEY: ANTHROPIC_KEY };

export function routerConfig(input: Record<string, unknown>): RouterConfig {
  // Fast backoff so retry tests do not sleep for long; retry-after still waits what the upstream says.
  return RouterConfigSchema.parse({ backoff: { baseMs: 5, maxMs: 20 }, ...input });
}

export function ask(model: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model, messages: [{ role: "user", content: "Say hello." }], ...extra };
}

export function opts(signal = new AbortController().signal, headers: Record<string, string> = {}) {
  return { signal, priority: "interactive" as const, requestId: "req-test", headers };
}

export async function collect(result: RouteResult): Promise<{ text: string; events: ChatEvent[] }> {
  const events: ChatEvent[] = [];
  let text = "";
  for await (const e of result.events) {
    events.push(e);
    if (e.type === "text") text += e.text;
  }
  return { text, events };
}

export { Router };
