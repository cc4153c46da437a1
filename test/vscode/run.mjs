// Runs the extension's mocha suite (test/vscode/suite, entry test/vscode/index.ts) inside a real VS Code, offline:
// code-server 4.100.3 (installed into .cache/code-server on first use) opened by Debian's headless Chromium through
// playwright-core. Writes mocha's totals {passes, failures, pending} to $HOTPATH_TEST_STATS.
// With HOTPATH_VSCODE_RUNNER=electron it uses @vscode/test-electron instead (machines that can download VS Code).
// Facts behind each step: ../shared/VSCODE-TESTING.md.
/* global AbortSignal */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { format } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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
 * The extension as users get it: the packaged .vsix (unzipped; code-server loads it as the extension under test) with
 * no daemon anywhere it looks, npm's global prefix a fresh folder, and hotpath.daemonPackage the daemon's npm tarball.
 * The suite (test/vscode/packaged) installs the daemon through the extension's own notification, then imports and
 * profiles a trace with it. Installing compiles better-sqlite3: minutes (HOTPATH_VSCODE_PACKAGED=0 skips this session).
 */
async function runPackaged() {
  const paths = await sandbox();
  try {
    const pack = spawnSync("npm", ["run", "package"], { cwd: root, stdio: "inherit" });
    if (pack.status !== 0) throw new Error("npm run package failed");
    const tarball = spawnSync(process.execPath, [join(root, "release/pack-daemon.mjs"), "--out", paths.dir], {
      cwd: root,
      encoding: "utf8",
    });
    if (tarball.status !== 0) throw new Error(`packing the daemon failed:\n${tarball.stderr}`);
    const vsixDir = join(paths.dir, "vsix");
    const unzip = spawnSync("unzip", ["-q", join(root, "dist/hotpath.vsix"), "-d", vsixDir], { stdio: "inherit" });
    if (unzip.status !== 0) throw new Error("unzip of dist/hotpath.vsix failed");
    const settings = JSON.parse(readFileSync(paths.settings, "utf8"));
    delete settings["hotpath.nodePath"]; // found the way a user's would be
    settings["hotpath.autoStart"] = true;
    settings["hotpath.daemonPackage"] = tarball.stdout.trim().split("\n").pop();
    writeFileSync(paths.settings, JSON.stringify(settings, null, 2));
    // A user's environment: none of npm test's npm_* variables, a global prefix of its own (nothing installed yet), and
    // the Node headers better-sqlite3 builds against here (as the package README says for Debian's Node).
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS"),
    );
    env.npm_config_prefix = join(paths.dir, "npm-global");
    env.npm_config_nodedir = "/usr";
    env.HOTPATH_VSCODE_SUITE = "packaged";
    // The test entry resolves mocha from the repository; the extension itself comes only from the .vsix.
    return await runCodeServer(paths, {
      extensionPath: join(vsixDir, "extension"),
      env,
      timeoutMs: Number(process.env.HOTPATH_VSCODE_PACKAGED_TIMEOUT_MS ?? 45 * 60_000),
    });
  } finally {
    if (!process.env.HOTPATH_KEEP_SANDBOX) rmSync(paths.dir, { recursive: true, force: true });
  }
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
  // HOTPATH_VSCODE_PACKAGED=only runs just the packaged session, =1 runs it after the main one.
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
  // Opt-in for now (HOTPATH_VSCODE_PACKAGED=1 or =only): written but not yet seen passing on the overloaded shared
  // machine it was written on (code-server's own install took over 30 min there).
  if (!electron && (process.env.HOTPATH_VSCODE_PACKAGED === "1" || process.env.HOTPATH_VSCODE_PACKAGED === "only")) {
    const { code, stats } = await runPackaged();
    const more = stats ?? { passes: 0, failures: 1, pending: 0 };
    for (const k of ["passes", "failures", "pending"]) totals[k] += more[k];
    ok = ok && code === 0 && more.failures === 0;
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
