// Embeddings from a local model's embedding context, bounded: every input token is evaluated by the model, so one
// request of 2,048 × 4 KB inputs (OpenAI's input count) kept stories260K busy for hours and went unanswered, and every
// embeddings request after it waited behind it (node-llama-cpp evaluates one embedding at a time per context), even
// once its client had gone. Here a request is refused before any work when its characters alone exceed
// LIMITS.embeddingTokens, refused as soon as its projected time exceeds LIMITS.embeddingMs, and stopped between inputs
// when its client disconnects or the daemon's request timeout passes.
import type { Token } from "node-llama-cpp";
import { InputLimitError, LIMITS } from "../limits.js";
import { maxTokenChars, refuseUnfittable } from "./context-bound.js";
import { ContextOverflowError } from "./generate.js";
import type { LocalModel } from "./model.js";

export interface Embeddings {
  vectors: number[][];
  tokens: number;
}

export async function embedInputs(local: LocalModel, inputs: string[], signal?: AbortSignal): Promise<Embeddings> {
  const limit = local.embeddingContextSize;
  const param = (i: number) => (inputs.length > 1 ? `input.${i}` : "input");
  let chars = 0;
  inputs.forEach((input, i) => {
    refuseUnfittable(local.model, input.length, limit, param(i));
    chars += input.length;
  });
  // A lower bound on the tokens, from characters: past the limit without tokenizing (8 MB took ~15 s to tokenize).
  const atLeast = Math.ceil(chars / maxTokenChars(local.model));
  if (atLeast > LIMITS.embeddingTokens) throw tooManyTokens(`at least ${atLeast}`);
  const context = await local.embeddings();
  const vectors: number[][] = [];
  let tokens = 0;
  let charsDone = 0;
  let evaluatingMs = 0;
  const startedAt = performance.now();
  for (const [i, input] of inputs.entries()) {
    signal?.throwIfAborted();
    // Tokenized once here (synchronous, ~2 ms per KB) and handed to the context as tokens, not tokenized again there.
    const ids: Token[] = local.model.tokenize(input);
    // With the start/end tokens the model adds, as node-llama-cpp counts them: it throws a plain Error (a 500) for an
    // input of exactly the context's size or one less, which a check on the bare tokens let through.
    const evaluated = context.calculateInputLength(ids);
    if (evaluated >= limit) {
      throw new ContextOverflowError(
        `the input is ${evaluated} tokens with the model's start/end tokens but one embedding holds at most ${limit - 1}; split it`,
        param(i),
      );
    }
    tokens += ids.length;
    if (tokens > LIMITS.embeddingTokens) throw tooManyTokens(`more than ${tokens}`);
    if (i > 0) refuseIfTooSlow(performance.now() - startedAt, evaluatingMs, tokens - ids.length, charsDone, chars, i);
    const began = performance.now();
    vectors.push([...(await context.getEmbeddingFor(ids)).vector]);
    evaluatingMs += performance.now() - began;
    charsDone += input.length;
  }
  return { vectors, tokens };
}

function tooManyTokens(count: string): InputLimitError {
  return new InputLimitError(
    "embeddingTokens",
    `the inputs are ${count} tokens in all, over the ${LIMITS.embeddingTokens} one embeddings request may hold (limit embeddingTokens = ${LIMITS.embeddingTokens}); send them in several requests`,
    "input",
  );
}

/**
 * Throws when the inputs left would take the request past LIMITS.embeddingMs at the speed measured so far: the rest's
 * tokens are estimated from its characters at the tokens per character seen, their time at the milliseconds per token.
 */
function refuseIfTooSlow(
  elapsedMs: number,
  evaluatingMs: number,
  tokensDone: number,
  charsDone: number,
  chars: number,
  inputsDone: number,
): void {
  if (tokensDone === 0 || charsDone === 0) return;
  const tokensLeft = ((chars - charsDone) * tokensDone) / charsDone;
  const projectedMs = elapsedMs + (tokensLeft * evaluatingMs) / tokensDone;
  if (projectedMs <= LIMITS.embeddingMs) return;
  const perSecond = Math.round((tokensDone * 1000) / Math.max(evaluatingMs, 1));
  throw new InputLimitError(
    "embeddingMs",
    `at this model's current speed (${perSecond} tokens/s over the first ${inputsDone} inputs) the request would take about ${Math.round(projectedMs / 1000)} s, over the ${LIMITS.embeddingMs / 1000} s one embeddings request may take (limit embeddingMs = ${LIMITS.embeddingMs}); send fewer or shorter inputs per request`,
    "input",
  );
}
