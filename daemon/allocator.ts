// The glibc malloc settings the daemon process starts with. Every start path sets them in the environment before
// Node starts (glibc reads them once, at process start; setting process.env later does nothing): the `hotpath` bin's
// shebang (esbuild.mjs writes it from allocator-env.json, and `npm start` runs the bin), the extension's spawn, and the
// test harness's spawn. Other platforms' allocators ignore them.
//
// Why: the daemon reads request bodies of up to 10 MB (OTLP 64 MB, and up to 64 MB inflated) into Buffers, which live
// in malloc's heap, not V8's. glibc serves a block above its mmap threshold (128 KiB at start) with a mapping of its
// own, handed back to the OS on free, but after freeing such a block it raises the threshold to that block's size (up
// to 32 MB), so every later body of that size lands in the heap, and freed heap blocks are kept for reuse, not
// returned. A fixed MALLOC_MMAP_THRESHOLD_ keeps the threshold where it starts. Measured over the 2,192-request fuzz
// corpus (test/integration/fuzz, docs/security.md): RSS grew 374 MB with glibc's defaults (`[heap]` 232 MB after),
// 81–102 MB with these (`[heap]` 37–61 MB). MALLOC_ARENA_MAX bounds the per-thread arenas (default 8 × cores) that
// native threads and the thread pool can each grow; it made no measurable difference in that run.
import allocatorEnv from "./allocator-env.json" with { type: "json" };

export const ALLOCATOR_ENV: Readonly<Record<string, string>> = allocatorEnv;

/** The settings this process started without (empty on platforms other than Linux, where they mean nothing). */
export function missingAllocatorEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== "linux") return [];
  return Object.entries(ALLOCATOR_ENV)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `${name}=${value}`);
}
