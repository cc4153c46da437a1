// The tree in Hotpath's activity-bar container: recent traces (live), models, cache namespaces.
import * as vscode from "vscode";
import type { CacheStats, ModelInfo, TraceSummaryDto } from "../daemon/api.js";
import { DaemonHttpError } from "./client.js";
import type { Ctx } from "./ctx.js";

type Node =
  | { kind: "root"; id: "traces" | "models" | "cache" }
  | { kind: "trace"; trace: TraceSummaryDto }
  | { kind: "model"; model: ModelInfo }
  | { kind: "namespace"; name: string; detail: string }
  | { kind: "message"; text: string };

const ROOT_LABEL = { traces: "Recent traces", models: "Models", cache: "Cache namespaces" } as const;

function formatDuration(ms: number): string {
  return ms >= 60_000
    ? `${(ms / 60_000).toFixed(1)} min`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms)} ms`;
}

/** Each cache namespace (daemon/api.ts CacheNamespaceStats): what the partition is and how well it works. */
export function namespacesOf(stats: CacheStats): { name: string; detail: string }[] {
  return (stats.namespaces ?? []).map((n) => ({
    name: n.label || n.namespace,
    detail: `${n.entries} entries · hit rate ${Math.round(n.hitRate * 100)}%${n.tokensSaved ? ` · ${n.tokensSaved} tokens saved` : ""}`,
  }));
}

export class HotpathTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The last trace list fetched (tests and the Open Trace picker read it). */
  traces: TraceSummaryDto[] = [];

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    switch (n.kind) {
      case "root": {
        const item = new vscode.TreeItem(ROOT_LABEL[n.id], vscode.TreeItemCollapsibleState.Expanded);
        item.contextValue = `root.${n.id}`;
        item.id = `root.${n.id}`;
        return item;
      }
      case "trace": {
        const t = n.trace;
        const item = new vscode.TreeItem(t.name || t.traceId.slice(0, 12), vscode.TreeItemCollapsibleState.None);
        item.id = `trace.${t.traceId}`;
        item.description = `${t.spanCount} spans · ${formatDuration((t.endNs - t.startNs) / 1e6)} · ${t.source}`;
        item.tooltip = `${t.traceId}\n${new Date(t.startNs / 1e6).toLocaleString()}${t.origin ? `\n${t.origin}` : ""}`;
        item.iconPath = new vscode.ThemeIcon("pulse");
        item.contextValue = "trace";
        item.command = { command: "hotpath.openTrace", title: "Open Trace", arguments: [t.traceId] };
        return item;
      }
      case "model": {
        const m = n.model;
        const item = new vscode.TreeItem(m.id, vscode.TreeItemCollapsibleState.None);
        item.id = `model.${m.id}`;
        const h = m.hotpath;
        const state = h?.state ?? (h?.loaded ? "ready" : undefined);
        item.description = [
          h?.route ?? m.owned_by,
          state === "ready" ? "loaded" : state === "unloaded" ? "not loaded" : state,
          m.id === this.ctx.config.defaultModel ? "default" : undefined,
        ]
          .filter(Boolean)
          .join(" · ");
        item.tooltip = `${h?.path ?? m.owned_by}${state === "unloaded" ? "\nloads on its first request" : ""}`;
        item.iconPath = new vscode.ThemeIcon(
          state === "loading" || state === "unloading" ? "loading~spin" : h?.embedding ? "symbol-array" : "hubot",
        );
        // model.ready / model.unloaded / …: the load and unload actions show where they apply (package.json menus).
        item.contextValue = `model.${state ?? "unknown"}`;
        return item;
      }
      case "namespace": {
        const item = new vscode.TreeItem(n.name, vscode.TreeItemCollapsibleState.None);
        item.id = `ns.${n.name}`;
        item.description = n.detail;
        item.iconPath = new vscode.ThemeIcon("database");
        item.contextValue = "cacheNamespace";
        item.command = { command: "hotpath.showCacheStats", title: "Show Cache Stats" };
        return item;
      }
      case "message":
        return new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
    }
  }

  async getChildren(n?: Node): Promise<Node[]> {
    // Not installed: an empty tree, so the view shows its welcome text with the "Install the Hotpath daemon" button.
    if (!n && this.ctx.daemon.state === "not-installed") return [];
    if (!n)
      return [
        { kind: "root", id: "traces" },
        { kind: "root", id: "models" },
        { kind: "root", id: "cache" },
      ];
    if (n.kind !== "root") return [];
    if (this.ctx.daemon.state !== "running") {
      const what = {
        stopped: "stopped: Hotpath: Start Daemon starts it",
        failed: "failed: see the Hotpath output",
        starting: "starting…",
        restarting: "restarting…",
      };
      return [
        {
          kind: "message",
          text: `daemon ${what[this.ctx.daemon.state as keyof typeof what] ?? this.ctx.daemon.state}`,
        },
      ];
    }
    const client = this.ctx.daemon.client;
    try {
      if (n.id === "traces") {
        this.traces = (await client.traces(this.ctx.config.recentTraces)).traces;
        return this.traces.length
          ? this.traces.map((trace) => ({ kind: "trace", trace }))
          : [{ kind: "message", text: "no traces yet" }];
      }
      if (n.id === "models") {
        const models = (await client.models()).data;
        return models.length
          ? models.map((model) => ({ kind: "model", model }))
          : [{ kind: "message", text: "no models yet: Pull Model… downloads one" }];
      }
      const ns = namespacesOf(await client.cacheStats());
      return ns.length ? ns.map((x) => ({ kind: "namespace", ...x })) : [{ kind: "message", text: "cache empty" }];
    } catch (e) {
      if (e instanceof DaemonHttpError && e.status === 404)
        return [{ kind: "message", text: "not available in this daemon version" }];
      return [{ kind: "message", text: (e as Error).message.slice(0, 120) }];
    }
  }
}
