// Entry point: activate builds the context and registers the commands; deactivate disposes it (stopping a daemon we started).
import * as vscode from "vscode";
import type { AuditEditor } from "./audit.js";
import { auditPrompt } from "./commands/auditPrompt.js";
import { copyBaseUrl } from "./commands/copyBaseUrl.js";
import { importTrace } from "./commands/importTrace.js";
import { installDaemon } from "./commands/installDaemon.js";
import { openProfiler } from "./commands/openProfiler.js";
import { openTrace } from "./commands/openTrace.js";
import { restartDaemon } from "./commands/restartDaemon.js";
import { selectModel } from "./commands/selectModel.js";
import { loadModel } from "./commands/loadModel.js";
import { pullModel } from "./commands/pullModel.js";
import { unloadModel } from "./commands/unloadModel.js";
import { setApiKey } from "./commands/setApiKey.js";
import { showCacheBreakers } from "./commands/showCacheBreakers.js";
import { showCacheStats } from "./commands/showCacheStats.js";
import { showHeatmap } from "./commands/showHeatmap.js";
import { showParallelism } from "./commands/showParallelism.js";
import { startDaemon } from "./commands/startDaemon.js";
import { stopDaemon } from "./commands/stopDaemon.js";
import { Ctx } from "./ctx.js";

type Command = (ctx: Ctx) => (...args: never[]) => unknown;

const COMMANDS: Record<string, Command> = {
  "hotpath.startDaemon": startDaemon,
  "hotpath.stopDaemon": stopDaemon,
  "hotpath.installDaemon": installDaemon,
  "hotpath.restartDaemon": restartDaemon,
  "hotpath.openProfiler": openProfiler,
  "hotpath.importTrace": importTrace,
  "hotpath.openTrace": openTrace,
  "hotpath.showParallelism": showParallelism,
  "hotpath.showHeatmap": showHeatmap,
  "hotpath.showCacheBreakers": showCacheBreakers,
  "hotpath.auditPrompt": auditPrompt,
  "hotpath.setApiKey": setApiKey,
  "hotpath.selectModel": selectModel,
  "hotpath.pullModel": pullModel,
  "hotpath.loadModel": loadModel,
  "hotpath.unloadModel": unloadModel,
  "hotpath.showCacheStats": showCacheStats,
  "hotpath.copyBaseUrl": copyBaseUrl,
};

let ctx: Ctx | undefined;

/** What activate returns: the context, for the extension's own tests (vscode.extensions.getExtension(...).exports). */
export interface HotpathApi {
  ctx: Ctx;
  publishAuditDiagnostics: AuditEditor["publish"];
}

export function activate(context: vscode.ExtensionContext): HotpathApi {
  ctx = new Ctx(context);
  const c = ctx;
  for (const [id, make] of Object.entries(COMMANDS)) {
    const handler = make(c) as (...args: unknown[]) => unknown;
    c.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (e) {
          const message = (e as Error).message;
          c.log.appendLine(`[hotpath] ${id} failed: ${message}`);
          void vscode.window.showErrorMessage(message);
          throw e;
        }
      }),
    );
  }
  // Activation happens at start-up (onStartupFinished) or when the view or a command needs the extension: with
  // autoStart the daemon starts now; without it, when the Hotpath view is first shown or a command needs it.
  if (c.config.autoStart) void c.startDaemonOrOfferInstall("auto-start");
  else c.startWhenViewShown();
  return { ctx: c, publishAuditDiagnostics: (uri, report, lineOffset) => c.audit.publish(uri, report, lineOffset) };
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  if (!c) return;
  await c.daemon.stop().catch(() => undefined);
  c.dispose();
}
