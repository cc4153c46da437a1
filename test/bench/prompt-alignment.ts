// `npm run bench -- prompt-alignment [--runs N] [--prompt-tokens N] [--reused 3,100,300]`: a prompt that reuses a
// prefix of k tokens, side by side on one loaded model (the generated 60 MB q8_0 bench model, CPU, the test thread
// count): Hotpath's engine (generate: its batches put back on llama.cpp's KV padding, daemon/engine/prefix/
// alignment.ts) against node-llama-cpp evaluating the rest of the prompt straight after the prefix (what the engine
// did before, and what any caller of the library does). Both start from the same state: the sequence holding the
// prefix and the previous request's other tokens. Time to the first token, medians; the order alternates per round.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { Token } from "node-llama-cpp";
import type { LocalModel } from "../../daemon/engine/model.js";
import { generateAll, testEngine } from "../fixtures/engine.js";
import { BENCH_PARAMS, generatedModelPath, testThreads } from "../fixtures/models.js";
import { syntheticTokens } from "../fixtures/prompts.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

/** The sequence as the previous request left it: the prefix, then 64 tokens of its own. */
async function previousRequest(local: LocalModel, prefix: Token[], seed: number): Promise<void> {
  const sequence = local.pool.sequences[0];
  await sequence.clearHistory();
  await sequence.evaluateWithoutGeneratingNewTokens([...prefix, ...syntheticTokens(64, seed)]);
}

/** The rest of the prompt evaluated right after the reused prefix, as node-llama-cpp does it. */
async function direct(local: LocalModel, prompt: Token[], reused: number): Promise<number> {
  const sequence = local.pool.sequences[0];
  const t0 = performance.now();
  await sequence.eraseContextTokenRanges([{ start: reused, end: sequence.nextTokenIndex }]);
  for await (const _ of sequence.evaluateWithMetadata(prompt.slice(reused), {}, { temperature: 0 })) break;
  return performance.now() - t0;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "6" },
      "prompt-tokens": { type: "string", default: "2000" },
      reused: { type: "string", default: "3,100,300" },
    },
  });
  const runs = Number(values.runs);
  const length = Number(values["prompt-tokens"]);
  const reusedCounts = values.reused!.split(",").map(Number);
  const engine = testEngine({ contextSize: 4096, sequences: 1 });
  const started = performance.now();
  const loadAtStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  try {
    engine.add([{ alias: "m", source: generatedModelPath(BENCH_PARAMS) }]);
    const local = (await engine.ready("m")).model;
    const batch = local.context.batchSize;
    const times = new Map<string, number[]>();
    const add = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
    // One warm-up round, not counted.
    for (let round = -1; round < runs; round++) {
      const cases = round % 2 === 0 ? reusedCounts : [...reusedCounts].reverse();
      for (const k of cases) {
        const prefix = syntheticTokens(k, 1000 + round);
        const prompt = [...prefix, ...syntheticTokens(length - k, 2000 + round * 31 + k)];
        for (const side of round % 2 === 0 ? ["hotpath", "direct"] : ["direct", "hotpath"]) {
          await previousRequest(local, prefix, 3000 + round);
          if (side === "hotpath") {
            const result = await generateAll(local, prompt, 1);
            const [ms, cached] = [result.timings.prompt_ms, result.cachedTokens];
            if (cached !== k) throw new Error(`the engine reused ${cached} tokens, not the prefix's ${k}`);
            if (round >= 0) add(`hotpath ${k}`, ms);
          } else {
            const ms = await direct(local, prompt, k);
            if (round >= 0) add(`direct ${k}`, ms);
          }
        }
      }
      // The whole prompt on an empty sequence: what reusing the prefix is measured against.
      await local.pool.sequences[0].clearHistory();
      const fresh = await generateAll(local, syntheticTokens(length, 4000 + round), 1);
      if (round >= 0) add("fresh", fresh.timings.prompt_ms);
      process.stderr.write(`round ${round + 1}/${runs}\n`);
    }
    const med = (key: string) => median(times.get(key)!);
    const rows = reusedCounts.map((k) => {
      const h = med(`hotpath ${k}`);
      const d = med(`direct ${k}`);
      const pairs = times.get(`hotpath ${k}`)!.map((x, i) => x / times.get(`direct ${k}`)![i]);
      return `| ${k} | ${fmt(h, 0)} | ${fmt(d, 0)} | **${fmt(h / d, 3)}** (pairs ${fmt(Math.min(...pairs), 3)}–${fmt(Math.max(...pairs), 3)}) | ${fmt(h / med("fresh"), 3)} | ${fmt(d / med("fresh"), 3)} |`;
    });
    const body = `\`npm run bench -- prompt-alignment --runs ${runs} --prompt-tokens ${length} --reused ${reusedCounts.join(",")}\` (${fmt((performance.now() - started) / 1000, 0)} s). Generated 60 MB q8_0 model, CPU, ${testThreads()} thread(s), context ${local.contextSize} (the model's own), batch ${batch}; a ${length}-token prompt whose first k tokens the sequence already holds (the previous request's prefix, followed by 64 tokens of its own); time to the first token, median of ${runs} rounds after one warm-up, the two sides alternating. *Hotpath*: the engine's generate (the tokens up to the next multiple of 256 evaluated as a batch of their own when the rest spans more than one batch: daemon/engine/prefix/alignment.ts); *direct*: node-llama-cpp evaluating the rest right after the prefix, in batches of ${batch} from there (the engine before this change). *Fresh*: the whole ${length}-token prompt on an empty sequence, ${fmt(med("fresh"), 0)} ms.
Machine: ${machineDescription()}; at the start: ${loadAtStart}.

| reused k | Hotpath ms | direct ms | Hotpath ÷ direct | Hotpath ÷ fresh | direct ÷ fresh |
|---|---|---|---|---|---|
${rows.join("\n")}`;
    console.log(body);
    writeSection("prompt alignment", body);
  } finally {
    await engine.dispose();
  }
}
