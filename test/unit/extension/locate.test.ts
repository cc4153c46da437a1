// How the extension finds an installed daemon and a Node.js without the shell's PATH: real folders laid out the way
// npm, nvm and volta lay them out, with real symlinks (extension/locate.ts has no vscode import).
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { candidateBinDirs, findInstalledDaemon, findNode, findNpm } from "../../../extension/locate.js";

describe("extension: locating the daemon and Node.js", function () {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "hotpath-locate-")));
    home = join(dir, "home");
    mkdirSync(home);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A global npm install of the package under `prefix`: lib/node_modules/hotpath + bin/hotpath → its main.js. */
  function npmInstall(prefix: string): string {
    const pkg = join(prefix, "lib", "node_modules", "hotpath", "dist", "daemon");
    mkdirSync(pkg, { recursive: true });
    mkdirSync(join(prefix, "bin"), { recursive: true });
    const script = join(pkg, "main.js");
    writeFileSync(script, "#!/usr/bin/env node\n");
    chmodSync(script, 0o755);
    symlinkSync("../lib/node_modules/hotpath/dist/daemon/main.js", join(prefix, "bin", "hotpath"));
    return script;
  }
  const inputs = (env: NodeJS.ProcessEnv) => ({ env, home, platform: "linux" as const });

  it("finds `hotpath` on PATH and resolves its symlink to the entry script", function () {
    const script = npmInstall(join(dir, "prefix"));
    const found = findInstalledDaemon(inputs({ PATH: `/nonexistent:${join(dir, "prefix", "bin")}` }));
    assert.equal(found?.script, script);
    assert.equal(found?.binDir, join(dir, "prefix", "bin"));
  });

  it("without PATH: the npm prefix from npm_config_prefix or ~/.npmrc, nvm (newest first) and volta", function () {
    const viaEnv = npmInstall(join(dir, "env-prefix"));
    assert.equal(findInstalledDaemon(inputs({ npm_config_prefix: join(dir, "env-prefix") }))?.script, viaEnv);

    const viaRc = npmInstall(join(home, ".npm-packages"));
    writeFileSync(join(home, ".npmrc"), "fund=false\nprefix = ~/.npm-packages\n");
    assert.equal(findInstalledDaemon(inputs({}))?.script, viaRc);
    rmSync(join(home, ".npmrc"));
    rmSync(join(home, ".npm-packages"), { recursive: true });

    npmInstall(join(home, ".nvm", "versions", "node", "v20.9.0"));
    const newest = npmInstall(join(home, ".nvm", "versions", "node", "v22.11.0"));
    npmInstall(join(home, ".nvm", "versions", "node", "v22.2.0"));
    assert.equal(findInstalledDaemon(inputs({}))?.script, newest);
    rmSync(join(home, ".nvm"), { recursive: true });

    const volta = npmInstall(join(home, ".volta"));
    assert.equal(findInstalledDaemon(inputs({}))?.script, volta);
  });

  it("finds nothing when nothing is installed, and ignores a `hotpath` that leads to no script", function () {
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "hotpath"), "#!/bin/sh\n"); // some other program of that name
    const found = findInstalledDaemon(inputs({ PATH: join(dir, "bin") }));
    assert.ok(found === undefined || !found.script.startsWith(dir), `found ${found?.script}`);
  });

  it("prefers the Node.js beside the daemon, refuses one older than 20, and finds npm beside Node", function () {
    const near = join(dir, "near");
    mkdirSync(near);
    symlinkSync(process.execPath, join(near, "node"));
    assert.equal(findNode(inputs({ PATH: "" }), { near })?.node, join(near, "node"));

    const old = join(dir, "old");
    mkdirSync(old);
    writeFileSync(join(old, "node"), "#!/bin/sh\necho 18.19.0\n");
    chmodSync(join(old, "node"), 0o755);
    const chosen = findNode(inputs({ PATH: old }), { near: old });
    assert.notEqual(chosen?.node, join(old, "node"), "Node 18 is not chosen");

    assert.deepEqual(findNode(inputs({}), { configured: "/opt/node/bin/node" }), {
      node: "/opt/node/bin/node",
      source: "setting hotpath.nodePath",
    });
    writeFileSync(join(near, "npm"), "#!/bin/sh\n");
    assert.equal(findNpm(inputs({ PATH: "" }), join(near, "node")), join(near, "npm"));
  });

  it("lists PATH first, then the npm prefix, nvm, volta and system folders, once each", function () {
    const dirs = candidateBinDirs(inputs({ PATH: "/a/bin:/usr/bin", npm_config_prefix: "/p" }));
    assert.deepEqual(dirs.slice(0, 3), ["/a/bin", "/usr/bin", "/p/bin"]);
    assert.ok(dirs.includes(join(home, ".volta", "bin")));
    assert.ok(dirs.includes("/opt/homebrew/bin") && dirs.includes("/usr/local/bin"));
    assert.equal(dirs.filter((d) => d === "/usr/bin").length, 1);
  });
});
