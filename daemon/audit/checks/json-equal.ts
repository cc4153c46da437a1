// Deep equality of parsed JSON (key order and whitespace ignored) against a value, `expect`, or the baseline.
import { isDeepStrictEqual } from "node:util";
import type { CheckContext, CheckResult } from "./types.js";

/** Parses JSON, tolerating a Markdown code fence around it; undefined when it is not JSON. */
export function parseJsonOutput(text: string): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  try {
    return JSON.parse(fenced ? fenced[1] : text);
  } catch {
    return undefined;
  }
}

export function jsonEqualCheck(check: { value?: unknown }, ctx: CheckContext): CheckResult {
  const expected =
    check.value !== undefined
      ? check.value
      : ctx.input.expect !== undefined
        ? ctx.input.expect
        : parseJsonOutput(ctx.baseline);
  const actual = parseJsonOutput(ctx.output);
  if (actual === undefined) return { type: "json-equal", score: 0, detail: "output is not JSON" };
  const pass = isDeepStrictEqual(actual, expected);
  return {
    type: "json-equal",
    score: pass ? 1 : 0,
    ...(pass ? {} : { detail: `expected ${JSON.stringify(expected)?.slice(0, 200)}` }),
  };
}
