import type { Ctx } from "../ctx.js";
import { showTraceView } from "../panels/trace.js";

/** Where consecutive prompts of a trace diverged (breaking the provider's prefix cache), and unused tools. */
export function showCacheBreakers(ctx: Ctx) {
  return (traceId?: unknown) => showTraceView(ctx, "cacheBreakers", traceId);
}
