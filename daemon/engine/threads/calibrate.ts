// Picks CPU thread counts for a model by measuring it: one prefill batch and a few decode steps per candidate count,
// alternating candidates over rounds and keeping each one's best time (the least disturbed by other processes),
// about a second in all.
import { availableParallelism } from "node:os";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { DECODE_BATCH_MAX_TOKENS, type PhaseThreads } from "./phases.js";

export interface ThreadMeasurement {
  threads: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
}

export interface Calibration extends PhaseThreads {
  measurements: ThreadMeasurement[];
  prefillTokens: number;
  decodeSteps: number;
  ms: number;
}

/** 1, 2, 4, … up to the core count, and the core count itself; at most 5 counts. */
export function threadCandidates(cores = availableParallelism()): number[] {
  const out = new Set<number>();
  for (let n = 1; n < cores && out.size < 4; n *= 2) out.add(n);
  out.add(Math.max(1, cores));
  return [...out].sort((a, b) => a - b);
}

const TEXT =
  "Once upon a time there was a little girl who lived in a village near the forest. Every day she walked to the " +
  "river, counted the stones, and told the fish what she had seen: 3 birds, 12 trees, a red boat and a dog. ";

export interface CalibrateOptions {
  candidates: number[];
  /** Sets the count under test for both phases. */
  setThreads: (t: PhaseThreads) => void;
  budgetMs?: number;
}

export async function calibrateThreads(
  model: LlamaModel,
  context: LlamaContext,
  o: CalibrateOptions,
): Promise<Calibration> {
  const started = performance.now();
  const budget = o.budgetMs ?? 1000;
  const sequence = context.getSequence();
  try {
    let text = TEXT;
    let tokens = model.tokenize(text);
    while (tokens.length < 512 && tokens.length > 0) {
      text += TEXT;
      tokens = model.tokenize(text);
    }
    if (tokens.length === 0) tokens = Array.from({ length: 512 }, (_, i) => (i % 200) + 1) as Token[];
    const room = Math.max(8, Math.floor(context.contextSize / 2));
    const decodeSteps = 8;

    // Warm up on one thread (first evaluations allocate; a single thread is never starved of a core by its own
    // siblings), then size the prefill batch to ~60 ms there: above DECODE_BATCH_MAX_TOKENS, at most 256.
    o.setThreads({ prefill: 1, decode: 1 });
    const probe = Math.min(32, room);
    await timePrefill(sequence, tokens.slice(0, probe));
    const probeMs = await timePrefill(sequence, tokens.slice(0, probe));
    await timeDecode(sequence, tokens[probe] ?? tokens[0], 2);
    const perToken = Math.max(0.01, probeMs / probe);
    const prefillTokens = Math.max(DECODE_BATCH_MAX_TOKENS + 16, Math.min(256, room, Math.round(60 / perToken)));
    const prompt = tokens.slice(0, prefillTokens);

    const best = new Map(o.candidates.map((n) => [n, { prefill: Infinity, decode: Infinity }]));
    for (let round = 0; round < 4; round++) {
      const order = round % 2 === 0 ? o.candidates : [...o.candidates].reverse();
      for (const n of order) {
        o.setThreads({ prefill: n, decode: n });
        const b = best.get(n)!;
        // Decode first: it stops early when slow. A count that decodes 20× slower than the best has threads
        // waiting for cores; its prefill batch (which cannot be cut short) is then skipped after the first round.
        await timePrefill(sequence, tokens.slice(0, 1));
        b.decode = Math.min(b.decode, await timeDecode(sequence, tokens[1] ?? tokens[0], decodeSteps));
        const fastest = Math.min(...[...best.values()].map((x) => x.decode));
        if (round === 0 || b.decode < fastest * 20)
          b.prefill = Math.min(b.prefill, await timePrefill(sequence, prompt));
      }
      if (round >= 1 && performance.now() - started > budget) break;
    }
    const measurements = o.candidates.map((n) => ({
      threads: n,
      prefillTokensPerS: round1(prefillTokens / (best.get(n)!.prefill / 1000)),
      decodeTokensPerS: round1(1000 / best.get(n)!.decode),
    }));
    return {
      prefill: pick(measurements, (m) => m.prefillTokensPerS),
      decode: pick(measurements, (m) => m.decodeTokensPerS),
      measurements,
      prefillTokens,
      decodeSteps,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    sequence.dispose();
  }
}

/** The fastest count; among counts within 3% of it, the fewest threads (they leave the cores to everything else). */
function pick(ms: ThreadMeasurement[], speed: (m: ThreadMeasurement) => number): number {
  const top = Math.max(...ms.map(speed));
  return ms.filter((m) => speed(m) >= top * 0.97).sort((a, b) => a.threads - b.threads)[0].threads;
}

async function timePrefill(sequence: ReturnType<LlamaContext["getSequence"]>, prompt: Token[]): Promise<number> {
  await sequence.clearHistory();
  const t0 = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(prompt);
  return performance.now() - t0;
}

/**
 * Milliseconds per decoded token over `steps` tokens (fewer once 100 ms have passed: a count whose threads spin
 * against a busy machine can be 100× slower, and a few tokens already show it).
 */
async function timeDecode(
  sequence: ReturnType<LlamaContext["getSequence"]>,
  start: Token,
  steps: number,
): Promise<number> {
  let n = 0;
  let first = 0;
  const iterator = sequence.evaluate([start], { temperature: 0 });
  try {
    for await (const _ of iterator) {
      n++;
      if (n === 1) first = performance.now();
      if (n > steps || (n >= 3 && performance.now() - first > 100)) break;
    }
  } finally {
    await iterator.return(undefined);
  }
  return n > 1 ? (performance.now() - first) / (n - 1) : Infinity;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
