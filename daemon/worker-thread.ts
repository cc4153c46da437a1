// Starting one of the daemon's worker threads (limits for hostile input, heavy work off the event loop).
import { getPriority, setPriority } from "node:os";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * The worker whose code is `bundled` next to the daemon's bundle (esbuild.mjs writes each worker entry beside
 * main.js), or — running from source under tsx, whose loader Node 20 does not hand to workers — the TypeScript file
 * `source`, loaded after registering tsx in the worker. Both are relative to `callerUrl` (the caller's
 * import.meta.url: the bundle's own URL once bundled).
 */
export function startWorker(callerUrl: string, bundled: string, source: string, options: WorkerOptions): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(bundled, callerUrl), options);
  const href = JSON.stringify(new URL(source, callerUrl).href);
  return new Worker(`import("tsx/esm/api").then(({ register }) => { register(); return import(${href}); })`, {
    ...options,
    eval: true,
  });
}

/**
 * Lowers the calling thread's priority `step` nice values below the process's (Linux: setpriority on the calling
 * thread only), so that on a machine with few cores the event loop gets about three times a worker's share whenever it
 * has work, while the worker still gets every idle cycle. Not more: on a machine busy with other processes the worker
 * would starve. Where not permitted or supported the worker keeps the daemon's priority.
 */
export function lowerThreadPriority(step = 5): void {
  try {
    setPriority(Math.min(19, getPriority() + step));
  } catch {
    // Not permitted or not supported.
  }
}
