import type { Ctx } from "../ctx.js";
import { showTraceView } from "../panels/trace.js";

export function showHeatmap(ctx: Ctx) {
  return (traceId?: unknown) => showTraceView(ctx, "heatmap", traceId);
}
