import type { Ctx } from "../ctx.js";
import { showTraceView } from "../panels/trace.js";

/** The trace timeline (waterfall) with the critical path, of the given trace or the current/newest one. */
export function openProfiler(ctx: Ctx) {
  return (traceId?: unknown) => showTraceView(ctx, "profiler", traceId);
}
