// Typed view of the `hotpath.*` settings. Every read goes through here so names and defaults live in one place.
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";

export interface HotpathConfig {
  /** Node.js (≥ 20) that runs the daemon; empty: found beside the daemon, on PATH or in the usual folders. */
  nodePath: string;
  port: number;
  dataDir: string;
  /** Start the daemon when the extension activates (or connect to one already listening). */
  autoStart: boolean;
  /** A `hotpath` executable or daemon entry script to run instead of the one found installed. */
  daemonPath: string;
  /** What "Install the Daemon" passes to `npm install -g`: a version spec, a tarball path or URL. */
  daemonPackage: string;
  /** GGUF files handed to the daemon as HOTPATH_MODELS (alias=path or path). */
  models: string[];
  /** The model the status bar shows and "Copy OpenAI Base URL" suggests. */
  defaultModel: string;
  /** Traces listed in the tree view. */
  recentTraces: number;
  /** Extra CLI arguments for `hotpath serve`. */
  extraArgs: string[];
}

export const SECTION = "hotpath";

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export function readConfig(): HotpathConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const dataDir = c.get<string>("dataDir", "").trim();
  return {
    nodePath: expandHome(c.get<string>("nodePath", "").trim()),
    port: c.get<number>("port", 8642),
    dataDir: path.resolve(expandHome(dataDir || path.join(os.homedir(), ".hotpath"))),
    autoStart: c.get<boolean>("autoStart", true),
    daemonPath: expandHome(c.get<string>("daemonPath", "").trim()),
    daemonPackage: expandHome(c.get<string>("daemonPackage", "").trim()),
    models: c.get<string[]>("models", []).map(expandHome),
    defaultModel: c.get<string>("defaultModel", "").trim(),
    recentTraces: Math.max(1, Math.min(500, c.get<number>("recentTraces", 30))),
    extraArgs: c.get<string[]>("extraArgs", []),
  };
}

/** Settings whose change needs a daemon restart to take effect. */
export function needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
  return ["nodePath", "port", "dataDir", "daemonPath", "models", "extraArgs"].some((k) =>
    e.affectsConfiguration(`${SECTION}.${k}`),
  );
}
