import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import { showTraceView } from "../panels/trace.js";

/** Opens a trace in the profiler: the one given (tree item, argument), else one picked from the recent list. */
export function openTrace(ctx: Ctx) {
  return async (arg?: unknown) => {
    if (arg) return showTraceView(ctx, "profiler", arg);
    const client = await ctx.ensureDaemon();
    const { traces } = await client.traces(ctx.config.recentTraces);
    if (!traces.length) {
      void vscode.window.showInformationMessage(
        "Hotpath has no traces yet: import one or point an agent at the daemon.",
      );
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      traces.map((t) => ({
        label: t.name || t.traceId,
        description: `${t.spanCount} spans · ${((t.endNs - t.startNs) / 1e9).toFixed(1)} s · ${t.source}`,
        detail: new Date(t.startNs / 1e6).toLocaleString(),
        traceId: t.traceId,
      })),
      { title: "Hotpath: Open Trace", placeHolder: "Pick a trace", matchOnDescription: true },
    );
    return pick ? showTraceView(ctx, "profiler", pick.traceId) : undefined;
  };
}
