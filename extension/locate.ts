// Finds an installed Hotpath daemon and a Node.js to run it, without relying on the shell's PATH: VS Code started
// from a desktop launcher often has a bare PATH, so the usual global npm locations (npm prefix, nvm, volta, Homebrew)
// are searched too. Pure Node (no vscode import), so it is tested outside VS Code.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";

export interface LocateInputs {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
}

export interface DaemonEntry {
  /** The daemon's entry script (dist/daemon/main.js of the npm package, or a development build). */
  script: string;
  /** Where it was found, for the log and the status tooltip. */
  source: string;
  /** The bin folder it was found in, whose own `node` is preferred (nvm and volta keep them together). */
  binDir?: string;
}

const exe = (p: NodeJS.Platform, name: string) => (p === "win32" ? [`${name}.cmd`, `${name}.exe`, name] : [name]);

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** nvm's installed Node versions, newest first. */
function nvmBinDirs(home: string, env: NodeJS.ProcessEnv): string[] {
  const root = path.join(env.NVM_DIR || path.join(home, ".nvm"), "versions", "node");
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return [];
  }
  const key = (v: string) =>
    v
      .replace(/^v/, "")
      .split(".")
      .map((n) => Number(n) || 0);
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (y[i] ?? 0) - (x[i] ?? 0);
    return 0;
  });
  return versions.map((v) => path.join(root, v, "bin"));
}

/** npm's global prefix as configured without running npm: npm_config_prefix, then ~/.npmrc's prefix=. */
function configuredNpmPrefix(env: NodeJS.ProcessEnv, home: string): string | undefined {
  const fromEnv = env.npm_config_prefix || env.NPM_CONFIG_PREFIX;
  if (fromEnv) return fromEnv;
  try {
    const m = /^\s*prefix\s*=\s*(.+?)\s*$/m.exec(readFileSync(path.join(home, ".npmrc"), "utf8"));
    if (m) return m[1].replace(/^~(?=\/|$)/, home).replace(/^\$\{HOME\}/, home);
  } catch {
    /* no ~/.npmrc */
  }
  return undefined;
}

/** Folders where global npm binaries and Node itself usually live, most specific first, without duplicates. */
export function candidateBinDirs({ env, home, platform }: LocateInputs, npmPrefix?: string): string[] {
  const prefixBin = (p: string) => (platform === "win32" ? p : path.join(p, "bin"));
  const dirs = [
    ...(env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean),
    ...[configuredNpmPrefix(env, home), npmPrefix].filter((p): p is string => !!p).map(prefixBin),
    path.join(home, ".npm-global", "bin"),
    ...(env.VOLTA_HOME ? [path.join(env.VOLTA_HOME, "bin")] : []),
    path.join(home, ".volta", "bin"),
    ...nvmBinDirs(home, env),
    path.join(home, ".local", "bin"),
    "/opt/homebrew/bin",
    "/usr/local/bin",
    "/usr/bin",
    ...(platform === "win32" && env.APPDATA ? [path.join(env.APPDATA, "npm")] : []),
  ];
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

/** The daemon's entry script behind a `hotpath` found in a bin folder (a symlink on Unix, a .cmd shim on Windows). */
function entryBehind(bin: string): string | undefined {
  if (bin.endsWith(".cmd") || bin.endsWith(".exe")) {
    const script = path.join(path.dirname(bin), "node_modules", "hotpath", "dist", "daemon", "main.js");
    return isFile(script) ? script : undefined;
  }
  try {
    const real = realpathSync(bin);
    return real.endsWith(".js") ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The first `hotpath` in the candidate folders that leads to the daemon's entry script. */
export function findInstalledDaemon(inputs: LocateInputs, npmPrefix?: string): DaemonEntry | undefined {
  for (const dir of candidateBinDirs(inputs, npmPrefix)) {
    for (const name of exe(inputs.platform, "hotpath")) {
      const bin = path.join(dir, name);
      if (!isFile(bin)) continue;
      const script = entryBehind(bin);
      if (script) return { script, source: bin, binDir: dir };
    }
  }
  return undefined;
}

/** Major version of a Node.js binary, or undefined when it does not run. */
export function nodeMajor(node: string, env: NodeJS.ProcessEnv = {}): number | undefined {
  const r = spawnSync(node, ["-p", "process.versions.node"], {
    encoding: "utf8",
    timeout: 10_000,
    env: { ...env, ELECTRON_RUN_AS_NODE: "1" },
  });
  const m = /^(\d+)\./.exec(r.stdout?.trim() ?? "");
  return m ? Number(m[1]) : undefined;
}

export interface NodeChoice {
  node: string;
  source: string;
  /** VS Code's own runtime (Electron as Node): needs ELECTRON_RUN_AS_NODE, and native modules built for Node may not load. */
  electron?: boolean;
}

/**
 * A Node.js ≥ 20 for the daemon: the configured one, the one beside the daemon's `hotpath`, then PATH and the usual
 * folders; VS Code's own runtime last.
 */
export function findNode(
  inputs: LocateInputs,
  opts: { configured?: string; near?: string; ownRuntime?: string } = {},
): NodeChoice | undefined {
  const tried = new Set<string>();
  const ok = (node: string) => {
    if (tried.has(node)) return false;
    tried.add(node);
    return (nodeMajor(node, inputs.env) ?? 0) >= 20;
  };
  if (opts.configured) return { node: opts.configured, source: "setting hotpath.nodePath" };
  for (const dir of [...(opts.near ? [opts.near] : []), ...candidateBinDirs(inputs)]) {
    for (const name of exe(inputs.platform, "node")) {
      const node = path.join(dir, name);
      if (isFile(node) && ok(node)) return { node, source: node };
    }
  }
  if (opts.ownRuntime && existsSync(opts.ownRuntime) && ok(opts.ownRuntime)) {
    return { node: opts.ownRuntime, source: "VS Code's own runtime", electron: true };
  }
  return undefined;
}

/** npm beside a Node.js (how every Node installer lays them out), else on the candidate folders. */
export function findNpm(inputs: LocateInputs, node: string): string | undefined {
  const dirs = [path.dirname(node), ...candidateBinDirs(inputs)];
  for (const dir of dirs) {
    for (const name of exe(inputs.platform, "npm")) {
      const npm = path.join(dir, name);
      if (isFile(npm)) return npm;
    }
  }
  return undefined;
}
