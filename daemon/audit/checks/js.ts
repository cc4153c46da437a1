// A JavaScript assertion over the output, run in a fresh node:vm context with a time limit. node:vm is not a
// security boundary: the code comes from the user's own spec file, and the limit only stops runaway loops.
import vm from "node:vm";
import type { CheckContext, CheckResult } from "./types.js";

export function jsCheck(check: { code: string; timeoutMs: number }, ctx: CheckContext): CheckResult {
  // An expression if it compiles as one, else a function body (which returns its verdict).
  let source = `(function () { "use strict"; return (${check.code}\n); })()`;
  try {
    new vm.Script(source);
  } catch {
    source = `(function () { "use strict"; ${check.code}\n })()`;
  }
  const sandbox = vm.createContext(
    Object.freeze({ output: ctx.output, input: ctx.input.user ?? "", expect: structuredClone(ctx.input.expect), baseline: ctx.baseline }),
  );
  let value: unknown;
  try {
    value = vm.runInContext(source, sandbox, { timeout: check.timeoutMs });
  } catch (e) {
    return { type: "js", score: 0, detail: `assertion threw: ${(e as Error).message}` };
  }
  if (value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function") {
    return { type: "js", score: 0, detail: "assertions must be synchronous (this one returned a promise)" };
  }
  if (typeof value === "number" && Number.isFinite(value)) return { type: "js", score: Math.min(1, Math.max(0, value)) };
  return { type: "js", score: value ? 1 : 0 };
}
