// Exact match (after trimming) against a given value, the input's `expect`, or the baseline output.
import type { CheckContext, CheckResult } from "./types.js";

export function exactCheck(check: { value?: string; ignoreCase: boolean }, ctx: CheckContext): CheckResult {
  const expected = check.value ?? (typeof ctx.input.expect === "string" ? ctx.input.expect : ctx.baseline);
  const norm = (s: string) => (check.ignoreCase ? s.trim().toLowerCase() : s.trim());
  const pass = norm(ctx.output) === norm(expected);
  return {
    type: "exact",
    score: pass ? 1 : 0,
    ...(pass ? {} : { detail: `expected ${JSON.stringify(expected.slice(0, 200))}` }),
  };
}
