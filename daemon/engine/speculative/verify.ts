// The speculative token loop: draft k tokens, evaluate the pending token and the k drafts in ONE target batch with a
// sampled next token at every position, keep the drafts up to the first disagreement plus the target's own token
// there, erase the rest. Every emitted token is the target's own sample at its position, so at temperature 0 the
// output equals plain greedy decoding, and at temperature > 0 it follows the target's distribution (a draft token
// only decides how far one batch gets).
//
// Ours rather than node-llama-cpp's token predictors: in 3.22.1 its `_speculativeEvaluate` validates at most one
// drafted token per batch (later ones are compared with `validatedTokens.at(-1)`, an array it never fills), which
// caps speculation at 2 tokens per target step (measured: 6 drafted per step → exactly 1 accepted).
import type { EvaluationPriority, LlamaContextSequence, Token } from "node-llama-cpp";
import type { DraftLength } from "./draft-length.js";
import type { Drafter } from "./drafter.js";

export interface SpeculativeOptions {
  temperature: number;
  topP?: number;
  seed?: number;
  evaluationPriority: EvaluationPriority;
  /** Compute each emitted token's probability. */
  confidence: boolean;
  /** No more tokens are drafted than can still be used. */
  maxTokens: number;
  draftLength: DraftLength;
}

/** Running totals of one generation, read by the caller for timings and the adaptive switch. */
export interface DraftCounts {
  drafted: number;
  accepted: number;
}

export interface SampledToken {
  token: Token;
  confidence?: number;
}

/** Yields the generated tokens (end-of-generation tokens end it unyielded, as in sequence.evaluate). */
export async function* speculativeTokens(
  sequence: LlamaContextSequence,
  drafter: Drafter,
  prompt: Token[],
  o: SpeculativeOptions,
  counts: DraftCounts,
): AsyncGenerator<SampledToken, void, void> {
  const model = sequence.model;
  // Everything the target holds plus what it is about to evaluate: the drafter's view of the context.
  const state = [...sequence.contextTokens, ...prompt];
  let pending = prompt;
  let produced = 0;
  // Each batch samples with a fresh sampler (controlledEvaluate makes one per call): distinct seeds keep batches from
  // replaying the same random stream; a request's seed keeps the run reproducible.
  const baseSeed = o.seed ?? Math.floor(Math.random() * 0x100000000);
  for (let batch = 0; produced < o.maxTokens; batch++) {
    const room = sequence.contextSize - sequence.nextTokenIndex - pending.length;
    const wanted = Math.min(o.draftLength.current, o.maxTokens - produced - 1, room - 1);
    const drafts = wanted > 0 ? (await drafter.draft(state, wanted)).slice(0, wanted) : [];
    const sample = {
      generateNext: {
        token: true,
        confidence: o.confidence,
        options: { temperature: o.temperature, topP: o.topP, seed: (baseSeed + Math.imul(batch, 0x9e3779b1)) >>> 0 },
      },
    };
    const input = [
      ...pending.slice(0, -1),
      [pending[pending.length - 1], sample] as const,
      ...drafts.map((d) => [d, sample] as const),
    ];
    const results = await sequence.controlledEvaluate(
      input as Parameters<LlamaContextSequence["controlledEvaluate"]>[0],
      {
        evaluationPriority: o.evaluationPriority,
      },
    );

    const first = pending.length - 1;
    const out: SampledToken[] = [];
    for (let i = 0; i <= drafts.length; i++) {
      const next = results[first + i]?.next;
      if (next?.token == null) throw new Error("the model sampled no token; the context may have been disposed");
      out.push({ token: next.token, confidence: next.confidence });
      if (i === drafts.length || next.token !== drafts[i]) break;
    }
    const accepted = out.length - 1;
    counts.drafted += drafts.length;
    counts.accepted += accepted;
    o.draftLength.update(drafts.length, accepted);
    // The batch put every draft into the KV cache; the rejected ones must go before anything else is evaluated.
    const rejected = drafts.length - accepted;
    if (rejected > 0)
      await sequence.eraseContextTokenRanges([
        { start: sequence.nextTokenIndex - rejected, end: sequence.nextTokenIndex },
      ]);

    // out = the accepted drafts (now in the KV cache) + the target's token at the first disagreement (pending).
    for (const t of out) {
      if (model.isEogToken(t.token)) return;
      state.push(t.token);
      produced++;
      yield t;
      if (produced >= o.maxTokens) return;
    }
    pending = [out[out.length - 1].token];
  }
}
