// Runs every test suite and prints one closing line, "N passed, N failed", summed over all of them.
//   node test/run.mjs [--suite node|vscode] [mocha args…]
// Suites: "node" (unit, integration, browser — one mocha process) and "vscode" (the extension's tests inside a
// real VS Code: code-server + Chromium, see test/vscode/run.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const only = args[0] === "--suite" ? args.splice(0, 2)[1] : undefined;
const statsDir = mkdtempSync(join(tmpdir(), "hotpath-stats-"));
const totals = { passes: 0, failures: 0, pending: 0 };
const broken = [];

function runSuite(name, command, commandArgs) {
  const statsFile = join(statsDir, `${name}.json`);
  console.log(`\n=== suite: ${name}`);
  const result = spawnSync(command, commandArgs, {
    stdio: "inherit",
    env: { ...process.env, HOTPATH_TEST_STATS: statsFile },
  });
  if (!existsSync(statsFile)) {
    // A suite that died before reporting counts as one failure, never as silence.
    broken.push(`${name} (exit ${result.status ?? result.signal}, no results)`);
    totals.failures += 1;
    return;
  }
  const stats = JSON.parse(readFileSync(statsFile, "utf8"));
  totals.passes += stats.passes;
  totals.failures += stats.failures;
  totals.pending += stats.pending ?? 0;
}

// The spec list lives here, not in .mocharc.json, so `npx mocha <file>` runs just that file.
const NODE_SPECS = ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/browser/**/*.test.ts"];
const mochaArgs = args.some((a) => !a.startsWith("-")) ? args : [...NODE_SPECS, ...args];
if (!only || only === "node") runSuite("node", process.execPath, ["node_modules/mocha/bin/mocha.js", ...mochaArgs]);
if ((!only || only === "vscode") && existsSync("test/vscode/run.mjs"))
  runSuite("vscode", process.execPath, ["test/vscode/run.mjs"]);

rmSync(statsDir, { recursive: true, force: true });
if (broken.length) console.log(`\nsuites that did not report: ${broken.join(", ")}`);
console.log(
  `\n${totals.passes} passed, ${totals.failures} failed${totals.pending ? `, ${totals.pending} skipped` : ""}`,
);
process.exit(totals.failures > 0 ? 1 : 0);
