// A regular expression the output must (or, negated, must not) match. The pattern is the spec author's and the
// output the model's: V8's backtracking engine takes exponential time on patterns like `^(.*)*\x00$` (40 characters
// of output: hours) and has no time limit, so on the daemon's thread one such check froze every request for good.
// The match runs in the JS-check sandbox (QuickJS, its own thread) under a time limit instead; the pattern goes in
// as a string literal, so it is only ever data to the guest's RegExp.
import { runInSandbox } from "./js-sandbox.js";
import type { CheckContext, CheckResult } from "./types.js";

/** Time one regex check may take (a sane pattern over any model output takes well under a millisecond). */
export const REGEX_TIMEOUT_MS = 1000;

export async function regexCheck(
  check: { pattern: string; flags: string; negate: boolean },
  ctx: CheckContext,
): Promise<CheckResult> {
  const reply = await runInSandbox({
    code: `new RegExp(${JSON.stringify(check.pattern)}, ${JSON.stringify(check.flags)}).test(output)`,
    output: ctx.output,
    input: "",
    baseline: "",
    timeoutMs: REGEX_TIMEOUT_MS,
  });
  // A pattern that cannot finish is neither a match nor a clean miss: the sample fails the check either way.
  if (reply.error !== undefined) return { type: "regex", score: 0, detail: `regex failed: ${reply.error}` };
  const matched = reply.score === 1;
  return { type: "regex", score: matched !== check.negate ? 1 : 0 };
}
