import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";

/** Copies the OpenAI-compatible base URL an agent should use (OPENAI_BASE_URL) to the clipboard. */
export function copyBaseUrl(ctx: Ctx) {
  return async (): Promise<string> => {
    const url = `${ctx.daemon.baseUrl}/v1`;
    await vscode.env.clipboard.writeText(url);
    void vscode.window.showInformationMessage(
      `Copied ${url}. Point an agent at it with OPENAI_BASE_URL=${url} and the token in ${ctx.config.dataDir}/token as the API key.`,
    );
    return url;
  };
}
