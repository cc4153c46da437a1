// Different thread counts for prompt evaluation (prefill) and token-by-token decoding on one llama.cpp context.
//
// Why a wrapper: node-llama-cpp 3.22.1 gives a context one `threads` value and its native `setThreads` sets llama.cpp's
// n_threads and n_threads_batch to the same number (AddonContext.cpp), yet on 2-core machines the best counts differ:
// decoding a ≤ 60 MB model is 3–12× faster on 1 thread than on 2 (the event loop and the second llama.cpp thread
// fight for the cores), while prefill is ~1.8× faster on 2. The library's batch dispatcher calls
// `_ctx.setThreads(n)` before every `decodeBatch()` with what its threads splitter allows; this wrapper takes that
// number as a ceiling and sets, per batch, the count for the batch's kind. Guarded: when the internals it relies on
// are missing (another node-llama-cpp version), it installs nothing and the caller falls back to one count.
import type { LlamaContext } from "node-llama-cpp";

/** Batches of at most this many tokens count as decoding (one token per sequence, or a speculative draft check). */
export const DECODE_BATCH_MAX_TOKENS = 16;

export interface PhaseThreads {
  prefill: number;
  decode: number;
}

interface NativeContext {
  setThreads(n: number): void;
  initBatch(size: number): void;
  decodeBatch(): Promise<void>;
}

/** Installs per-phase thread counts on a context; returns the setter, or undefined when this library cannot. */
export function installPhaseThreads(
  context: LlamaContext,
  initial: PhaseThreads,
): ((t: PhaseThreads) => void) | undefined {
  const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
  if (
    !native ||
    typeof native.setThreads !== "function" ||
    typeof native.initBatch !== "function" ||
    typeof native.decodeBatch !== "function"
  ) {
    return undefined;
  }
  const setThreads = native.setThreads.bind(native);
  const initBatch = native.initBatch.bind(native);
  const decodeBatch = native.decodeBatch.bind(native);
  let counts = { ...initial };
  let ceiling = Infinity;
  let batchTokens = 0;
  // The native methods are read-only on the prototype; own properties on the instance shadow them.
  Object.defineProperty(native, "setThreads", {
    configurable: true,
    value: (n: number) => void (ceiling = n > 0 ? n : Infinity),
  });
  Object.defineProperty(native, "initBatch", {
    configurable: true,
    value: (size: number) => {
      batchTokens = size;
      return initBatch(size);
    },
  });
  Object.defineProperty(native, "decodeBatch", {
    configurable: true,
    value: () => {
      setThreads(
        Math.max(1, Math.min(ceiling, batchTokens > DECODE_BATCH_MAX_TOKENS ? counts.prefill : counts.decode)),
      );
      return decodeBatch();
    },
  });
  return (t) => {
    counts = { ...t };
  };
}
