// Finds, starts, health-checks and restarts the daemon. The daemon runs on the user's Node.js (never in the extension
// host: its native modules stay out of VS Code); its stdout/stderr go to the "Hotpath" Output channel.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
// A constant with no imports of its own (no native module comes along), shared so the spawn and the bin cannot drift.
import { ALLOCATOR_ENV } from "../daemon/allocator.js";
import { DaemonClient, readToken } from "./client.js";
import type { HotpathConfig } from "./config.js";
import { type DaemonEntry, findInstalledDaemon, findNode, type LocateInputs, type NodeChoice } from "./locate.js";

export type DaemonState = "stopped" | "starting" | "running" | "restarting" | "failed" | "not-installed";

/** No daemon listens and none is installed where the extension looks: offer to install it. */
export class DaemonNotInstalledError extends Error {}

/** How the daemon is started: which Node.js runs which entry script, and where each was found. */
export interface DaemonLaunch {
  node: NodeChoice;
  entry: DaemonEntry;
}

const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];
/** A daemon that stayed up this long resets the backoff ladder. */
const STABLE_MS = 60_000;
const HEALTH_EVERY_MS = 10_000;

export class Daemon implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private _state: DaemonState = "stopped";
  private _external = false;
  private stopping = false;
  private attempt = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private readonly stateEmitter = new vscode.EventEmitter<DaemonState>();
  readonly onDidChangeState = this.stateEmitter.event;
  lastError: string | undefined;
  version: string | undefined;

  constructor(
    private readonly extensionPath: string,
    private config: HotpathConfig,
    private readonly log: vscode.OutputChannel,
    /** Provider keys from SecretStorage, as environment variables for the daemon process only. */
    private readonly secretEnv: () => Promise<Record<string, string>>,
  ) {}

  get state(): DaemonState {
    return this._state;
  }
  /** True when we connected to a daemon some other process started. */
  get external(): boolean {
    return this._external;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }
  get client(): DaemonClient {
    const dataDir = this.config.dataDir;
    return new DaemonClient(this.baseUrl, () => readToken(dataDir));
  }

  updateConfig(config: HotpathConfig): void {
    this.config = config;
  }

  private setState(s: DaemonState): void {
    if (s === this._state) return;
    this._state = s;
    this.log.appendLine(`[hotpath] daemon ${s}${this._external ? " (external)" : ""}`);
    this.stateEmitter.fire(s);
  }

  /** Where the last start found the daemon and Node.js (the status tooltip shows it). */
  launch: DaemonLaunch | undefined;

  private locateInputs(): LocateInputs {
    return { env: process.env, home: os.homedir(), platform: process.platform };
  }

  /**
   * The daemon to start: hotpath.daemonPath; else this extension's own build when it runs from a development checkout
   * (dist/daemon/main.js beside node_modules with the native modules); else an installed `hotpath` (PATH, npm prefix,
   * nvm, volta, Homebrew…). Throws DaemonNotInstalledError when there is none.
   */
  locateDaemon(): DaemonEntry {
    if (this.config.daemonPath) {
      const p = this.config.daemonPath;
      if (!existsSync(p)) {
        throw new Error(
          `the daemon ${p} does not exist (setting hotpath.daemonPath); install it with \`npm install -g hotpath\` and clear the setting, or point it at a hotpath executable or its dist/daemon/main.js`,
        );
      }
      const real = realpathSync(p);
      return { script: real.endsWith(".js") ? real : p, source: "setting hotpath.daemonPath" };
    }
    const own = path.join(this.extensionPath, "dist", "daemon", "main.js");
    if (existsSync(own) && existsSync(path.join(this.extensionPath, "node_modules", "better-sqlite3"))) {
      return { script: own, source: "this extension's development checkout" };
    }
    const installed = findInstalledDaemon(this.locateInputs());
    if (installed) return installed;
    throw new DaemonNotInstalledError(
      'the Hotpath daemon is not installed: run "Hotpath: Install the Daemon" (npm install -g hotpath), or set hotpath.daemonPath',
    );
  }

  /** Connects to a daemon already listening on the port, or starts one. Resolves once /healthz answers. */
  /** A start in progress: a second caller (a command while the view's start runs) waits for the same outcome. */
  private starting: Promise<void> | undefined;

  start(): Promise<void> {
    if (this._state === "running") return Promise.resolve();
    this.starting ??= this.startOnce().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    this.stopping = false;
    clearTimeout(this.restartTimer);
    this.setState("starting");
    try {
      const h = await this.client.health(1500);
      this.version = h.version;
      this._external = true;
      this.log.appendLine(`[hotpath] found a daemon already listening at ${this.baseUrl} (version ${h.version})`);
      this.setState("running");
      this.watchHealth();
      return;
    } catch {
      /* nothing listening: start our own */
    }
    this._external = false;
    await this.spawnDaemon();
  }

  private resolveLaunch(): DaemonLaunch {
    let entry: DaemonEntry;
    try {
      entry = this.locateDaemon();
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log.appendLine(`[hotpath] ${this.lastError}`);
      this.setState(e instanceof DaemonNotInstalledError ? "not-installed" : "failed");
      throw e;
    }
    const node = findNode(this.locateInputs(), {
      configured: this.config.nodePath,
      near: entry.binDir,
      ownRuntime: process.execPath,
    });
    if (!node) {
      this.fail(
        "no Node.js 20 or newer found (PATH, nvm, volta, Homebrew, /usr/local/bin): install it from nodejs.org, or set hotpath.nodePath",
      );
      throw new Error(this.lastError);
    }
    if (node.electron)
      this.log.appendLine(
        "[hotpath] no Node.js found: trying VS Code's own runtime (set hotpath.nodePath if the daemon fails to load its native modules)",
      );
    this.log.appendLine(
      `[hotpath] daemon: ${entry.script} (from ${entry.source}); Node.js: ${node.node} (from ${node.source})`,
    );
    return { node, entry };
  }

  private async spawnDaemon(): Promise<void> {
    const launch = this.resolveLaunch();
    this.launch = launch;
    const nodePath = launch.node.node;
    const args = [
      launch.entry.script,
      "serve",
      "--port",
      String(this.config.port),
      "--data-dir",
      this.config.dataDir,
      ...this.config.extraArgs,
    ];
    // The daemon's malloc settings must be in its environment at start (why: daemon/allocator.ts); a value the user
    // set wins.
    const env: NodeJS.ProcessEnv = { ...ALLOCATOR_ENV, ...process.env, ...(await this.secretEnv()) };
    // The extension host may set ELECTRON_RUN_AS_NODE and friends; the daemon wants a plain Node environment, unless
    // VS Code's own runtime is the only Node there is.
    if (launch.node.electron) env.ELECTRON_RUN_AS_NODE = "1";
    else delete env.ELECTRON_RUN_AS_NODE;
    // The daemon's own child processes (workers, npm) find the same Node.
    env.PATH = [path.dirname(nodePath), env.PATH].filter(Boolean).join(path.delimiter);
    if (this.config.models.length) env.HOTPATH_MODELS = this.config.models.join(",");
    this.log.appendLine(`[hotpath] starting: ${nodePath} ${args.join(" ")}`);
    const child = spawn(nodePath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.startedAt = Date.now();
    let stderrTail = "";
    child.stdout?.on("data", (d: Buffer) => this.log.append(d.toString()));
    child.stderr?.on("data", (d: Buffer) => {
      this.log.append(d.toString());
      stderrTail = (stderrTail + d.toString()).slice(-2000);
    });
    const exited = new Promise<string>((resolve) => {
      child.once("error", (e) =>
        resolve(`could not run ${nodePath}: ${e.message} (set hotpath.nodePath to a Node.js ≥ 20)`),
      );
      child.once("exit", (code, signal) => resolve(`exited with ${signal ?? code}`));
    });
    let up = false;
    child.once("exit", (code, signal) => this.onExit(child, up, code, signal));
    child.once("error", (e) => this.onExit(child, up, null, null, e));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const outcome = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 250))]);
      if (outcome !== undefined) {
        const lastLine = stderrTail
          .trim()
          .split("\n")
          .filter((l) => l.trim() && !/^\s+at /.test(l))
          .pop();
        const hint =
          /Cannot find (module|package) '(better-sqlite3|node-llama-cpp|sqlite-vec|@energetic-ai|protobufjs|@opentelemetry)/.test(
            stderrTail,
          )
            ? ' The daemon\'s native modules are missing: run "Hotpath: Install the Daemon" (npm install -g hotpath) and clear hotpath.daemonPath.'
            : "";
        this.lastError = `the daemon ${outcome} before answering /healthz${lastLine ? ` (${lastLine.trim().slice(0, 300)})` : ""}; see the Hotpath output.${hint}`;
        throw new Error(this.lastError);
      }
      try {
        const h = await this.client.health(1000);
        this.version = h.version;
        this.lastError = undefined;
        up = true;
        this.setState("running");
        this.watchHealth();
        return;
      } catch {
        /* not up yet */
      }
    }
    this.lastError = "the daemon did not answer /healthz within 60 s";
    child.kill("SIGKILL");
    throw new Error(this.lastError);
  }

  private fail(message: string): void {
    this.lastError = message;
    this.log.appendLine(`[hotpath] ${message}`);
    this.setState("failed");
  }

  private onExit(
    child: ChildProcess,
    wasUp: boolean,
    code: number | null,
    signal: NodeJS.Signals | null,
    error?: Error,
  ): void {
    if (child !== this.child) return;
    this.child = undefined;
    clearInterval(this.healthTimer);
    const why = error ? error.message : `code ${code}${signal ? `, signal ${signal}` : ""}`;
    this.log.appendLine(`[hotpath] daemon exited (${why})`);
    if (this.stopping) {
      this.setState("stopped");
      return;
    }
    if (!wasUp) {
      // It never came up: spawnDaemon reports why; a restart loop is the caller's choice (scheduleRestart).
      this.setState("failed");
      return;
    }
    this.scheduleRestart(`the daemon exited (${why})`);
  }

  private scheduleRestart(reason: string): void {
    if (Date.now() - this.startedAt > STABLE_MS) this.attempt = 0;
    if (this.attempt >= BACKOFF_MS.length) {
      this.fail(
        `${reason}; gave up after ${BACKOFF_MS.length} restarts. Fix the cause (see this log) and run "Hotpath: Restart Daemon".`,
      );
      return;
    }
    const delay = BACKOFF_MS[this.attempt++]!;
    this.lastError = reason;
    this.log.appendLine(`[hotpath] restarting in ${delay} ms (attempt ${this.attempt}/${BACKOFF_MS.length})`);
    this.setState("restarting");
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this._state = "stopped";
      this.spawnDaemon().catch((e: Error) => {
        this.log.appendLine(`[hotpath] restart failed: ${e.message}`);
        if (!this.child && !this.stopping) this.scheduleRestart(e.message);
      });
    }, delay);
  }

  private watchHealth(): void {
    clearInterval(this.healthTimer);
    this.healthFailures = 0;
    this.healthTimer = setInterval(() => {
      this.client.health(3000).then(
        () => (this.healthFailures = 0),
        () => {
          if (++this.healthFailures < 3) return;
          clearInterval(this.healthTimer);
          if (this.child) {
            this.log.appendLine("[hotpath] the daemon stopped answering /healthz three times: killing it to restart");
            this.child.kill("SIGKILL"); // onExit schedules the restart
          } else {
            this.setState("stopped"); // an external daemon went away; we do not own it
          }
        },
      );
    }, HEALTH_EVERY_MS);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.healthTimer);
    const child = this.child;
    if (!child) {
      if (this._external)
        this.log.appendLine(
          "[hotpath] disconnected from the external daemon (it keeps running; it is not ours to stop)",
        );
      this._external = false;
      this.setState("stopped");
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
    this.setState("stopped");
  }

  async restart(): Promise<void> {
    await this.stop();
    this.attempt = 0;
    await this.start();
  }

  dispose(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.healthTimer);
    this.child?.kill("SIGTERM");
    this.stateEmitter.dispose();
  }
}
