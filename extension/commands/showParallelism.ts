import type { Ctx } from "../ctx.js";
import { showTraceView } from "../panels/trace.js";

export function showParallelism(ctx: Ctx) {
  return (traceId?: unknown) => showTraceView(ctx, "parallelism", traceId);
}
