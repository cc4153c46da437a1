// V8's tiering flags the daemon sets before its code compiles (daemon/tiering.ts). Each case runs in a child process:
// the flags are a process's, and this test process must keep V8's defaults. V8's own test intrinsic
// (%GetOptimizationStatus, allowed by --allow-natives-syntax) says which tier a function runs in.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** V8's OptimizationStatus bits (src/runtime/runtime.h): the function runs interpreted bytecode / Sparkplug code. */
const INTERPRETED = 1 << 7;
const BASELINE = 1 << 15;

/** Runs `body` as an ES module in a child node with `flags`; its last output line, parsed. */
function child(body: string, flags: string[] = []): unknown {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", "--allow-natives-syntax", ...flags, "--input-type=module", "-e", body],
    { encoding: "utf8" },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

/** The tier of a function called once, after `setup` ran. */
function tierAfterOneCall(setup: string, flags: string[] = []): number {
  return child(
    `${setup}
     function step(x) { return x + 1; }
     step(1);
     console.log(JSON.stringify(%GetOptimizationStatus(step)));`,
    flags,
  ) as number;
}

describe("daemon: V8 tiering", function () {
  this.timeout(60_000);

  it("a function the daemon's process compiles runs as baseline code from its first call, not interpreted", function () {
    const status = tierAfterOneCall(`await import("./daemon/tiering.ts");`);
    assert.ok(status & BASELINE, `status ${status.toString(2)}: no baseline code`);
    assert.equal(status & INTERPRETED, 0);
  });

  it("without the module V8 interprets it first (the difference is the module's)", function () {
    const status = tierAfterOneCall("");
    assert.ok(status & INTERPRETED, `status ${status.toString(2)}: not interpreted`);
    assert.equal(status & BASELINE, 0);
  });

  it("a flag on node's command line wins over the module's", function () {
    const status = tierAfterOneCall(`await import("./daemon/tiering.ts");`, ["--no-always-sparkplug"]);
    assert.ok(status & INTERPRETED, `status ${status.toString(2)}: the command line's --no-always-sparkplug lost`);
  });

  it("tieringFlags leaves out each flag the command line names, in any spelling", function () {
    const kept = child(
      `const { tieringFlags } = await import("./daemon/tiering.ts");
       console.log(JSON.stringify([
         tieringFlags([]),
         tieringFlags(["--interrupt_budget=1000", "--lazy-feedback-allocation"]),
         tieringFlags(["--no-always-sparkplug", "--max-old-space-size=100"]),
       ]));`,
    );
    assert.deepEqual(kept, [
      ["--always-sparkplug", "--no-lazy-feedback-allocation", "--interrupt-budget=16896"],
      ["--always-sparkplug"],
      ["--no-lazy-feedback-allocation", "--interrupt-budget=16896"],
    ]);
  });

  it("main.ts imports it before any other module, so it runs before their code compiles", function () {
    const imports = [...readFileSync("daemon/main.ts", "utf8").matchAll(/^import .*?["']([^"']+)["'];?$/gm)].map(
      (m) => m[1],
    );
    assert.equal(imports[0], "./tiering.js");
  });
});
