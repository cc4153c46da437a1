// Picks CPU thread counts for a model by measuring it as it serves: a prompt batch with one candidate count, then
// decode steps right after it (at the KV position a real answer decodes at) with another, every decode count
// following every prefill count over the rounds (so the cost of switching counts between the phases is in the
// measurement), about a second in all. Each count's typical time is kept (median over rounds), not its best: a
// count whose threads often wait for a core (two threads decoding a small model on a 2-core machine) can have one
// lucky round as fast as one thread, and serving sees its typical speed — the best-of rule measured 1 and 2 threads
// within 1% on a 60 MB model that decodes 3.5× slower on 2 in the threads bench.
import { availableParallelism } from "node:os";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { ContentionMeter } from "./contention.js";
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
  /**
   * Share of all cores (0–1) other processes used while it measured (contention.ts); undefined where the OS does not
   * say. High means the measurements are of a busy machine, not of the model on this one.
   */
  othersShare?: number;
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
    const decodeSteps = DECODE_STEPS;

    // Warm up on one thread (first evaluations allocate; a single thread is never starved of a core by its own
    // siblings), then size the prefill batch to ~60 ms there: above DECODE_BATCH_MAX_TOKENS, at most 256, leaving
    // room for the decode steps after it.
    const contention = new ContentionMeter();
    o.setThreads({ prefill: 1, decode: 1 });
    const probe = Math.min(32, room);
    await timePrefill(sequence, tokens.slice(0, probe));
    const probeMs = await timePrefill(sequence, tokens.slice(0, probe));
    await timeDecode(sequence, tokens[probe] ?? tokens[0], 2);
    const perToken = Math.max(0.01, probeMs / probe);
    const prefillTokens = Math.min(
      context.contextSize - decodeSteps - 2,
      Math.max(DECODE_BATCH_MAX_TOKENS + 16, Math.min(256, room - decodeSteps - 2, Math.round(60 / perToken))),
    );
    const prompt = tokens.slice(0, prefillTokens);
    const next = tokens[prefillTokens] ?? tokens[0];

    const times = new Map(o.candidates.map((n) => [n, { prefill: [] as number[], decode: [] as number[] }]));
    const k = o.candidates.length;
    for (let round = 0; round < Math.max(4, k); round++) {
      // Decode count i follows prefill count i + round: over k rounds each decode count follows each prefill count.
      const order = round % 2 === 0 ? o.candidates : [...o.candidates].reverse();
      for (const [i, d] of order.entries()) {
        // Every count is measured once; after that the budget holds, mid-round too (a busy machine can make one
        // measurement of a hopeless count take seconds).
        if (round >= 1 && performance.now() - started > budget) break;
        // A count that decodes 20× slower than the best has threads waiting for cores; its prefill batch (which
        // cannot be cut short) is then not worth repeating as the first half of other pairs: the decode count's own
        // prefill count stands in.
        const fastest = Math.min(...[...times.values()].map((x) => median(x.decode)));
        const p = order[(i + round) % k];
        const prefill = times.get(p)!.decode.length > 0 && median(times.get(p)!.decode) > fastest * 20 ? d : p;
        o.setThreads({ prefill, decode: d });
        times.get(prefill)!.prefill.push(await timePrefill(sequence, prompt));
        times.get(d)!.decode.push(await timeDecode(sequence, next, decodeSteps));
      }
      if (round >= 1 && performance.now() - started > budget) break;
    }
    const measurements = o.candidates.map((n) => ({
      threads: n,
      prefillTokensPerS: round1(prefillTokens / (median(times.get(n)!.prefill) / 1000)),
      decodeTokensPerS: round1(1000 / median(times.get(n)!.decode)),
    }));
    return {
      prefill: pick(measurements, (m) => m.prefillTokensPerS),
      decode: pick(measurements, (m) => m.decodeTokensPerS),
      measurements,
      prefillTokens,
      decodeSteps,
      ms: Math.round(performance.now() - started),
      othersShare: contention.othersShare(),
    };
  } finally {
    sequence.dispose();
  }
}

/** Decode steps timed per measurement (fewer once 100 ms have passed). */
const DECODE_STEPS = 16;

/** The median; Infinity for none (a count never measured is never picked). */
function median(xs: number[]): number {
  if (!xs.length) return Infinity;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
 * Milliseconds per decoded token over `steps` tokens after the prompt, timed from the request for the first one (so
 * the first decode batch after a prompt batch, with any cost of changing thread counts, is in it); fewer tokens once
 * 100 ms have passed: a count whose threads spin against a busy machine can be 100× slower, and one token shows it.
 */
async function timeDecode(
  sequence: ReturnType<LlamaContext["getSequence"]>,
  start: Token,
  steps: number,
): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const iterator = sequence.evaluate([start], { temperature: 0 });
  try {
    for await (const _ of iterator) {
      n++;
      if (n >= steps || performance.now() - t0 > 100) break;
    }
  } finally {
    await iterator.return(undefined);
  }
  return n > 0 ? (performance.now() - t0) / n : Infinity;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
