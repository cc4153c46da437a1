// One webview panel: creates it with the CSP shell, queues host → webview messages until the webview says "ready",
// and handles the webview → host messages every view shares (open a file, span selected, render summaries).
import * as path from "node:path";
import * as vscode from "vscode";
import type { HostMessage, RenderSummary, ViewName, WebviewMessage } from "../../webview/protocol.js";
import { makeNonce, shellHtml } from "./html.js";
import { readWebviewMessage } from "./messages.js";

/** Malformed webview messages reported per panel; past this they are counted only (a flood must not flood the log). */
const REPORTED_MALFORMED = 20;

export const VIEW_TITLES: Record<ViewName, string> = {
  profiler: "Hotpath Profiler",
  heatmap: "Hotpath Latency Heatmap",
  parallelism: "Hotpath Parallelizable Tool Calls",
  cacheBreakers: "Hotpath Prompt Cache Breakers",
  audit: "Hotpath Prompt Audit",
  dashboard: "Hotpath Serving & Cache",
};

export class PanelHost implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private queue: HostMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private queries = new Map<number, (s: RenderSummary) => void>();
  private nextQuery = 1;
  /** Messages from the webview that were not WebviewMessages (ignored). */
  malformedMessages = 0;
  /** The last summary the webview reported after rendering (read by tests and the log). */
  lastRender: RenderSummary | undefined;
  lastSelectedSpan: { spanId: string; name: string } | undefined;
  private readonly renderEmitter = new vscode.EventEmitter<RenderSummary>();
  readonly onDidRender = this.renderEmitter.event;
  private readonly selectEmitter = new vscode.EventEmitter<{ spanId: string; name: string }>();
  readonly onDidSelectSpan = this.selectEmitter.event;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly view: ViewName,
    extensionUri: vscode.Uri,
    private readonly log: vscode.OutputChannel,
    private readonly onMessage: (m: WebviewMessage) => void = () => undefined,
  ) {
    const root = vscode.Uri.joinPath(extensionUri, "dist", "webview");
    this.panel = vscode.window.createWebviewPanel(`hotpath.${view}`, VIEW_TITLES[view], vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [root],
    });
    const w = this.panel.webview;
    w.html = shellHtml({
      view,
      title: VIEW_TITLES[view],
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(root, "main.js")).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(root, "main.css")).toString(),
      cspSource: w.cspSource,
      nonce: makeNonce(),
    });
    this.disposables.push(
      w.onDidReceiveMessage((m: unknown) => this.receive(m)),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  private receive(raw: unknown): void {
    const read = readWebviewMessage(raw);
    if ("problem" in read) {
      if (++this.malformedMessages <= REPORTED_MALFORMED)
        this.log.appendLine(`[hotpath] ignored a malformed message from the ${this.view} webview: ${read.problem}`);
      return;
    }
    const m = read.message;
    switch (m.type) {
      case "ready":
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
        break;
      case "openFile":
        void openFileNamedBySpan(m.path, m.line).catch((e: Error) => vscode.window.showWarningMessage(e.message));
        break;
      case "spanSelected":
        this.lastSelectedSpan = { spanId: m.spanId, name: m.name };
        this.selectEmitter.fire(this.lastSelectedSpan);
        break;
      case "rendered":
        this.lastRender = m.summary;
        this.log.appendLine(
          `[hotpath] ${this.view} rendered: ${m.summary.spanRowsInDom} span rows, ${m.summary.criticalInDom} on the critical path, ${m.summary.parallelGroupsListed} parallel groups`,
        );
        this.renderEmitter.fire(m.summary);
        break;
      case "queryResult":
        this.queries.get(m.id)?.(m.summary);
        this.queries.delete(m.id);
        break;
    }
    this.onMessage(m);
  }

  post(m: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  /** Asks the webview what its DOM shows right now. */
  query(timeoutMs = 10_000): Promise<RenderSummary> {
    const id = this.nextQuery++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.queries.delete(id);
        reject(new Error(`the ${this.view} webview did not answer a query within ${timeoutMs} ms`));
      }, timeoutMs);
      this.queries.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.post({ type: "query", id });
    });
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    this.disposeEmitter.fire();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.renderEmitter.dispose();
    this.selectEmitter.dispose();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

/** Opens a file a span names, at a 1-based line when given. Absolute paths from another machine (a trace recorded
 * elsewhere) are matched by their trailing components inside the workspace: /Users/x/repo/src/a.ts → src/a.ts. */
export async function openFileNamedBySpan(filePath: string, line?: number): Promise<vscode.Uri> {
  const exists = async (uri: vscode.Uri) =>
    vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    );
  const folders = vscode.workspace.workspaceFolders ?? [];
  let found: vscode.Uri | undefined;
  if (path.isAbsolute(filePath) && (await exists(vscode.Uri.file(filePath)))) found = vscode.Uri.file(filePath);
  const parts = filePath.split(/[\\/]+/).filter(Boolean);
  for (let keep = Math.min(parts.length, 8); !found && keep >= 1; keep--) {
    const tail = parts.slice(parts.length - keep).join("/");
    for (const f of folders) {
      const candidate = vscode.Uri.joinPath(f.uri, tail);
      if (await exists(candidate)) {
        found = candidate;
        break;
      }
    }
    // A bare file name alone is too ambiguous to guess from the workspace root. A name with a glob's special
    // characters would be a pattern (`a/*` opens any file in any `a/`): such a path is matched exactly only.
    if (!found && keep >= 2 && !/[*?[\]{}!]/.test(tail))
      found = (await vscode.workspace.findFiles(`**/${tail}`, "**/node_modules/**", 1))[0];
  }
  if (!found) throw new Error(`${filePath} (named by the span) is not in this workspace`);
  const doc = await vscode.workspace.openTextDocument(found);
  const pos = new vscode.Position(Math.max(0, Math.min(doc.lineCount - 1, (line ?? 1) - 1)), 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: true });
  return found;
}
