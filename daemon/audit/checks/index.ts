// Runs a spec's checks on one sample; the sample's score is the mean of its checks' scores.
import type { Check } from "../spec.js";
import { exactCheck } from "./exact.js";
import { jsCheck } from "./js.js";
import { jsonEqualCheck } from "./json-equal.js";
import { judgeCheck } from "./judge.js";
import { regexCheck } from "./regex.js";
import { similarityCheck } from "./similarity.js";
import type { CheckContext, CheckResult } from "./types.js";

export * from "./types.js";

export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  switch (check.type) {
    case "exact":
      return exactCheck(check, ctx);
    case "json-equal":
      return jsonEqualCheck(check, ctx);
    case "regex":
      return regexCheck(check, ctx);
    case "js":
      return jsCheck(check, ctx);
    case "similarity":
      return similarityCheck(check, ctx);
    case "judge":
      return judgeCheck(check, ctx);
  }
}

export async function scoreSample(
  checks: Check[],
  ctx: CheckContext,
): Promise<{ score: number; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  for (const c of checks) results.push(await runCheck(c, ctx));
  return { score: results.reduce((a, r) => a + r.score, 0) / Math.max(1, results.length), results };
}

/** When a spec names no checks: similarity to the baseline if an embedder is available, else exact match to it. */
export function defaultChecks(hasEmbedder: boolean): Check[] {
  return hasEmbedder ? [{ type: "similarity", threshold: 0.9 }] : [{ type: "exact", ignoreCase: false }];
}
