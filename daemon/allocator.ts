// The glibc malloc settings the daemon process starts with. Every start path sets them in the environment before
// Node starts (glibc reads them once, at process start; setting process.env later does nothing): the `hotpath` bin's
// shebang (esbuild.mjs writes it from allocator-env.json, and `npm start` runs the bin), the extension's spawn, and the
// test harness's spawn. Other platforms' allocators ignore them.
//
// Why: the daemon reads request bodies of up to 10 MB (OTLP 64 MB, and up to 64 MB inflated) into Buffers, which live
// in malloc's heap, not V8's. glibc serves a block above its mmap threshold (128 KiB at start) with a mapping of its
// own, handed back to the OS on free, but after freeing such a block it raises the threshold to that block's size (up
// to 32 MB), so every later body of that size lands in the heap, and freed heap blocks are kept for reuse, not
// returned. A fixed MALLOC_MMAP_THRESHOLD_ keeps the threshold where it is set. Measured over the 2,192-request fuzz
// corpus (test/integration/fuzz, docs/security.md): RSS grew 374 MB with glibc's defaults (`[heap]` 232 MB after),
// 81–102 MB with a fixed 128 KiB. MALLOC_ARENA_MAX bounds the per-thread arenas (default 8 × cores) that native threads
// and the thread pool can each grow; it made no measurable difference in that run.
//
// Why 1 MiB, not glibc's starting 128 KiB: a coding agent's request late in a session is 100–600 KB, and serving it
// takes several blocks of about its size for a moment (the body, the upstream request, SQLite's copy of the span's
// content), each a fresh mapping under 128 KiB whose pages are touched for the first time — ~10 µs a page on the
// 2-core VMs this runs on. A 196 KB request through the daemon: 500–630 page faults and +10.5–10.9 ms over the
// direct call at 128 KiB, ~215–265 and −2.5 to −3.6 ms (median per round) at 1 MiB (docs/benchmarks.md, "router
// (large request)"). MALLOC_TRIM_THRESHOLD_ keeps up to 4 MiB free at the heap's top for the next request instead of
// handing it back (glibc's 128 KiB once the mmap threshold is fixed). Larger blocks (bodies over 1 MiB, the inflated
// OTLP chunks: body-inflate.ts) are still mappings of their own, returned when freed.
import allocatorEnv from "./allocator-env.json" with { type: "json" };

export const ALLOCATOR_ENV: Readonly<Record<string, string>> = allocatorEnv;

/** The settings this process started without (empty on platforms other than Linux, where they mean nothing). */
export function missingAllocatorEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== "linux") return [];
  return Object.entries(ALLOCATOR_ENV)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `${name}=${value}`);
}
