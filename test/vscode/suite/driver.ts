// Requests to the outside driver (test/vscode/run.mjs): the extension host cannot see the workbench's pixels or the
// webview's iframes, the Chromium driving it can. A request is a console line; the driver acknowledges with a file.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";

const ackDir = process.env.HOTPATH_TEST_ACK_DIR;
let seq = 0;

export const hasDriver = !!ackDir;

async function request(kind: string, arg: string, timeoutMs = 20_000): Promise<string> {
  if (!ackDir) return "no driver (test-electron): skipped";
  const id = `${Date.now()}-${++seq}`;
  console.log(`[hotpath:${kind}] ${id} ${arg}`);
  const file = join(ackDir, `${id}.done`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text.startsWith("error:")) throw new Error(`driver ${kind} ${arg}: ${text}`);
      return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`driver did not answer ${kind} ${arg} within ${timeoutMs} ms`);
}

/** A PNG of the whole workbench into test-results/vscode-<name>.png (bottom panel and toasts closed first). */
export async function screenshot(name: string): Promise<string> {
  await vscode.commands.executeCommand("workbench.action.closePanel");
  await vscode.commands.executeCommand("notifications.clearAll");
  return request("screenshot", name);
}

/** Clicks the first element matching a CSS selector inside any webview frame; returns the frame's URL. */
export function clickInWebview(selector: string): Promise<string> {
  return request("click", selector);
}

/** Clicks the first element of the workbench itself (not a webview) matching a playwright selector, e.g. a toast's button. */
export function clickInWorkbench(selector: string, timeoutMs = 20_000): Promise<string> {
  return request("click-workbench", selector, timeoutMs);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
