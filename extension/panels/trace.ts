// The four trace views (profiler, heatmap, parallelism, cache breakers): fetch a trace and its analysis, hand both
// to the view's webview. The analysis may fail on its own (e.g. an older daemon): the timeline still shows.
import * as vscode from "vscode";
import { VIEW_ATTRIBUTE_CAPS } from "../../daemon/traces/view-caps.js";
import type { ViewName } from "../../webview/protocol.js";
import type { Ctx } from "../ctx.js";
import { detailSummary } from "./detail-summary.js";
import type { PanelHost } from "./host.js";
import { webviewBytes } from "./webview-bytes.js";

export type TraceView = Extract<ViewName, "profiler" | "heatmap" | "parallelism" | "cacheBreakers">;

/** Which trace a command means: its argument, else the one last shown, else the newest; asks when none exists. */
export async function resolveTraceId(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  if (typeof arg === "string" && arg) return arg;
  if (arg && typeof arg === "object" && "trace" in arg) return (arg as { trace: { traceId: string } }).trace.traceId;
  if (ctx.currentTraceId) return ctx.currentTraceId;
  const client = await ctx.ensureDaemon();
  const { traces } = await client.traces(1);
  if (traces[0]) return traces[0].traceId;
  const pick = await vscode.window.showInformationMessage(
    "Hotpath has no traces yet. Import a trace file?",
    "Import Trace File…",
  );
  if (pick) await vscode.commands.executeCommand("hotpath.importTrace");
  return ctx.currentTraceId;
}

export async function showTraceView(ctx: Ctx, view: TraceView, arg?: unknown): Promise<PanelHost | undefined> {
  const traceId = await resolveTraceId(ctx, arg);
  if (!traceId) return undefined;
  const client = await ctx.ensureDaemon();
  // Long attributes cut by the daemon as it makes the detail (every byte of a tool's output would reach the webview,
  // which shows a few thousand characters of it; the webview cuts them when an older daemon did not). Both answers go
  // to the webview as the daemon's bytes, parsed there once: parsed here, a 100k-span detail was parsed by the
  // extension host, serialised again for VS Code's message and cloned into the webview's frame (docs/traces.md).
  const detail = await client.traceJson(traceId, VIEW_ATTRIBUTE_CAPS);
  let analysis: Uint8Array | null = null;
  let analysisError: string | undefined;
  try {
    analysis = await client.analysisJson(traceId);
  } catch (e) {
    analysisError = (e as Error).message;
    ctx.log.appendLine(`[hotpath] analysis of ${traceId} failed: ${analysisError}`);
  }
  const bytes = await webviewBytes(detail, analysis, vscode.env.remoteName !== undefined);
  ctx.currentTraceId = traceId;
  const panel = ctx.panel(view);
  const name = detailSummary(detail)?.name;
  panel.panel.title = `${panel.panel.title.split(" — ")[0]} — ${name || traceId.slice(0, 12)}`;
  panel.post({ type: "traceJson", ...bytes, analysisError });
  return panel;
}
