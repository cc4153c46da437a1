// The status bar item: daemon state, model, live requests/s and cache hit rate.
import * as vscode from "vscode";
import type { DaemonState } from "./daemon.js";
import type { LiveMetrics } from "./metrics.js";

const ICON: Record<DaemonState, string> = {
  stopped: "$(circle-slash)",
  starting: "$(loading~spin)",
  running: "$(pulse)",
  restarting: "$(sync~spin)",
  failed: "$(error)",
  "not-installed": "$(cloud-download)",
};

/** What the user can do in each state: the tooltip's last line and the click. */
const NEXT: Record<DaemonState, { hint: string; command: string }> = {
  stopped: { hint: "Click to start the daemon.", command: "hotpath.startDaemon" },
  starting: { hint: "Starting… see the Hotpath output for its log.", command: "hotpath.showCacheStats" },
  running: {
    hint: "Requests/s and cache hit rate over the last 30 s. Click for the serving and cache dashboard.",
    command: "hotpath.showCacheStats",
  },
  restarting: { hint: "It exited and restarts by itself; see the Hotpath output.", command: "hotpath.showCacheStats" },
  failed: { hint: "Click to try again; the Hotpath output says why it failed.", command: "hotpath.restartDaemon" },
  "not-installed": {
    hint: "Click to install it (`npm install -g hotpath` in a terminal).",
    command: "hotpath.installDaemon",
  },
};

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("hotpath.status", vscode.StatusBarAlignment.Left, 50);
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly snapshot: () => {
      state: DaemonState;
      model?: string;
      metrics: LiveMetrics;
      error?: string;
      url: string;
      from?: string;
    },
  ) {
    this.item.name = "Hotpath";
    this.item.command = "hotpath.showCacheStats";
    this.update();
    this.item.show();
    this.timer = setInterval(() => this.update(), 2000);
  }

  /** The text shown, also read by tests. */
  get text(): string {
    return this.item.text;
  }

  update(): void {
    const s = this.snapshot();
    const parts = [`${ICON[s.state]} Hotpath`];
    if (s.state === "running") {
      if (s.model) parts.push(s.model);
      const rps = s.metrics.requestsPerSecond();
      parts.push(`${rps.toFixed(rps > 0 && rps < 1 ? 2 : 1)} req/s`);
      const hit = s.metrics.cacheHitRate();
      parts.push(`cache ${hit === undefined ? "–" : `${Math.round(hit * 100)}%`}`);
    } else {
      parts.push(s.state === "not-installed" ? "daemon not installed" : s.state);
    }
    this.item.text = parts.join(" · ");
    const tip = new vscode.MarkdownString(
      `**Hotpath daemon**: ${s.state} at \`${s.url}\`\n\n` +
        (s.from && s.state === "running" ? `Running ${s.from}\n\n` : "") +
        (s.error && s.state !== "running" ? `Last error: ${s.error}\n\n` : "") +
        NEXT[s.state].hint,
    );
    this.item.tooltip = tip;
    this.item.command = NEXT[s.state].command;
    this.item.backgroundColor =
      s.state === "failed"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : s.state === "not-installed"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}
