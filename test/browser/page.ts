// Loads the webview bundle (dist/webview/main.js) in headless Debian Chromium, in the same CSP shell the extension
// uses, and talks to it the way VS Code does: window messages in, the outbox (acquireVsCodeApi stand-in) out.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { makeNonce, shellHtml } from "../../extension/panels/html.js";
import { readWebviewMessage } from "../../extension/panels/messages.js";
import type { HostMessage, RenderSummary, ViewName, WebviewMessage } from "../../webview/protocol.js";

export const root = resolve(import.meta.dirname, "../..");
export const chromiumPath = process.env.HOTPATH_CHROMIUM ?? "/usr/bin/chromium";
export const resultsDir = join(root, "test-results");
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(chromiumPath)
    ? undefined
    : `no Chromium at ${chromiumPath} (apt-get install -y chromium, or set HOTPATH_CHROMIUM)`;
}

export function buildWebview(): void {
  const r = spawnSync(process.execPath, ["esbuild.mjs", "--only", "webview"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("building the webview bundle failed");
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS, headless: true });
}

export interface ViewPage {
  page: Page;
  cspViolations: string[];
  pageErrors: string[];
  send(m: HostMessage): Promise<void>;
  outbox(): Promise<WebviewMessage[]>;
  waitFor<T extends WebviewMessage["type"]>(type: T, after?: number): Promise<Extract<WebviewMessage, { type: T }>>;
  rendered(): Promise<RenderSummary>;
  screenshot(name: string): Promise<string>;
}

const shellDir = mkdtempSync(join(tmpdir(), "hotpath-webview-"));

/** `messages`, each checked against the host's schema (extension/panels/messages.ts). */
function checked(messages: WebviewMessage[]): WebviewMessage[] {
  for (const m of messages) {
    const read = readWebviewMessage(m);
    if ("problem" in read) throw new Error(`the host would ignore the webview's ${m.type} message: ${read.problem}`);
  }
  return messages;
}

export async function openView(
  browser: Browser,
  view: ViewName,
  size = { width: 1400, height: 900 },
): Promise<ViewPage> {
  const page = await browser.newPage({ viewport: size, colorScheme: "dark" });
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  const dist = join(root, "dist", "webview");
  const html = shellHtml({
    view,
    title: `test ${view}`,
    scriptUri: pathToFileURL(join(dist, "main.js")).href,
    styleUri: pathToFileURL(join(dist, "main.css")).href,
    cspSource: "file:",
    nonce: makeNonce(),
  });
  const file = join(shellDir, `${view}-${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(file, html);
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (window.__hotpathOutbox ?? []).some((m) => m.type === "ready"));
  // Every message the real webview sent must be one the extension's host accepts (it ignores any other).
  const outbox = async () => checked(await page.evaluate(() => window.__hotpathOutbox ?? []));
  const vp: ViewPage = {
    page,
    cspViolations,
    pageErrors,
    send: (m) => page.evaluate((msg) => window.postMessage(msg, "*"), m as unknown as Record<string, unknown>),
    outbox,
    async waitFor(type, after = 0) {
      const h = await page.waitForFunction(
        ([t, a]) => (window.__hotpathOutbox ?? []).slice(a as number).find((m) => m.type === t),
        [type, after] as const,
        { timeout: 20_000 },
      );
      return checked([(await h.jsonValue()) as WebviewMessage])[0] as never;
    },
    async rendered() {
      const m = await vp.waitFor("rendered");
      return m.summary;
    },
    async screenshot(name) {
      mkdirSync(resultsDir, { recursive: true });
      const path = join(resultsDir, `webview-${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
  };
  return vp;
}
