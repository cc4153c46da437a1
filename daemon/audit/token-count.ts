// Token counts with OpenAI's BPEs off the event loop: gpt-tokenizer is synchronous, and 1 MB of prompt held the event
// loop 6–10 s on a busy 2-core machine (8 MB: seconds more). Texts past a few kilobytes go to one worker thread, one
// request's texts at a time, with a time budget (LIMITS.tokenCountMs) after which the worker is replaced and the
// request refused naming the limit. The worker runs the same countBpe over the same encodings, so counts are the same.
import { InputLimitError, LIMITS } from "../limits.js";
import { startWorker } from "../worker-thread.js";
import { WorkerQueue } from "../worker-queue.js";
import type { BpeName } from "./bpe.js";
import type { TokenCounter } from "./tokens.js";

export interface TokenCountJob {
  id: number;
  bpe: BpeName;
  texts: string[];
}
export type TokenCountReply =
  { id: number; counts: number[]; error?: undefined } | { id: number; error: string; counts?: undefined };

/**
 * Up to this many characters in all are counted inline: ~1 ms at worst on a busy machine, less than the worker round
 * trip (posting the texts, waiting behind another request's count).
 */
export const INLINE_COUNT_CHARS = 4096;
/** Worker start-up (loading both BPE rank tables: ~1 s each on a busy machine) may take this long. */
const START_LIMIT_MS = 60_000;

const worker = new WorkerQueue<Omit<TokenCountJob, "id">, number[], TokenCountReply>({
  start: () =>
    // The event loop answers other requests meanwhile: the worker (its start-up loads two BPE tables, ~1 s each on a
    // busy machine) runs 5 nice values below it (startWorker).
    startWorker(
      import.meta.url,
      "./token-count-worker.js",
      "./token-count-worker.ts",
      { resourceLimits: { maxOldGenerationSizeMb: 1024 }, stdout: true, stderr: true },
      5,
    ),
  startLimitMs: START_LIMIT_MS,
  startTimeout: () => new Error(`the token-count worker did not start within ${START_LIMIT_MS / 1000} s`),
  startFailed: (e) => new Error(`the token-count worker could not start: ${e.message}`),
  stopped: () => new Error("the token-count worker stopped (out of memory?); send less text"),
  budget: () => ({
    ms: LIMITS.tokenCountMs,
    error: () =>
      new InputLimitError(
        "tokenCountMs",
        `counting tokens took more than ${LIMITS.tokenCountMs} ms (limit tokenCountMs = ${LIMITS.tokenCountMs}); send less text`,
      ),
  }),
  result: (reply) => (reply.error !== undefined ? new Error(`counting tokens failed: ${reply.error}`) : reply.counts),
});

/** counter.count(text) for each text: in the worker where the counter is a BPE and the texts are large. */
export async function countTexts(counter: TokenCounter, texts: string[]): Promise<number[]> {
  let chars = 0;
  for (const t of texts) chars += t.length;
  if (!counter.bpe || chars <= INLINE_COUNT_CHARS) return texts.map((t) => counter.count(t));
  return worker.run({ bpe: counter.bpe, texts });
}

/**
 * `counter`, answering from counts made beforehand (off the event loop, see countTexts) for `texts`, for synchronous
 * code that counts them (several times, some of them); a text not among them is counted as before.
 */
export async function withCounts(counter: TokenCounter, texts: string[]): Promise<TokenCounter> {
  const unique = [...new Set(texts)];
  const counts = await countTexts(counter, unique);
  const known = new Map(unique.map((t, i) => [t, counts[i]]));
  return { ...counter, count: (t) => known.get(t) ?? counter.count(t) };
}
