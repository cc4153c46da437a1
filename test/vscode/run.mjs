// Runs the extension's mocha suite (test/vscode/suite, entry test/vscode/index.ts) inside a real VS Code, offline:
// code-server 4.100.3 (installed into .cache/code-server on first use) opened by Debian's headless Chromium through
// playwright-core. Writes mocha's totals {passes, failures, pending} to $HOTPATH_TEST_STATS.
// With HOTPATH_VSCODE_RUNNER=electron it uses @vscode/test-electron instead (machines that can download VS Code).
// Facts behind each step: ../shared/VSCODE-TESTING.md.
/* global AbortSignal */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { format } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { betterSqlite3Prebuilds } from "../fixtures/sqlite-prebuild.mjs";
import { chromiumPath, ensureCodeServer, missingPrerequisites } from "./code-server.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const resultsDir = join(root, "test-results");
const testsEntry = join(root, "dist", "extension", "test", "index.cjs");
const statsFile = process.env.HOTPATH_TEST_STATS;
const TIMEOUT_MS = Number(process.env.HOTPATH_VSCODE_TIMEOUT_MS ?? 15 * 60_000);

function writeStats(stats) {
  if (statsFile) writeFileSync(statsFile, JSON.stringify(stats));
  console.log(`vscode suite: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} pending`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

function build() {
  const r = spawnSync(process.execPath, ["esbuild.mjs", "--only", "daemon,extension,extension-tests,webview"], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error("build failed");
}

/** The sandbox of one run: user data, extensions, a workspace, the daemon's data dir, and the user settings. */
async function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-vscode-"));
  const paths = {
    dir,
    userData: join(dir, "user-data"),
    extensions: join(dir, "extensions"),
    workspace: join(dir, "workspace"),
    dataDir: join(dir, "hotpath-data"),
    acks: join(dir, "acks"),
  };
  for (const p of [
    paths.userData,
    paths.extensions,
    paths.workspace,
    paths.dataDir,
    paths.acks,
    join(paths.userData, "User"),
  ])
    mkdirSync(p, { recursive: true });
  writeFileSync(join(paths.workspace, "README.md"), "# scratch workspace for Hotpath's extension tests\n");
  mkdirSync(join(paths.workspace, "src"), { recursive: true });
  writeFileSync(join(paths.workspace, "src", "server.ts"), "export const port = 8642;\n");
  // The Claude Code fixture was recorded in a checkout of codemie-code: its files, by relative path, for "open file".
  mkdirSync(join(paths.workspace, "src", "cli"), { recursive: true });
  writeFileSync(
    join(paths.workspace, "src", "cli", "index.ts"),
    "// stand-in for codemie-code's src/cli/index.ts\nexport {};\n",
  );
  paths.settings = join(paths.userData, "User", "settings.json");
  writeFileSync(
    paths.settings,
    JSON.stringify(
      {
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "security.workspace.trust.enabled": false,
        "extensions.autoUpdate": false,
        "extensions.autoCheckUpdates": false,
        "hotpath.port": await freePort(),
        "hotpath.dataDir": paths.dataDir,
        "hotpath.nodePath": process.execPath,
        "hotpath.autoStart": false,
      },
      null,
      2,
    ),
  );
  return paths;
}

async function runElectron(paths) {
  const { runTests } = await import("@vscode/test-electron");
  const code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: testsEntry,
    launchArgs: [paths.workspace, "--disable-extensions", `--user-data-dir=${paths.userData}`],
  }).catch((e) => {
    console.error(e);
    return 1;
  });
  return { code, stats: undefined };
}

async function runCodeServer(paths, session = {}) {
  const extensionPath = session.extensionPath ?? root;
  const timeoutMs = session.timeoutMs ?? TIMEOUT_MS;
  const bin = ensureCodeServer();
  const port = await freePort();
  const config = join(paths.dir, "config.yaml");
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const serverLog = [];
  const server = spawn(
    process.execPath,
    [
      bin,
      "--config",
      config,
      "--user-data-dir",
      paths.userData,
      "--extensions-dir",
      paths.extensions,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
    ],
    {
      cwd: root,
      env: {
        ...(session.env ?? process.env),
        HOTPATH_TEST_ACK_DIR: paths.acks,
        HOTPATH_TEST_RESULTS: resultsDir,
        HOTPATH_TEST_USER_SETTINGS: paths.settings,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so the extension host and any daemon it started go with it
    },
  );
  server.stdout.on("data", (d) => serverLog.push(String(d)));
  server.stderr.on("data", (d) => serverLog.push(String(d)));
  const { chromium } = await import("playwright-core");
  let browser;
  try {
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    const html = await (await fetch(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(paths.workspace)}`)).text();
    const authority =
      /&quot;remoteAuthority&quot;:&quot;([^&]+)&quot;/.exec(html)?.[1] ??
      /"remoteAuthority":"([^"]+)"/.exec(html)?.[1] ??
      "remote";
    const payload = [
      ["extensionDevelopmentPath", `vscode-remote://${authority}${extensionPath}`],
      ["extensionTestsPath", `vscode-remote://${authority}${testsEntry}`],
    ];
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(paths.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    mkdirSync(resultsDir, { recursive: true });
    let stats;
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    // Requests from the suite (see test/vscode/suite/driver.ts), served one at a time in order.
    let queue = Promise.resolve();
    const serve = (kind, id, arg) => {
      queue = queue.then(async () => {
        const ack = join(paths.acks, `${id}.done`);
        try {
          if (kind === "screenshot") {
            await new Promise((r) => setTimeout(r, 700)); // let the panel paint
            const file = join(resultsDir, `vscode-${arg.replace(/[^\w-]/g, "_")}.png`);
            await page.screenshot({ path: file });
            writeFileSync(ack, file);
          } else if (kind === "click-workbench") {
            await page.locator(`${arg} >> visible=true`).first().click({ timeout: 15_000 });
            writeFileSync(ack, page.url());
          } else if (kind === "click") {
            const deadline = Date.now() + 15_000;
            for (;;) {
              let clicked;
              for (const frame of page.frames()) {
                const el = await frame.$(arg).catch(() => null);
                if (el) {
                  await el.click();
                  clicked = frame.url();
                  break;
                }
              }
              if (clicked) {
                writeFileSync(ack, clicked);
                break;
              }
              if (Date.now() > deadline) throw new Error(`no webview element matches ${arg}`);
              await new Promise((r) => setTimeout(r, 200));
            }
          }
        } catch (e) {
          writeFileSync(ack, `error: ${e.message}`);
        }
      });
    };
    await page.exposeFunction("codeAutomationLog", (type, args) => {
      const line = format(...(Array.isArray(args) ? args : [args])); // mocha's reporter logs printf-style
      const req = /^\[hotpath:(screenshot|click|click-workbench)\] (\S+) (.*)$/.exec(line);
      if (req) return serve(req[1], req[2], req[3]);
      const m = /HOTPATH_STATS (\{.*\})/.exec(line);
      if (m) stats = JSON.parse(m[1]);
      console.log(line);
    });
    await page.exposeFunction("codeAutomationExit", (code) => resolveExit(code));
    page.on("pageerror", (e) => console.log(`[workbench page error] ${e.message}`));
    await page.goto(url);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), timeoutMs))]);
    if (code === "timeout") {
      await page.screenshot({ path: join(resultsDir, "vscode-timeout.png") }).catch(() => undefined);
      console.log(
        `the suite did not finish within ${timeoutMs} ms; code-server log tail:\n${serverLog.join("").slice(-4000)}`,
      );
      return { code: 1, stats };
    }
    await queue;
    return { code, stats };
  } finally {
    await browser?.close().catch(() => undefined);
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/**
 * The extension as users get it, in two sessions of a profile holding only the packaged .vsix (installed by
 * code-server's own `--install-extension`, then loaded from where it was installed):
 *  1. no daemon anywhere the extension looks, npm's global prefix a fresh folder, hotpath.daemonPackage the daemon's
 *     npm tarball: the suite test/vscode/packaged/install.test.ts clicks the install notification and waits for green;
 *  2. the daemon that session installed on PATH only (npm's prefix elsewhere, no setting): path.test.ts imports and
 *     profiles a trace with it.
 * better-sqlite3 comes from a local prebuild of the repository's own binary (test/fixtures/sqlite-prebuild.mjs: what a
 * user with network downloads); the rest of the install is npm unpacking ~670 MB (node-llama-cpp's GPU binaries).
 * HOTPATH_VSCODE_PACKAGED=0 skips these sessions.
 */
async function runPackaged() {
  const work = mkdtempSync(join(tmpdir(), "hotpath-vscode-packaged-"));
  const totals = { passes: 0, failures: 0, pending: 0 };
  let ok = true;
  try {
    const pack = spawnSync("npm", ["run", "package"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (pack.status !== 0) throw new Error("npm run package failed");
    const tarball = spawnSync(process.execPath, [join(root, "release/pack-daemon.mjs"), "--out", work], {
      cwd: root,
      encoding: "utf8",
    });
    if (tarball.status !== 0) throw new Error(`packing the daemon failed:\n${tarball.stderr}`);
    const npmGlobal = join(work, "npm-global");
    // A user's environment: none of npm test's npm_* variables, and the Node headers better-sqlite3 would build against
    // here if it had to compile (as the package README says for Debian's Node).
    const userEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS"),
    );
    userEnv.npm_config_nodedir = "/usr";
    userEnv.npm_config_update_notifier = "false";

    const sessions = [
      {
        suite: "packaged",
        settings: { "hotpath.daemonPackage": tarball.stdout.trim().split("\n").pop() },
        // A home of its own too, so "no daemon anywhere" holds on a machine that has one installed (~/.npm-global, nvm,
        // volta); npm keeps this machine's cache (the packages a user with network would download).
        env: {
          ...userEnv,
          ...betterSqlite3Prebuilds(join(work, "prebuilds")),
          HOME: userHome(join(work, "home-install")),
          SHELL: "/bin/bash",
          npm_config_cache: npmCache(),
          npm_config_prefix: npmGlobal,
        },
        timeoutMs: Number(process.env.HOTPATH_VSCODE_PACKAGED_TIMEOUT_MS ?? 30 * 60_000),
      },
      {
        suite: "packaged-path",
        settings: {},
        // VS Code's extension host replaces its environment with what the user's login shell sets up (`$SHELL -i -l`,
        // skipped only when VS Code was started from a terminal): "on PATH" for a user means in their shell profile.
        // A home of its own whose profile puts the installed bin folder on PATH, as npm's docs tell users of a
        // custom prefix to do; nothing in it for the other places the extension looks (npm prefix, nvm, volta).
        env: {
          ...userEnv,
          HOME: userHome(join(work, "home-path"), join(npmGlobal, "bin")),
          SHELL: "/bin/bash",
          npm_config_prefix: join(work, "empty-prefix"),
          HOTPATH_TEST_DAEMON_BIN: join(npmGlobal, "bin"),
        },
        timeoutMs: 10 * 60_000,
      },
    ];
    for (const session of sessions) {
      const paths = await sandbox();
      try {
        const installed = installVsix(paths);
        const settings = JSON.parse(readFileSync(paths.settings, "utf8"));
        delete settings["hotpath.nodePath"]; // found the way a user's would be
        settings["hotpath.autoStart"] = true;
        Object.assign(settings, session.settings);
        writeFileSync(paths.settings, JSON.stringify(settings, null, 2));
        console.log(`\n--- packaged session: ${session.suite}`);
        const started = Date.now();
        // The test entry resolves mocha from the repository; the extension itself comes only from the .vsix.
        const { code, stats } = await runCodeServer(paths, {
          extensionPath: installed,
          env: { ...session.env, HOTPATH_VSCODE_SUITE: session.suite },
          timeoutMs: session.timeoutMs,
        });
        console.log(`--- packaged session ${session.suite}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
        const more = stats ?? { passes: 0, failures: 1, pending: 0 };
        for (const k of ["passes", "failures", "pending"]) totals[k] += more[k];
        ok = ok && code === 0 && more.failures === 0;
      } finally {
        if (!process.env.HOTPATH_KEEP_SANDBOX) rmSync(paths.dir, { recursive: true, force: true });
      }
      if (!ok) break; // the second session needs the first one's install
    }
  } finally {
    if (!process.env.HOTPATH_KEEP_SANDBOX) rmSync(work, { recursive: true, force: true });
  }
  return { ok, totals };
}

/** A fresh home folder; with `binDir`, its login-shell profile puts that folder first on PATH. Returns its path. */
function userHome(home, binDir) {
  mkdirSync(home, { recursive: true });
  if (binDir) {
    const profile = `export PATH="${binDir}:$PATH"\n`;
    writeFileSync(join(home, ".bash_profile"), profile);
    writeFileSync(join(home, ".profile"), profile);
  }
  return home;
}

/** This machine's npm cache (where `npm install` in the repository left the packages). */
function npmCache() {
  const r = spawnSync("npm", ["config", "get", "cache"], { cwd: root, encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : join(homedir(), ".npm");
}

/** Installs dist/hotpath.vsix into the sandbox's extensions folder with code-server itself; returns where it went. */
function installVsix(paths) {
  const r = spawnSync(
    process.execPath,
    [
      ensureCodeServer(),
      "--user-data-dir",
      paths.userData,
      "--extensions-dir",
      paths.extensions,
      "--install-extension",
      join(root, "dist", "hotpath.vsix"),
    ],
    { cwd: paths.dir, encoding: "utf8" },
  );
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const dir = join(paths.extensions, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  if (r.status !== 0 || !existsSync(join(dir, "package.json")))
    throw new Error(`code-server --install-extension dist/hotpath.vsix failed:\n${r.stdout}\n${r.stderr}`);
  return dir;
}

async function main() {
  const electron = process.env.HOTPATH_VSCODE_RUNNER === "electron";
  if (!electron) {
    const missing = missingPrerequisites();
    if (missing.length) {
      console.log(
        `vscode suite skipped: missing Debian packages ${missing.join(", ")} (apt-get install -y chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)`,
      );
      writeStats({ passes: 0, failures: 0, pending: 1 });
      return 0;
    }
  }
  build();
  let totals = { passes: 0, failures: 0, pending: 0 };
  let ok = true;
  // HOTPATH_VSCODE_PACKAGED=only runs just the packaged sessions.
  if (process.env.HOTPATH_VSCODE_PACKAGED !== "only") {
    const paths = await sandbox();
    try {
      const { code, stats } = electron ? await runElectron(paths) : await runCodeServer(paths);
      // No totals line means mocha never ran or never finished: count it as a failure, never as silence.
      totals = stats ?? { passes: 0, failures: 1, pending: 0 };
      if (!stats && code === 0 && electron) totals.failures = 0;
      ok = code === 0 && totals.failures === 0;
    } finally {
      if (!process.env.HOTPATH_KEEP_SANDBOX) rmSync(paths.dir, { recursive: true, force: true });
    }
  }
  // On by default (HOTPATH_VSCODE_PACKAGED=0 skips it; =only runs just it): the packaged .vsix and the daemon's tarball.
  if (!electron && process.env.HOTPATH_VSCODE_PACKAGED !== "0") {
    const packaged = await runPackaged();
    for (const k of ["passes", "failures", "pending"]) totals[k] += packaged.totals[k];
    ok = ok && packaged.ok;
  }
  writeStats(totals);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    writeStats({ passes: 0, failures: 1, pending: 0 });
    process.exit(1);
  },
);
