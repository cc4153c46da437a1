// A JavaScript assertion over the output, run in the QuickJS sandbox (js-sandbox.ts): no file, network, process or
// module access, a time limit, a memory limit, and data in / verdict out.
import { runInSandbox } from "./js-sandbox.js";
import type { CheckContext, CheckResult } from "./types.js";

export async function jsCheck(check: { code: string; timeoutMs: number }, ctx: CheckContext): Promise<CheckResult> {
  const reply = await runInSandbox({
    code: check.code,
    output: ctx.output,
    input: ctx.input.user ?? "",
    expect: ctx.input.expect,
    baseline: ctx.baseline,
    timeoutMs: check.timeoutMs,
  });
  if (reply.error !== undefined) {
    const detail = reply.error.startsWith("assertions must") ? reply.error : `assertion threw: ${reply.error}`;
    return { type: "js", score: 0, detail };
  }
  return { type: "js", score: Math.min(1, Math.max(0, reply.score)) };
}
