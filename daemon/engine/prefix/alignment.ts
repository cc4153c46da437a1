// Where a prompt's evaluation starts after a reused prefix, so that its batches end where llama.cpp's KV padding does.
//
// Why: llama.cpp attends each batch over the KV cells in use, rounded up to a multiple of KV_PAD_CELLS
// (llama-kv-cache.cpp, get_n_kv: "pad the n_kv value so that the graph remains constant across batches"), whether or
// not the padding cells hold anything. Evaluated from a fresh sequence, batches of batchSize tokens end on such
// multiples. After a reused prefix of k tokens they end at k + batchSize·j instead, and every batch but the last attends
// up to KV_PAD_CELLS − 1 empty cells more. Measured on the bench's 60 MB model, 1 thread, 2000-token prompts
// (`npm run bench -- prompt-alignment`; docs/benchmarks.md, "prompt alignment"): after a reused 3-token prefix (a chat
// template's start) the first token came 2–6% sooner aligned in every run, and unaligned, reusing it was 2–3% slower
// than evaluating the whole prompt afresh; after 100 or 300 tokens the runs spread from 4% sooner to 1% later.
//
// So the tokens up to the next multiple of KV_PAD_CELLS are evaluated first, as a batch of their own; the batches of
// the rest then end on multiples again. Only when the rest spans more than one batch: a single batch ends at the
// prompt's end either way.

/** llama.cpp's padding of a batch's KV span: max(the context's n_pad, 256) (llama-kv-cache.cpp, get_n_kv). */
export const KV_PAD_CELLS = 256;

/**
 * The position from which the prompt is evaluated in batches of `batchSize`, after `reused` tokens already in the
 * sequence: `reused` itself when nothing is gained, else the next multiple of KV_PAD_CELLS (the tokens from `reused`
 * to it are evaluated first, on their own). Always leaves at least one token to evaluate after it.
 */
export function alignedPromptStart(reused: number, promptLength: number, batchSize: number): number {
  // Batches of another size do not stay on multiples once aligned.
  if (reused % KV_PAD_CELLS === 0 || batchSize % KV_PAD_CELLS !== 0) return reused;
  if (promptLength - reused <= batchSize) return reused;
  // promptLength − reused > batchSize ≥ KV_PAD_CELLS: tokens remain after the boundary.
  return Math.ceil(reused / KV_PAD_CELLS) * KV_PAD_CELLS;
}
