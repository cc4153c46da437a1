// A regular expression the output must (or, negated, must not) match.
import type { CheckContext, CheckResult } from "./types.js";

export function regexCheck(check: { pattern: string; flags: string; negate: boolean }, ctx: CheckContext): CheckResult {
  const matched = new RegExp(check.pattern, check.flags).test(ctx.output);
  const pass = matched !== check.negate;
  return { type: "regex", score: pass ? 1 : 0 };
}
