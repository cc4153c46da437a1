import * as path from "node:path";
import * as vscode from "vscode";
import type { ImportResult } from "../../daemon/api.js";
import type { Ctx } from "../ctx.js";

/** Sends a trace file (Claude Code / Codex JSONL, OTLP JSON, OpenAI Agents, …) to the daemon's importer. */
export function importTrace(ctx: Ctx) {
  return async (arg?: unknown): Promise<ImportResult | undefined> => {
    let uri = arg instanceof vscode.Uri ? arg : typeof arg === "string" ? vscode.Uri.file(arg) : undefined;
    if (!uri) {
      const picked = await vscode.window.showOpenDialog({
        title: "Hotpath: Import Trace File",
        canSelectMany: false,
        filters: { "Trace files": ["jsonl", "json", "pb", "otlp"], "All files": ["*"] },
      });
      uri = picked?.[0];
    }
    if (!uri) return undefined;
    const client = await ctx.ensureDaemon();
    const bytes = await vscode.workspace.fs.readFile(uri);
    const name = path.basename(uri.fsPath || uri.path);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Importing ${name}…` },
      () => client.importTrace(name, bytes),
    );
    ctx.currentTraceId = result.traceIds[0];
    ctx.tree.refresh();
    ctx.log.appendLine(
      `[hotpath] imported ${name} as ${result.format}: ${result.traceIds.length} trace(s), ${result.spanCount} spans`,
    );
    void vscode.window
      .showInformationMessage(
        `Imported ${name} (${result.format}): ${result.traceIds.length} trace(s), ${result.spanCount} spans.`,
        "Open Profiler",
      )
      .then((a) => {
        if (a) void vscode.commands.executeCommand("hotpath.openProfiler", result.traceIds[0]);
      });
    return result;
  };
}
