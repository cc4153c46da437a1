// What the suites need to know about their surroundings: the extension, its context, the repository and fixtures.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { HotpathApi } from "../../../extension/extension.js";

export const EXTENSION_ID = "hotpath.hotpath";

export async function hotpath(): Promise<HotpathApi> {
  const ext = vscode.extensions.getExtension<HotpathApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : await ext.activate();
}

export function extensionPath(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

export function daemonBundle(): string {
  return path.join(extensionPath(), "dist", "daemon", "main.js");
}

/** ../shared next to the repository (present for developers and CI of this project, absent in a user's clone). */
export function sharedPath(...parts: string[]): string | undefined {
  const p = path.join(extensionPath(), "..", "shared", ...parts);
  return existsSync(p) ? p : undefined;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration("hotpath").update(key, value, vscode.ConfigurationTarget.Global);
}
