// A JavaScript assertion over the output, run in a fresh node:vm context with a time limit. node:vm is not a
// security boundary: the code comes from the user's own spec file, and the limit only stops runaway loops.
import vm from "node:vm";
import type { CheckContext, CheckResult } from "./types.js";

export function jsCheck(check: { code: string; timeoutMs: number }, ctx: CheckContext): CheckResult {
  const body = /\breturn\b/.test(check.code) ? check.code : `return (${check.code});`;
  const sandbox = vm.createContext(
    Object.freeze({ output: ctx.output, input: ctx.input.user ?? "", expect: structuredClone(ctx.input.expect), baseline: ctx.baseline }),
  );
  let value: unknown;
  try {
    value = vm.runInContext(`(function () { "use strict"; ${body}\n })()`, sandbox, { timeout: check.timeoutMs });
  } catch (e) {
    return { type: "js", score: 0, detail: `assertion threw: ${(e as Error).message}` };
  }
  if (typeof value === "number" && Number.isFinite(value)) return { type: "js", score: Math.min(1, Math.max(0, value)) };
  return { type: "js", score: value ? 1 : 0 };
}
