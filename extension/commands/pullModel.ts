import * as vscode from "vscode";
import type { DaemonEvent } from "../../daemon/api.js";
import type { Ctx } from "../ctx.js";

type PullEvent = Extract<DaemonEvent, { type: "model.pull" }>;

const SOURCE = /^(https?:\/\/\S+|hf:\S+)$/;

/**
 * Downloads a GGUF into the daemon's data dir (`hotpath pull`), with the daemon's model.pull events as a progress
 * notification; resolves with the new model's alias once it is in place (it loads on its first request).
 */
export function pullModel(ctx: Ctx) {
  return async (sourceArg?: string): Promise<string | undefined> => {
    const source =
      typeof sourceArg === "string"
        ? sourceArg
        : await vscode.window.showInputBox({
            title: "Hotpath: Pull Model",
            prompt: "A GGUF to download: https://…/model.gguf, hf:owner/repo/file.gguf or hf:owner/repo:quant",
            placeHolder: "hf:owner/repo/model.Q4_K_M.gguf",
            validateInput: (v) => (SOURCE.test(v.trim()) ? undefined : "give an https:// URL or an hf: reference"),
          });
    if (!source) return undefined;
    const client = await ctx.ensureDaemon();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Hotpath: pulling ${source}`, cancellable: false },
      (progress) =>
        new Promise<PullEvent>((resolve, reject) => {
          let id: string | undefined;
          let shown = 0;
          const early: PullEvent[] = [];
          const on = (e: PullEvent) => {
            if (e.state === "downloading") {
              const pct = e.totalBytes > 0 ? (e.downloadedBytes / e.totalBytes) * 100 : 0;
              progress.report({ increment: pct - shown, message: `${mb(e.downloadedBytes)} of ${mb(e.totalBytes)}` });
              shown = pct;
              return;
            }
            sub.dispose();
            if (e.state === "done") resolve(e);
            else reject(new Error(`could not pull ${source}: ${e.error}`));
          };
          // Events may arrive before the POST answers with the pull's id: keep them until it is known.
          const sub = ctx.onDidReceiveEvent((e) => {
            if (e.type !== "model.pull") return;
            if (id === undefined) early.push(e);
            else if (e.id === id) on(e);
          });
          client.pullModel(source).then(
            (started) => {
              id = started.id;
              for (const e of early.splice(0)) if (e.id === id) on(e);
            },
            (e: Error) => {
              sub.dispose();
              reject(e);
            },
          );
        }),
    );
    ctx.tree.refresh();
    void vscode.window.showInformationMessage(
      `Hotpath: pulled "${result.alias}" (${mb(result.totalBytes)}); it loads on its first request.`,
    );
    return result.alias;
  };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
