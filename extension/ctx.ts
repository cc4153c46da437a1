// The extension's context: owns the daemon (and its client), the event stream, the status bar, the tree, the
// panels and every disposable. Commands receive it; nothing else holds global state.
import * as vscode from "vscode";
import type WebSocket from "ws";
import type { DaemonEvent } from "../daemon/api.js";
import type { ViewName } from "../webview/protocol.js";
import { AuditEditor } from "./audit.js";
import type { DaemonClient } from "./client.js";
import { type HotpathConfig, needsRestart, readConfig } from "./config.js";
import { Daemon, DaemonNotInstalledError } from "./daemon.js";
import { LiveMetrics } from "./metrics.js";
import { PanelHost } from "./panels/host.js";
import { ProviderKeys } from "./secrets.js";
import { StatusItem } from "./status.js";
import { HotpathTree } from "./tree.js";

export class Ctx implements vscode.Disposable {
  readonly subscriptions: vscode.Disposable[] = [];
  readonly log: vscode.OutputChannel;
  readonly daemon: Daemon;
  readonly keys: ProviderKeys;
  readonly metrics = new LiveMetrics();
  readonly tree: HotpathTree;
  readonly status: StatusItem;
  readonly panels = new Map<ViewName, PanelHost>();
  /** Audit results in the editors: diagnostics, the remove-section quick fix, CodeLenses. */
  readonly audit = new AuditEditor();
  private treeView!: vscode.TreeView<unknown>;
  /** The install offer shown at most once per session unless asked for again. */
  private offeredInstall = false;
  config: HotpathConfig;
  /** The trace the trace panels show when a command names none. */
  currentTraceId: string | undefined;
  private events: WebSocket | undefined;
  private eventsRetry: NodeJS.Timeout | undefined;
  private readonly eventEmitter = new vscode.EventEmitter<DaemonEvent>();
  readonly onDidReceiveEvent = this.eventEmitter.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.config = readConfig();
    this.log = vscode.window.createOutputChannel("Hotpath");
    this.keys = new ProviderKeys(extension.secrets);
    this.daemon = new Daemon(extension.extensionPath, this.config, this.log, () => this.keys.env());
    this.tree = new HotpathTree(this);
    this.status = new StatusItem(() => ({
      state: this.daemon.state,
      model: this.config.defaultModel || this.metrics.lastModel,
      metrics: this.metrics,
      error: this.daemon.lastError,
      url: this.daemon.baseUrl,
      from: this.daemon.external
        ? "a daemon started outside VS Code"
        : this.daemon.launch && `${this.daemon.launch.entry.source}`,
    }));
    this.subscriptions.push(
      this.log,
      this.audit,
      this.daemon,
      this.status,
      this.eventEmitter,
      (this.treeView = vscode.window.createTreeView("hotpath.explorer", {
        treeDataProvider: this.tree,
        showCollapseAll: true,
      })),
      this.daemon.onDidChangeState((s) => {
        this.status.update();
        this.tree.refresh();
        void vscode.commands.executeCommand("setContext", "hotpath.daemonRunning", s === "running");
        void vscode.commands.executeCommand("setContext", "hotpath.daemonState", s);
        if (s === "running") this.connectEvents();
        else this.disconnectEvents();
        for (const p of this.panels.values()) p.post({ type: "connection", state: s });
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("hotpath")) return;
        this.config = readConfig();
        this.daemon.updateConfig(this.config);
        this.status.update();
        this.tree.refresh();
        if (needsRestart(e) && this.daemon.state === "running" && !this.daemon.external) {
          void vscode.window
            .showInformationMessage("Hotpath settings changed: restart the daemon to apply them?", "Restart")
            .then((a) => {
              if (a === "Restart") void vscode.commands.executeCommand("hotpath.restartDaemon");
            });
        }
      }),
    );
  }

  get client(): DaemonClient {
    return this.daemon.client;
  }

  /**
   * Starts (or connects to) the daemon; when none is installed, a notification offers to install it. Never throws:
   * for start-up and the view, where nobody awaits the result.
   */
  async startDaemonOrOfferInstall(why: string): Promise<void> {
    try {
      await this.daemon.start();
    } catch (e) {
      this.log.appendLine(`[hotpath] ${why}: ${(e as Error).message}`);
      if (e instanceof DaemonNotInstalledError) await this.offerInstall();
    }
  }

  /** "Install the Hotpath daemon" as a notification (once per session). */
  async offerInstall(): Promise<void> {
    if (this.offeredInstall) return;
    this.offeredInstall = true;
    const install = "Install the Hotpath daemon";
    const choice = await vscode.window.showWarningMessage(
      "Hotpath needs its daemon (it serves models, caches answers and records traces), and it is not installed. " +
        "Install it with npm now?",
      install,
      "Set hotpath.daemonPath…",
    );
    if (choice === install) {
      await vscode.commands.executeCommand("hotpath.installDaemon").then(undefined, () => undefined);
    } else if (choice) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "hotpath.daemonPath");
    }
  }

  /** autoStart off: the daemon starts the first time the Hotpath view is shown. */
  startWhenViewShown(): void {
    const start = () => {
      if (this.daemon.state === "stopped") void this.startDaemonOrOfferInstall("view shown");
    };
    if (this.treeView.visible) return start();
    const sub = this.treeView.onDidChangeVisibility((e) => {
      if (!e.visible) return;
      sub.dispose();
      start();
    });
    this.subscriptions.push(sub);
  }

  /** Starts the daemon if needed; throws with a user-facing message when it cannot run. */
  async ensureDaemon(): Promise<DaemonClient> {
    if (this.daemon.state !== "running") {
      try {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: "Starting the Hotpath daemon…" },
          () => this.daemon.start(),
        );
      } catch (e) {
        if (e instanceof DaemonNotInstalledError) {
          this.offeredInstall = false; // asked for by a command: offer again
          void this.offerInstall();
        }
        throw e;
      }
    }
    return this.daemon.client;
  }

  private connectEvents(): void {
    this.disconnectEvents();
    const ws = this.client.events(
      (e) => {
        this.metrics.record(e);
        if (e.type === "traces.changed" || e.type === "model.state") this.tree.refresh();
        if (e.type === "model.pull" && e.state !== "downloading") this.tree.refresh();
        this.eventEmitter.fire(e);
        this.panels.get("dashboard")?.post({ type: "event", event: e });
      },
      () => {
        if (this.events !== ws) return;
        this.events = undefined;
        // Reconnect while the daemon is up; the daemon's own restarts are handled in daemon.ts.
        if (this.daemon.state === "running") this.eventsRetry = setTimeout(() => this.connectEvents(), 2000);
      },
    );
    this.events = ws;
  }

  private disconnectEvents(): void {
    clearTimeout(this.eventsRetry);
    const ws = this.events;
    this.events = undefined;
    ws?.close();
  }

  /** Reveals the panel for a view, creating it on first use. */
  panel(view: ViewName, onCreate?: (p: PanelHost) => void): PanelHost {
    let p = this.panels.get(view);
    if (p) {
      p.reveal();
      return p;
    }
    p = new PanelHost(view, this.extension.extensionUri, this.log, (m) => {
      if (m.type === "openTrace") void vscode.commands.executeCommand("hotpath.openTrace", m.traceId);
    });
    const created = p;
    this.panels.set(view, created);
    created.onDidDispose(() => {
      if (this.panels.get(view) === created) this.panels.delete(view);
    });
    onCreate?.(created);
    return created;
  }

  dispose(): void {
    this.disconnectEvents();
    for (const p of [...this.panels.values()]) p.dispose();
    for (const d of this.subscriptions.splice(0).reverse()) d.dispose();
  }
}
