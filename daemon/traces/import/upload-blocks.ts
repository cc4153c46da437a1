// The blocks an upload is copied into on the daemon's thread on its way to the parsing thread (job.ts startImport):
// transferred there, handed back once parsed (BlockAck), and filled again — import after import.
//
// Why kept between imports: made anew for each import, its first blocks were new memory whenever malloc had no freed
// block at hand (a mapping of their own: 8–9 in such an import, strace), which the daemon's thread filled in the
// import's first milliseconds, before the parse handed any back. 8 new 1 MB blocks filled take 23–30 ms here (~2,100
// pages touched for the first time, ~11 µs each on these VMs) against 0.3–0.5 ms filled again. /healthz probes waited
// behind those stretches of busy event loop: 20–70 ms in the first 6–43 ms of 13 of 28 warm 100k-span imports, and 2 of
// 28 (≤ 32 ms) with the blocks kept (docs/benchmarks.md, 2026-12-06).

/** A block's size: a request's chunks are ~64 kB, and one message per chunk would cost more than the copy. */
export const BLOCK_BYTES = 1 << 20;
/** How many blocks an upload may be ahead of its parse. */
export const MAX_BLOCKS_AHEAD = 8;
/** How many blocks are kept between imports (9 MB): as many as one upload has at once, one more being filled. */
export const KEPT_BLOCKS = MAX_BLOCKS_AHEAD + 1;

const spare: Uint8Array[] = [];

/** A block to fill: one kept, else a new one. */
export function takeBlock(): Uint8Array {
  return spare.pop() ?? new Uint8Array(BLOCK_BYTES);
}

/** A block done with (its whole buffer, as the parsing thread hands it back), kept to be filled again. */
export function keepBlock(block: Uint8Array): void {
  if (block.length !== BLOCK_BYTES || block.byteOffset !== 0 || spare.length >= KEPT_BLOCKS) return;
  if (!spare.includes(block)) spare.push(block); // one block kept twice would be filled by two uploads at once
}

/**
 * Makes the blocks the next import takes, their pages touched, one block per turn of the event loop (~3 ms each), so
 * that a daemon's first import does not pay for them either. Called when the import workers are made ready.
 */
export function warmBlocks(): void {
  if (spare.length >= KEPT_BLOCKS) return;
  spare.push(new Uint8Array(BLOCK_BYTES).fill(1)); // written, not only allocated: the pages are the kernel's to map
  setImmediate(warmBlocks).unref();
}

/** How many blocks wait to be filled (tests). */
export function spareBlockCount(): number {
  return spare.length;
}
