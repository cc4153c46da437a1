// V8's tiering for a process that runs its per-request code a few times a minute, set before any of the daemon's code
// is compiled (main.ts imports this module first; the flags are the process's, so its worker threads run with them).
//
// Why: V8 starts every function in its interpreter and moves it up (Sparkplug baseline code, then TurboFan) only after
// it has run a while. A daemon's per-request path is hundreds of functions, each run once per request, so a freshly
// started daemon adds 1.1–2.9× its warm latency over its first ~1,000 requests (`bench router`'s warm-up table), and a
// developer's daemon serves a few hundred requests a day: most of them in that stretch. So:
// - --always-sparkplug: baseline code at a function's first compile (Sparkplug translates bytecode in one cheap pass),
//   not after it has run a while in the interpreter;
// - --no-lazy-feedback-allocation: a function collects type feedback from its first call, not its ~8th, so it can be
//   optimised that much sooner;
// - --interrupt-budget a quarter of V8's 67,584 (bytes of bytecode run): TurboFan considers a hot function after a
//   quarter of the work. An eighth made the first 100 requests slower (more compiling on 2 busy cores).
// The first two are configurations V8's own test suites run whole (its always_sparkplug and no_lfa variants). Measured
// side by side with V8's defaults: requests 251–2,500 0.03–0.35 ms faster each, warm 0.03–0.09 ms faster and ~12% less
// CPU per request; memory, start-up and imports unchanged (docs/benchmarks.md, "router"; docs/pipeline.md).
// A flag given on node's own command line wins over the one here.
import { setFlagsFromString } from "node:v8";

export const TIERING_FLAGS = [
  "--always-sparkplug",
  "--no-lazy-feedback-allocation",
  "--interrupt-budget=16896",
] as const;

/** The flag's name, "--x" for "--x", "--no-x" and "--x=1". */
function flagName(flag: string): string {
  return flag
    .replace(/=.*$/, "")
    .replace(/^--no-/, "--")
    .replaceAll("_", "-");
}

/** The tiering flags this process takes: those its command line does not set itself. */
export function tieringFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(flagName));
  return TIERING_FLAGS.filter((f) => !given.has(flagName(f)));
}

for (const flag of tieringFlags()) setFlagsFromString(flag);
