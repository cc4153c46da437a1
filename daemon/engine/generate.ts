// The token loop shared by chat and completions: reuse the leased sequence's KV prefix, evaluate only the new
// prompt tokens, sample until a stop condition, and stream text deltas. Timings follow llama-server's meanings.
import type { LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import { LlamaGrammarEvaluationState } from "node-llama-cpp";
import type { FinishReason, Timings } from "../api.js";
import type { ChatEvent, PrefixFacts, Priority } from "../chat.js";
import { TextStream } from "./detokenize.js";
import type { SequencePool } from "./pool.js";
import { alignedPromptStart } from "./prefix/alignment.js";
import { EVALUATION_PRIORITY } from "./priority.js";
import type { AdaptiveSpeculation } from "./speculative/adaptive.js";
import type { Speculator } from "./speculative/speculator.js";
import { type DraftCounts, speculativeTokens } from "./speculative/verify.js";

export interface GenerateInput {
  tokens: Token[];
  maxTokens: number;
  temperature: number;
  topP?: number;
  seed?: number;
  stopStrings: string[];
  /** Token sequences that end generation (the chat template's end-of-turn markers). */
  stopTokenSequences: Token[][];
  grammar?: LlamaGrammar;
  priority: Priority;
  /** Compute each token's probability (ChatOptions.confidence). */
  confidence?: boolean;
  signal: AbortSignal;
  /** The caller's work while the prompt is evaluated (ChatOptions.whileWaiting): run once its decode has started. */
  whileWaiting?: () => void;
}

export interface GenerateResult {
  text: string;
  tokens: Token[];
  finishReason: Extract<FinishReason, "stop" | "length">;
  promptTokens: number;
  cachedTokens: number;
  timings: Timings;
  /** Only when input.confidence was set. */
  confidence?: { mean: number; min: number };
  prefix: PrefixFacts;
}

/** The input does not fit the model's context; `param` names the request field that holds it. */
export class ContextOverflowError extends Error {
  constructor(
    message: string,
    readonly param: string = "messages",
  ) {
    super(message);
  }
}

/**
 * A prompt that leaves no room to answer is refused before it is queued. The message starts the way Anthropic's and
 * OpenAI's own do ("prompt is too long: N tokens > M maximum"): agents recognise it and compact their history.
 */
export function checkPromptFits(promptTokens: number, contextSize: number, what = ""): void {
  if (promptTokens >= contextSize) {
    throw new ContextOverflowError(
      `prompt is too long: ${promptTokens} tokens > ${contextSize - 1} maximum (the prompt ${what}does not fit the model's context of ${contextSize}); shorten it${what ? ", send fewer or smaller tools" : ""} or start the daemon with a larger --context-size`,
    );
  }
}

/** The final ChatEvent of a generation: usage, timings, confidence and prefix facts from its result. */
export function doneEvent(
  r: GenerateResult,
  finishReason: FinishReason = r.finishReason,
): Extract<ChatEvent, { type: "done" }> {
  return {
    type: "done",
    finishReason,
    usage: {
      prompt_tokens: r.promptTokens,
      completion_tokens: r.tokens.length,
      total_tokens: r.promptTokens + r.tokens.length,
      prompt_tokens_details: { cached_tokens: r.cachedTokens },
    },
    timings: r.timings,
    ...(r.confidence ? { confidence: r.confidence } : {}),
    prefix: r.prefix,
  };
}

/** Yields text deltas; returns the totals. The sequence lease is always released, on abort and error too. */
export async function* generate(
  model: LlamaModel,
  pool: SequencePool,
  contextSize: number,
  input: GenerateInput,
  /** The model's speculative decoding, when it has a draft model or prompt lookup. */
  speculation?: { speculator: Speculator; adaptive: AdaptiveSpeculation },
): AsyncGenerator<string, GenerateResult, void> {
  const { tokens } = input;
  checkPromptFits(tokens.length, contextSize);
  const maxTokens = Math.max(1, Math.min(input.maxTokens, contextSize - tokens.length));
  const lease = await pool.acquire(tokens, input.priority, input.signal);
  const started = performance.now();
  try {
    const sequence = lease.sequence;
    // Keep at least one prompt token to evaluate: its logits produce the first generated token.
    const reuse = Math.min(lease.reusableTokens, tokens.length - 1);
    if (sequence.nextTokenIndex > reuse) {
      await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
    }
    // After a reused prefix, the prompt's batches are put back on llama.cpp's KV padding (prefix/alignment.ts).
    const start = alignedPromptStart(reuse, tokens.length, sequence.context.batchSize);
    const toEvaluate = tokens.slice(start);
    // Grammar-constrained sampling keeps state that cannot be rolled back past rejected drafts: those decode plainly.
    const speculative = speculation && !input.grammar ? speculation : undefined;
    const speculate = speculative ? speculative.adaptive.next() : false;
    const counts: DraftCounts = { drafted: 0, accepted: 0 };
    const grammarEvaluationState = input.grammar
      ? new LlamaGrammarEvaluationState({ model, grammar: input.grammar })
      : undefined;
    // A grammar knows when its output is complete (e.g. JSON followed by blank lines): stop there, not at max_tokens.
    const stopStrings = [...input.stopStrings, ...grammarStops(input.grammar)];

    const generated: Token[] = [];
    const textStream = new TextStream(model);
    let text = "";
    let emitted = 0;
    let confidenceSum = 0;
    let confidenceMin = 1;
    let firstTokenAt: number | undefined;
    let finishReason: "stop" | "length" = "length";
    const stopScanFrom = () => Math.max(0, emitted - maxStopLength(stopStrings));

    const sampling = {
      temperature: input.temperature,
      topP: input.topP,
      seed: input.seed,
      evaluationPriority: EVALUATION_PRIORITY[input.priority],
    };
    const iterator: AsyncGenerator<{ token: Token; confidence?: number }, void, undefined> = speculate
      ? speculativeTokens(
          sequence,
          speculative!.speculator.drafterFor(sequence),
          toEvaluate,
          {
            ...sampling,
            maxTokens,
            confidence: input.confidence === true,
            draftLength: speculative!.speculator.draftLength,
          },
          counts,
        )
      : sequence.evaluateWithMetadata(
          toEvaluate,
          { confidence: input.confidence === true },
          { ...sampling, grammarEvaluationState },
        );
    // The next token is requested as soon as this one cannot end the generation, before its text is handed on: the
    // native decode of token N+1 then runs on llama.cpp's thread while token N travels through the pipeline, the SSE
    // writer and the socket on the event loop, instead of after them (that serial hop cost ~6% of decode speed).
    // Without stop strings the decision needs no text, so detokenizing overlaps the decode too.
    const contextSequences = sequence.context.totalSequences;
    const needsText = stopStrings.length > 0;
    // The prompt's evaluation is the request's longest wait on this thread (a large prompt's, seconds on a CPU).
    const whileWaiting = () => {
      if (input.whileWaiting) void decodeDispatched(contextSequences).then(input.whileWaiting);
    };
    if (start > reuse) {
      const aligning = sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(reuse, start), {
        evaluationPriority: sampling.evaluationPriority,
      });
      whileWaiting();
      await aligning;
    }
    let pending: Promise<IteratorResult<{ token: Token; confidence?: number }>> | undefined = iterator.next();
    if (start === reuse) whileWaiting();
    const prefetch = () => {
      pending = iterator.next();
      // Handled here, thrown at the await: the consumer may stop (return()) before awaiting it.
      pending.catch(() => {});
    };
    try {
      while (pending) {
        const step = await pending;
        pending = undefined;
        if (step.done) break;
        const { token, confidence } = step.value;
        if (input.signal.aborted) throw input.signal.reason;
        firstTokenAt ??= performance.now();
        generated.push(token);
        if (confidence !== undefined) {
          confidenceSum += confidence;
          confidenceMin = Math.min(confidenceMin, confidence);
        }

        if (endsWithAny(generated, input.stopTokenSequences)) {
          finishReason = "stop";
          break;
        }
        const last = generated.length >= maxTokens;
        if (!needsText) {
          if (!last) prefetch();
          // Only the new characters: no slice of the text so far, the same cost at any output length.
          const delta = textStream.delta(generated);
          if (delta) {
            if (pending) await decodeDispatched(contextSequences);
            emitted += delta.length;
            yield delta;
          }
          if (last) break;
          continue;
        }
        text = textStream.text(generated);
        const stopAt = findStop(text, stopStrings, stopScanFrom());
        if (stopAt >= 0) {
          text = text.slice(0, stopAt);
          finishReason = "stop";
          if (text.length > emitted) yield text.slice(emitted);
          emitted = text.length;
          break;
        }
        if (!last) prefetch();
        // Hold back a possibly incomplete UTF-8 character and any text that could still become a stop string.
        const safeEnd = safeEmitEnd(text, stopStrings);
        if (safeEnd > emitted) {
          if (pending) await decodeDispatched(contextSequences);
          yield text.slice(emitted, safeEnd);
          emitted = safeEnd;
        }
        if (last) break;
      }
      if (generated.length < maxTokens && finishReason !== "stop") finishReason = "stop"; // ended on an EOG token
    } finally {
      await iterator.return();
    }
    // Without stop strings the loop kept only deltas: the whole text (with any incomplete end) once, here.
    if (!needsText) text = textStream.text(generated);

    // Drop the end-of-turn marker tokens from the text, then flush what was held back.
    let visible = finishReason === "stop" ? trimStopTokens(model, generated, input.stopTokenSequences, text) : text;
    if (input.grammar?.trimWhitespaceSuffix) visible = visible.trimEnd();
    if (visible.length > emitted) yield visible.slice(emitted);

    const ended = performance.now();
    const firstAt = firstTokenAt ?? ended;
    const promptMs = firstAt - started;
    const predictedMs = ended - firstAt;
    const n = generated.length;
    if (speculative) speculative.adaptive.record(speculate, n, predictedMs, counts.drafted, counts.accepted);
    return {
      text: visible,
      tokens: generated,
      finishReason,
      promptTokens: tokens.length,
      cachedTokens: reuse,
      prefix: { ...lease.prefix, reusedTokens: reuse },
      ...(input.confidence ? { confidence: { mean: n ? confidenceSum / n : 0, min: n ? confidenceMin : 0 } } : {}),
      timings: {
        queue_ms: round(lease.queueMs),
        prompt_n: toEvaluate.length,
        prompt_ms: round(promptMs),
        ttft_ms: round(lease.queueMs + promptMs),
        predicted_n: n,
        predicted_ms: round(predictedMs),
        predicted_per_second: predictedMs > 0 && n > 1 ? round(((n - 1) * 1000) / predictedMs) : 0,
        ...(speculative ? { draft_n: counts.drafted, draft_n_accepted: counts.accepted } : {}),
      },
    };
  } finally {
    lease.release();
  }
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Resolves once a requested decode has reached llama.cpp, so that what runs next on the event loop overlaps it. A
 * context with one sequence dispatches within the same run of microtasks; one with several dispatches on the next
 * setImmediate (node-llama-cpp's "nextCycle", which batches the sequences queued in one turn), which was queued after
 * ours: the second hop lands after it.
 */
function decodeDispatched(contextSequences: number): Promise<void> {
  return contextSequences > 1 ? immediate().then(immediate) : immediate();
}

function grammarStops(grammar: LlamaGrammar | undefined): string[] {
  if (!grammar) return [];
  return grammar.stopGenerationTriggers
    .map((t) =>
      typeof t === "string" ? t : Array.isArray(t) ? t.filter((x) => typeof x === "string").join("") : String(t),
    )
    .filter(Boolean);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function maxStopLength(stops: string[]): number {
  return stops.reduce((m, s) => Math.max(m, s.length), 0);
}

function findStop(text: string, stops: string[], from: number): number {
  let best = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s, from);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/** End of the text that can be sent now: no trailing replacement char, no suffix that is a prefix of a stop string. */
function safeEmitEnd(text: string, stops: string[]): number {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, end); k > 0; k--) {
      if (text.endsWith(s.slice(0, k), end)) {
        end = Math.min(end, end - k);
        break;
      }
    }
  }
  return end;
}

function endsWithAny(tokens: Token[], sequences: Token[][]): boolean {
  return sequences.some(
    (seq) =>
      seq.length > 0 &&
      seq.length <= tokens.length &&
      seq.every((t, i) => tokens[tokens.length - seq.length + i] === t),
  );
}

function trimStopTokens(model: LlamaModel, generated: Token[], sequences: Token[][], text: string): string {
  for (const seq of sequences) {
    if (seq.length && endsWithAny(generated, [seq]))
      return model.detokenize(generated.slice(0, generated.length - seq.length));
  }
  return text;
}
