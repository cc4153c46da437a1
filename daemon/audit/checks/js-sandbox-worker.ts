// The worker side of the JS-check sandbox: evaluates one check at a time inside QuickJS compiled to WebAssembly.
// The guest gets no host function at all — only its data, inlined as JSON text — so it cannot reach files, sockets,
// processes, modules or this worker's globals; the runtime's memory limit, stack limit and interrupt deadline bound it.
import { parentPort } from "node:worker_threads";
import {
  newQuickJSWASMModuleFromVariant,
  shouldInterruptAfterDeadline,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import type { SandboxJob, SandboxReply } from "./js-sandbox.js";

const MEMORY_LIMIT_BYTES = 16 * 1024 * 1024;
/**
 * Characters of a thrown message carried back. The message lands in every sample's check results, held by the run and
 * stored: a check throwing a 12 MB string made the daemon hold 12 MB per check per sample, outside the guest's limit.
 */
const MAX_ERROR_CHARS = 2000;

function clip(message: string): string {
  return message.length <= MAX_ERROR_CHARS
    ? message
    : `${message.slice(0, MAX_ERROR_CHARS)}… (${message.length - MAX_ERROR_CHARS} more characters cut)`;
}
/** Below the worker's native stack (see js-sandbox.ts), so deep recursion ends as the guest's own "stack overflow". */
const GUEST_STACK_BYTES = 256 * 1024;

/** The guest program: data parsed inside the guest, the check compiled as an expression or else a function body. */
function guestSource(job: SandboxJob): string {
  const data = JSON.stringify({
    output: job.output,
    input: job.input,
    expect: job.expect ?? null,
    baseline: job.baseline,
  });
  return `(function () {
  "use strict";
  const data = JSON.parse(${JSON.stringify(data)});
  const code = ${JSON.stringify(job.code)};
  const params = ["output", "input", "expect", "baseline"];
  let check;
  try { check = new Function(...params, '"use strict"; return (' + code + '\\n);'); }
  catch { check = new Function(...params, '"use strict"; ' + code + '\\n'); }
  const v = check(data.output, data.input, data.expect, data.baseline);
  if (v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function") return "promise";
  if (typeof v === "number") return Number.isFinite(v) ? "n:" + v : "t:0";
  return v ? "t:1" : "t:0";
})()`;
}

function evaluate(quickjs: QuickJSWASMModule, job: SandboxJob): SandboxReply {
  const runtime = quickjs.newRuntime();
  try {
    runtime.setMemoryLimit(MEMORY_LIMIT_BYTES);
    runtime.setMaxStackSize(GUEST_STACK_BYTES);
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + job.timeoutMs));
    const context = runtime.newContext();
    try {
      const result = context.evalCode(guestSource(job), "check.js");
      if (result.error) {
        const error = context.dump(result.error) as { message?: string } | string;
        // dump() disposes a thrown promise's handle itself; disposing it again threw and cost the worker.
        if (result.error.alive) result.error.dispose();
        const message = typeof error === "object" && error ? String(error.message) : String(error);
        return { id: job.id, error: message === "interrupted" ? `timed out after ${job.timeoutMs} ms` : clip(message) };
      }
      // Only a string is read back, and only as data: nothing of the guest ever runs on the host.
      const verdict = context.typeof(result.value) === "string" ? context.getString(result.value) : "t:0";
      result.value.dispose();
      if (verdict === "promise")
        return { id: job.id, error: "assertions must be synchronous (this one returned a promise)" };
      const score = verdict.startsWith("n:") ? Number(verdict.slice(2)) : verdict === "t:1" ? 1 : 0;
      return { id: job.id, score: Number.isFinite(score) ? score : 0 };
    } finally {
      context.dispose();
    }
  } finally {
    runtime.dispose();
  }
}

const quickjs = await newQuickJSWASMModuleFromVariant(variant);
// The first evaluation compiles much of the interpreter; do it now so a check's own time limit does not pay for it.
evaluate(quickjs, { id: 0, code: "output.length >= 0", output: "", input: "", baseline: "", timeoutMs: 10_000 });
parentPort!.on("message", (job: SandboxJob) => {
  let reply: SandboxReply;
  try {
    reply = evaluate(quickjs, job);
  } catch (e) {
    // A host-side failure (the WebAssembly stack, memory) may leave the engine inconsistent: answer, then exit so
    // the next check gets a fresh worker.
    parentPort!.postMessage({
      id: job.id,
      error: `sandbox failed: ${clip((e as Error).message)}`,
      retiring: true,
    } satisfies SandboxReply);
    process.exit(1);
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
