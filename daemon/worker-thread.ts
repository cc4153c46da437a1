// Starting one of the daemon's worker threads (limits for hostile input, heavy work off the event loop).
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * The worker whose code is `bundled` next to the daemon's bundle (esbuild.mjs writes each worker entry beside
 * main.js), or — running from source under tsx, whose loader Node 20 does not hand to workers — the TypeScript file
 * `source`, loaded after registering tsx in the worker. Both are relative to `callerUrl` (the caller's
 * import.meta.url: the bundle's own URL once bundled).
 *
 * `niceStep`: the worker thread runs that many nice values below the process's priority (Linux: setpriority on the
 * calling thread only), so that on a machine with few cores the event loop gets about three times the worker's share
 * (a step of 5) whenever it has work, while the worker still gets every idle cycle. Not more: on a machine busy with
 * other processes the worker would starve. Where not permitted or supported the worker keeps the daemon's priority.
 * It is set by a few lines that run before the worker's module is loaded, so compiling the module (a bundle of up to
 * ~1 MB: 0.2–3 s of CPU on a busy 2-core machine, once per trace import) runs at the lower priority too; set from
 * inside the module it came after the compile, which competed with the event loop (40 small imports 4 at a time,
 * load 8–13: /healthz p50 7.5–8.0 → 3.8–4.6 ms, max 476–592 → 169–296 ms).
 */
export function startWorker(
  callerUrl: string,
  bundled: string,
  source: string,
  options: WorkerOptions,
  niceStep = 0,
): Worker {
  const lower = niceStep > 0 ? `${lowerThreadPrioritySource(niceStep)}\n` : "";
  if (!callerUrl.endsWith(".ts")) {
    const url = new URL(bundled, callerUrl);
    if (!lower) return new Worker(url, options);
    return new Worker(`${lower}import(${JSON.stringify(url.href)});`, { ...options, eval: true });
  }
  const href = JSON.stringify(new URL(source, callerUrl).href);
  return new Worker(`${lower}import("tsx/esm/api").then(({ register }) => { register(); return import(${href}); })`, {
    ...options,
    eval: true,
  });
}

/** Lowering the thread's priority, as the source of a worker's first lines (they run before any module is loaded). */
function lowerThreadPrioritySource(step: number): string {
  return `try { const os = require("node:os"); os.setPriority(Math.min(19, os.getPriority() + ${Math.round(step)})); } catch {}`;
}
