// `npm run bench -- engine [a b c d e]`: the local engine side by side on generated models (CPU, test thread count):
//   a) 10-step agent replay: TTFT per step, Hotpath prefix reuse vs a fresh sequence per request
//   b) kv-cache-replay traces (../shared/fixtures/traces/kv-cache-replay): reused tokens / theoretical maximum
//   c) restart with a snapshotted prefix: TTFT vs cold
//   d) speculative decoding on a draft/target pair: decode tok/s vs acceptance; the adaptive switch on a bad pair
//   e) interactive TTFT with 4 background generations running vs idle
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import type { Engine } from "../../daemon/engine/engine.js";
import type { LocalModel } from "../../daemon/engine/model.js";
import type { ModelParams } from "../../daemon/engine/gguf/write.js";
import { generateAll, testEngine } from "../fixtures/engine.js";
import { generatedDraftPair, generatedModelPath, repoRoot, testThreads } from "../fixtures/models.js";
import { syntheticTokens } from "../fixtures/prompts.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

/** 4 layers × 128 wide, f16, 8k context: big enough that prompt evaluation dominates, small enough for a 2-core box. */
const MODEL: ModelParams = { seed: 12, vocabSize: 1024, nLayer: 4, nEmbd: 128, type: "f16", contextLength: 8192 };
/** Token counting only (b): the smallest model that holds the context. */
const COUNT_MODEL: ModelParams = { seed: 7, vocabSize: 1024, nLayer: 2, nEmbd: 64, type: "f16", contextLength: 4096 };

const log = (s: string) => process.stderr.write(s + "\n");

function engineFor(o: { kvDir?: string; sequences?: number; contextSize?: number } = {}): Engine {
  const { kvDir, sequences = 4, contextSize = 8192 } = o;
  return testEngine({ contextSize, sequences, maxQueued: 64, kvDir, kvBudgetBytes: kvDir ? 2 ** 31 : 0 });
}

async function clearAll(local: LocalModel): Promise<void> {
  for (const s of local.pool.sequences) await s.clearHistory();
}

async function benchA(): Promise<string> {
  const engine = engineFor();
  engine.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
  const local = (await engine.ready("m")).model;
  const steps = 10;
  const reps = 2;
  const hot: number[][] = Array.from({ length: steps }, () => []);
  const cold: number[][] = Array.from({ length: steps }, () => []);
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ["hotpath", "cold"] as const) {
      await clearAll(local);
      let prompt = syntheticTokens(2000, 100 + rep);
      for (let step = 0; step < steps; step++) {
        if (mode === "cold") await clearAll(local);
        const r = await generateAll(local, prompt, 8);
        (mode === "hotpath" ? hot : cold)[step].push(r.timings.ttft_ms);
        // Next step: the answer, then a tool result, appended to the history.
        prompt = [...prompt, ...r.tokens, ...syntheticTokens(120, 1000 * rep + step)];
      }
      log(`a) rep ${rep} ${mode} done (${prompt.length} tokens at the end)`);
    }
  }
  await engine.dispose();
  const rows = hot.map(
    (h, i) => `| ${i + 1} | ${fmt(median(cold[i]))} | ${fmt(median(h))} | ${fmt(median(h) / median(cold[i]), 3)} |`,
  );
  const later = median(hot.slice(1).map((h, i) => median(h) / median(cold[i + 1])));
  const vsFirst = median(hot.slice(1).map((h) => median(h))) / median(cold[0]);
  return [
    `### a) 10-step agent replay (2,000-token static prefix + growing history, ${reps} runs per mode)`,
    "",
    "| step | fresh sequence TTFT ms | Hotpath TTFT ms | ratio |",
    "|---|---|---|---|",
    ...rows,
    "",
    `Steps 2–10: median ratio to the same step cold **${fmt(later, 3)}×**; median Hotpath TTFT of steps 2–10 over the cold first step **${fmt(vsFirst, 3)}×** (target ≤ 0.15×: ${later <= 0.15 ? "met" : "not met"}).`,
  ].join("\n");
}

interface TraceRequest {
  hash_ids: number[];
}

function loadTraces(
  dir: string,
  names: string[],
  perTrace: number,
  tokensPerBlock: number,
  maxTokens: number,
): { name: string; prompts: Token[][] }[] {
  return names.map((name, t) => {
    const trace = JSON.parse(readFileSync(join(dir, name), "utf8")) as { requests: TraceRequest[] };
    const requests = trace.requests
      .filter((r) => Array.isArray(r.hash_ids) && r.hash_ids.length > 0)
      .slice(0, perTrace);
    const blockTokens = new Map<number, Token[]>();
    const prompts = requests.map((r) => {
      const tokens: Token[] = [];
      for (const id of r.hash_ids) {
        if (tokens.length + tokensPerBlock > maxTokens) break;
        let block = blockTokens.get(id);
        if (!block) blockTokens.set(id, (block = syntheticTokens(tokensPerBlock, (t + 1) * 1_000_003 + id)));
        tokens.push(...block);
      }
      return tokens;
    });
    return { name, prompts };
  });
}

function lcp(a: Token[], b: Token[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

async function benchB(): Promise<string> {
  const dir = join(repoRoot, "..", "shared", "fixtures", "traces", "kv-cache-replay", "traces");
  if (!existsSync(dir))
    return "### b) kv-cache-replay\n\nSkipped: ../shared/fixtures/traces/kv-cache-replay is not present in this checkout.";
  const names = ["trace_0011.json", "trace_0019.json", "trace_0057.json", "trace_0106.json"];
  const tokensPerBlock = 4;
  const traces = loadTraces(dir, names, 15, tokensPerBlock, 3600);
  const results: string[] = [];
  let worst = 1;
  for (const mode of ["alone", "4 interleaved"] as const) {
    const engine = engineFor({ contextSize: 4096, sequences: 4 });
    engine.add([{ alias: "m", source: generatedModelPath(COUNT_MODEL) }]);
    const local = (await engine.ready("m")).model;
    const order: { trace: number; i: number }[] = [];
    if (mode === "alone") traces.forEach((tr, t) => tr.prompts.forEach((_, i) => order.push({ trace: t, i })));
    else for (let i = 0; i < 15; i++) traces.forEach((tr, t) => i < tr.prompts.length && order.push({ trace: t, i }));
    let reused = 0;
    let possible = 0;
    let prompt = 0;
    for (const { trace, i } of order) {
      const p = traces[trace].prompts[i];
      // Theoretical maximum: the longest common prefix with any earlier request (block ids are per trace), less the
      // last prompt token, which is always evaluated for its logits.
      const best = Math.min(p.length - 1, Math.max(0, ...traces[trace].prompts.slice(0, i).map((q) => lcp(p, q))));
      const r = await generateAll(local, p, 1);
      reused += r.cachedTokens;
      possible += best;
      prompt += p.length;
    }
    await engine.dispose();
    results.push(
      `| ${mode} | ${order.length} | ${prompt} | ${possible} | ${reused} | **${fmt(reused / possible, 3)}** |`,
    );
    worst = Math.min(worst, reused / possible);
    log(`b) ${mode}: ${reused}/${possible}`);
  }
  return [
    `### b) kv-cache-replay (Weka Claude Code traces ${names.map((n) => n.replace(/\.json$/, "")).join(", ")}; first 15 requests each)`,
    "",
    `Each 64-token \`hash_ids\` block → ${tokensPerBlock} deterministic synthetic tokens (same id, same tokens), prompts cut at 3,600 tokens to fit a 4,096 context (cutting keeps every common prefix up to the cut); 4 sequences.`,
    "",
    "| order | requests | prompt tokens | theoretical max reusable | reused | ratio |",
    "|---|---|---|---|---|---|",
    ...results,
    "",
    `Target ≥ 0.9: ${worst >= 0.9 ? "met" : "not met"}. Where the small interleaved loss comes from (four conversations on four sequences) has not been analysed.`,
  ].join("\n");
}

async function benchC(): Promise<string> {
  const restarted: number[] = [];
  const cold: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const kvDir = mkdtempSync(join(tmpdir(), "hotpath-bench-kv-"));
    const prefix = syntheticTokens(2000, 500 + rep);
    const first = engineFor({ kvDir });
    first.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
    const a = (await first.ready("m")).model;
    await generateAll(a, [...prefix, ...syntheticTokens(20, 1)], 4);
    await generateAll(a, [...prefix, ...syntheticTokens(20, 2)], 4);
    const deadline = Date.now() + 60_000;
    const hasSnapshot = () =>
      readdirSync(kvDir).some((m) => readdirSync(join(kvDir, m)).some((f) => f.endsWith(".json")));
    while (!hasSnapshot() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await first.dispose();
    const second = engineFor({ kvDir });
    second.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
    const b = (await second.ready("m")).model;
    const warm = await generateAll(b, [...prefix, ...syntheticTokens(20, 3)], 4);
    const fresh = await generateAll(b, [...syntheticTokens(2000, 900 + rep), ...syntheticTokens(20, 3)], 4);
    restarted.push(warm.timings.ttft_ms);
    cold.push(fresh.timings.ttft_ms);
    log(
      `c) rep ${rep}: snapshot ${warm.timings.ttft_ms} ms (reused ${warm.cachedTokens}) vs cold ${fresh.timings.ttft_ms} ms`,
    );
    await second.dispose();
    rmSync(kvDir, { recursive: true, force: true });
  }
  const ratio = median(restarted.map((r, i) => r / cold[i]));
  return [
    "### c) Restart with a snapshotted 2,000-token prefix (3 runs; snapshot written by the first daemon, loaded by a fresh one)",
    "",
    `First request after restart: TTFT median ${fmt(median(restarted))} ms vs cold ${fmt(median(cold))} ms on the same fresh engine: **${fmt(ratio, 3)}×** (target ≤ 0.25: ${ratio <= 0.25 ? "met" : "not met"}).`,
  ].join("\n");
}

/**
 * A target big enough to be limited by memory bandwidth when decoding one token (92 MB q8_0: 12 layers × 768) and a
 * 1-layer draft sharing its first layer, embeddings and head (9 MB). Measured on one thread: one target token 10.9 ms,
 * a batch of 8 35.9 ms, a draft token 1.2 ms — the room speculation has on a CPU.
 */
const PAIR = { seed: 31, vocabSize: 1024, nEmbd: 768, draftLayers: 1, extraLayers: 11, type: "q8_0" } as const;

async function benchD(): Promise<string> {
  const rows: string[] = [];
  const n = 128;
  const reps = 5;
  let adaptiveLine = "";
  let mismatches = 0;
  const epsilons = [0, 0.02, 0.05, 0.1, 1];
  for (const epsilon of epsilons) {
    const pair = generatedDraftPair({ ...PAIR, epsilon });
    const engine = engineFor({ contextSize: 1024, sequences: 1 });
    engine.add([
      { alias: "plain", source: pair.target },
      { alias: "draft", source: pair.target, draft: pair.draft },
      { alias: "lookup", source: pair.target, draft: "lookup" },
    ]);
    const plain = (await engine.ready("plain")).model;
    const variants = { draft: (await engine.ready("draft")).model, lookup: (await engine.ready("lookup")).model };
    for (const v of Object.values(variants)) v.speculation.mode = "on";
    const speed: Record<string, number[]> = { plain: [], draft: [], lookup: [] };
    const counts = { draft: { drafted: 0, accepted: 0 }, lookup: { drafted: 0, accepted: 0 } };
    const outputs: Record<string, string> = {};
    for (let rep = 0; rep < reps; rep++) {
      const prompt = syntheticTokens(32, 700 + rep);
      // Rotate the order: the machine's load drifts.
      const order = (["plain", "draft", "lookup"] as const).map((_, i, a) => a[(i + rep) % a.length]);
      for (const name of order) {
        const r = await generateAll(name === "plain" ? plain : variants[name], prompt, n);
        speed[name].push(r.timings.predicted_per_second);
        outputs[name] = r.tokens.join();
        if (name !== "plain") {
          counts[name].drafted += r.timings.draft_n ?? 0;
          counts[name].accepted += r.timings.draft_n_accepted ?? 0;
        }
      }
      // Temperature 0: speculation must not change a single token.
      if (outputs.draft !== outputs.plain || outputs.lookup !== outputs.plain) mismatches++;
    }
    const ratio = (name: "draft" | "lookup") => median(speed[name].map((x, i) => x / speed.plain[i]));
    const acceptance = (name: "draft" | "lookup") => counts[name].accepted / Math.max(1, counts[name].drafted);
    rows.push(
      `| ${epsilon} | ${fmt(median(speed.plain))} | ${fmt(acceptance("draft"), 2)} | ${fmt(median(speed.draft))} | **${fmt(ratio("draft"), 2)}×** | ${fmt(acceptance("lookup"), 2)} | ${fmt(median(speed.lookup))} | ${fmt(ratio("lookup"), 2)}× |`,
    );
    log(
      `d) epsilon ${epsilon}: plain ${fmt(median(speed.plain))} tok/s; draft ${JSON.stringify(counts.draft)} ${fmt(ratio("draft"), 2)}x; lookup ${JSON.stringify(counts.lookup)} ${fmt(ratio("lookup"), 2)}x`,
    );
    if (epsilon === 1) adaptiveLine = await adaptiveSwitch(plain, variants.draft, n);
    await engine.dispose();
  }
  return [
    "### d) Speculative decoding (target 12 layers × 768 q8_0, 92 MB; draft = its first layer, 9 MB; epsilon scales the 11 extra layers)",
    "",
    `${n} tokens decoded per request, ${reps} rotations of plain / draft model / prompt lookup on the same prompt; speedup = median of the per-rotation decode tok/s ratios. Outputs identical to plain decoding (token for token) in ${reps * epsilons.length - mismatches} of ${reps * epsilons.length} rotations.`,
    "",
    "| epsilon | plain tok/s | draft acceptance | draft tok/s | draft speedup | lookup acceptance | lookup tok/s | lookup speedup |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    adaptiveLine,
    "",
    "Why it wins and where it cannot: on one CPU thread this target decodes one token in ~11 ms (memory-bound) while a batch of 8 costs ~36 ms and a draft token ~1.2 ms, so a fully accepted draft of 7 yields 8 tokens for ~45 ms. Hotpath drafts k tokens (k adapts: +2 after a fully accepted draft, −1 after a rejection, 1–16) and verifies them in one target batch with its own loop over `controlledEvaluate` (node-llama-cpp 3.22.1's token-predictor path accepts at most one drafted token per batch). Below roughly 0.55 acceptance even k = 1 costs more than it saves here (a 2-token batch costs 1.65× one token), so those rows lose; the adaptive switch measures both modes per model and decodes plainly there (last paragraph). Prompt lookup on these random-weight models only catches their repetition loops, so it stays near parity; it is meant for copy-heavy output (code edits, quoting tool results). Temperature > 0 speculates too (each emitted token is the target's own sample). Requests with a grammar (json_schema, forced tool calls) and tools with tool_choice auto (node-llama-cpp's function-calling loop) decode plainly.",
  ].join("\n");
}

/** The adaptive switch on a disagreeing pair: aggregate decode speed of the auto mode vs plain, requests alternated. */
async function adaptiveSwitch(plain: LocalModel, spec: LocalModel, n: number): Promise<string> {
  spec.speculation.mode = "auto";
  spec.speculation.reset();
  const total = { auto: { n: 0, ms: 0 }, plain: { n: 0, ms: 0 } };
  let onCount = 0;
  const requests = 40;
  const warmup = 6; // per mode one cold request and two measured ones before the switch decides
  for (let i = 0; i < requests; i++) {
    const prompt = syntheticTokens(32, 800 + i);
    const [s, p] =
      i % 2
        ? [await generateAll(spec, prompt, n), await generateAll(plain, prompt, n)]
        : (await Promise.resolve([await generateAll(plain, prompt, n), await generateAll(spec, prompt, n)])).reverse();
    if ((s.timings.draft_n ?? 0) > 0) onCount++;
    if (i >= warmup) {
      total.auto.n += s.timings.predicted_n - 1;
      total.auto.ms += s.timings.predicted_ms;
      total.plain.n += p.timings.predicted_n - 1;
      total.plain.ms += p.timings.predicted_ms;
    }
  }
  const ratio = total.auto.n / total.auto.ms / (total.plain.n / total.plain.ms);
  const { on, off } = spec.speculation.stats();
  return `Adaptive switch on the disagreeing pair (epsilon 1), ${requests} requests of ${n} tokens alternated with plain: speculation ran on ${onCount} of ${requests} (${warmup} warm-up, then probes); aggregate decode speed of requests ${warmup + 1}–${requests} vs plain **${fmt(ratio, 2)}×** (target: never more than 5% slower — ${ratio >= 0.95 ? "met" : "not met"}); measured on ${fmt(on.tokensPerSecond)} tok/s vs off ${fmt(off.tokensPerSecond)} tok/s.`;
}

async function benchE(): Promise<string> {
  const engine = engineFor({ sequences: 4 });
  engine.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
  const local = (await engine.ready("m")).model;
  const idle: number[] = [];
  const busy: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    idle.push((await generateAll(local, syntheticTokens(400, 3000 + rep), 4)).timings.ttft_ms);
    const background = Array.from({ length: 4 }, (_, i) =>
      generateAll(local, syntheticTokens(64, 4000 + rep * 10 + i), 400, { priority: "background" }),
    );
    await new Promise((r) => setTimeout(r, 1500)); // background decoding under way
    busy.push((await generateAll(local, syntheticTokens(400, 5000 + rep), 4)).timings.ttft_ms);
    await Promise.all(background);
    log(`e) rep ${rep}: idle ${idle.at(-1)} ms, with background ${busy.at(-1)} ms`);
  }
  await engine.dispose();
  const ratio = median(busy) / median(idle);
  return [
    "### e) Interactive TTFT (400-token prompt) with 4 background generations running vs idle (4 sequences, 3 runs)",
    "",
    `Idle ${fmt(median(idle))} ms, with background ${fmt(median(busy))} ms: **${fmt(ratio, 2)}×** (target ≤ 1.2: ${ratio <= 1.2 ? "met" : "not met"}).`,
  ].join("\n");
}

export async function run(args: string[]): Promise<void> {
  const parts = args.length ? args : ["a", "b", "c", "d", "e"];
  const benches: Record<string, () => Promise<string>> = { a: benchA, b: benchB, c: benchC, d: benchD, e: benchE };
  const sections: string[] = [];
  for (const p of parts) {
    const started = performance.now();
    const text = await benches[p]();
    log(text);
    sections.push(text + `\n\n(${fmt((performance.now() - started) / 1000, 0)} s)`);
  }
  const body = [
    `All parts run in-process on the real engine (\`daemon/engine\`: pool, generate, snapshots, speculation), CPU only, ${testThreads()} thread(s), generated random-weight llama models (\`daemon/engine/gguf\`), temperature 0; each comparison side by side in one run on the same model, medians. Models: a, c, e 4 layers × 128 wide f16 with an 8k context; b 2 × 64 (only token counts matter); d see there. Machine: ${machineDescription()}. Rerun: \`npm run bench -- engine\` (or \`-- engine a c\` for parts; only a full run rewrites this section).`,
    "",
    ...sections.map((s) => s + "\n"),
  ].join("\n");
  if (parts.length === 5) writeSection("engine", body);
  else process.stdout.write(body + "\n");
}
