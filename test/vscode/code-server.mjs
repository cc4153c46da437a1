// Installs code-server 4.100.3 into .cache/code-server (its own folder, so a plain `npm install` stays lean) and
// locates Debian's Chromium. Facts behind each step: ../shared/VSCODE-TESTING.md.
//   node test/vscode/code-server.mjs      installs if missing and prints the binary's path
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CODE_SERVER_VERSION = "4.100.3"; // newest whose engines.node accepts Node 20
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const installDir = join(root, ".cache", "code-server");
export const codeServerBin = join(installDir, "node_modules", "code-server", "out", "node", "entry.js");
export const chromiumPath = process.env.HOTPATH_CHROMIUM ?? "/usr/bin/chromium";

/** What is missing on this machine before code-server can be installed, as apt package names. */
export function missingPrerequisites() {
  const missing = [];
  if (!existsSync(chromiumPath)) missing.push("chromium");
  if (!existsSync("/usr/bin/rg")) missing.push("ripgrep");
  return missing;
}

// @vscode/ripgrep 1.15.11 downloads rg from GitHub unless its cache already holds this tarball: give it Debian's rg.
function seedRipgrepCache() {
  const cacheDir = join(process.env.TMPDIR || tmpdir(), "vscode-ripgrep-cache-1.15.11");
  const tarball = join(cacheDir, "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz");
  if (existsSync(tarball)) return;
  mkdirSync(cacheDir, { recursive: true });
  const r = spawnSync("tar", ["-czf", tarball, "-C", "/usr/bin", "rg"], { stdio: "inherit" });
  if (r.status !== 0)
    throw new Error("could not pack /usr/bin/rg for @vscode/ripgrep's cache; install Debian's ripgrep");
}

export function ensureCodeServer({ quiet = false } = {}) {
  if (existsSync(codeServerBin)) return codeServerBin;
  const missing = missingPrerequisites();
  if (missing.length) {
    throw new Error(
      `code-server needs Debian packages first: apt-get install -y ${missing.join(" ")} libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config`,
    );
  }
  seedRipgrepCache();
  mkdirSync(installDir, { recursive: true });
  if (!existsSync(join(installDir, "package.json"))) {
    writeFileSync(
      join(installDir, "package.json"),
      JSON.stringify(
        { name: "hotpath-code-server", private: true, allowScripts: { "code-server": true, argon2: true } },
        null,
        2,
      ),
    );
  }
  if (!quiet) console.log(`installing code-server@${CODE_SERVER_VERSION} into ${installDir} (about a minute)…`);
  const r = spawnSync(
    "npm",
    ["install", "--prefix", installDir, "--no-save", "--no-audit", "--no-fund", `code-server@${CODE_SERVER_VERSION}`],
    {
      stdio: quiet ? "pipe" : "inherit",
      env: { ...process.env, npm_config_unsafe_perm: "true", npm_config_yes: "true", npm_config_nodedir: "/usr" },
    },
  );
  if (r.status !== 0 || !existsSync(codeServerBin)) {
    throw new Error(
      `npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}); ${quiet ? String(r.stderr).slice(-2000) : "see the output above"}`,
    );
  }
  return codeServerBin;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensureCodeServer());
}
