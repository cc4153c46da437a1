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
import type { Priority } from "../../daemon/chat.js";
import { Engine } from "../../daemon/engine/engine.js";
import { generate, type GenerateResult } from "../../daemon/engine/generate.js";
import type { LocalModel } from "../../daemon/engine/model.js";
import type { ModelParams } from "../../daemon/engine/gguf/write.js";
import { generatedDraftPair, generatedModelPath, repoRoot, testThreads } from "../fixtures/models.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

/** 4 layers × 128 wide, f16, 8k context: big enough that prompt evaluation dominates, small enough for a 2-core box. */
const MODEL: ModelParams = { seed: 12, vocabSize: 1024, nLayer: 4, nEmbd: 128, type: "f16", contextLength: 8192 };
/** Token counting only (b): the smallest model that holds the context. */
const COUNT_MODEL: ModelParams = { seed: 7, vocabSize: 1024, nLayer: 2, nEmbd: 64, type: "f16", contextLength: 4096 };

const log = (s: string) => process.stderr.write(s + "\n");

function engineFor(o: { kvDir?: string; sequences?: number; contextSize?: number } = {}): Engine {
  return new Engine({
    gpu: "off", threads: testThreads(), contextSize: o.contextSize ?? 8192, sequences: o.sequences ?? 4, maxQueued: 64,
    modelsDir: tmpdir(), showProgress: false, log: () => {}, kvDir: o.kvDir, kvBudgetBytes: o.kvDir ? 2 ** 31 : 0,
  });
}

async function gen(local: LocalModel, tokens: Token[], maxTokens: number, priority: Priority = "interactive"): Promise<GenerateResult> {
  const it = generate(local.model, local.pool, local.contextSize, { tokens, maxTokens, temperature: 0, stopStrings: [], stopTokenSequences: [], priority, signal: new AbortController().signal }, local.speculation);
  for (;;) {
    const step = await it.next();
    if (step.done) return step.value;
  }
}

async function clearAll(local: LocalModel): Promise<void> {
  for (const s of local.pool.sequences) await s.clearHistory();
}

/** Deterministic ordinary-word token ids (past the specials and byte tokens of the generated vocabulary). */
function synthetic(n: number, seed: number): Token[] {
  const out: Token[] = [];
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push((300 + (x % 700)) as Token);
  }
  return out;
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
      let prompt = synthetic(2000, 100 + rep);
      for (let step = 0; step < steps; step++) {
        if (mode === "cold") await clearAll(local);
        const r = await gen(local, prompt, 8);
        (mode === "hotpath" ? hot : cold)[step].push(r.timings.ttft_ms);
        // Next step: the answer, then a tool result, appended to the history.
        prompt = [...prompt, ...r.tokens, ...synthetic(120, 1000 * rep + step)];
      }
      log(`a) rep ${rep} ${mode} done (${prompt.length} tokens at the end)`);
    }
  }
  await engine.dispose();
  const rows = hot.map((h, i) => `| ${i + 1} | ${fmt(median(cold[i]))} | ${fmt(median(h))} | ${fmt(median(h) / median(cold[i]), 3)} |`);
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

function loadTraces(dir: string, names: string[], perTrace: number, tokensPerBlock: number, maxTokens: number): { name: string; prompts: Token[][] }[] {
  return names.map((name, t) => {
    const trace = JSON.parse(readFileSync(join(dir, name), "utf8")) as { requests: TraceRequest[] };
    const requests = trace.requests.filter((r) => Array.isArray(r.hash_ids) && r.hash_ids.length > 0).slice(0, perTrace);
    const blockTokens = new Map<number, Token[]>();
    const prompts = requests.map((r) => {
      const tokens: Token[] = [];
      for (const id of r.hash_ids) {
        if (tokens.length + tokensPerBlock > maxTokens) break;
        let block = blockTokens.get(id);
        if (!block) blockTokens.set(id, (block = synthetic(tokensPerBlock, (t + 1) * 1_000_003 + id)));
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
  if (!existsSync(dir)) return "### b) kv-cache-replay\n\nSkipped: ../shared/fixtures/traces/kv-cache-replay is not present in this checkout.";
  const names = ["trace_0011.json", "trace_0019.json", "trace_0057.json", "trace_0106.json"];
  const tokensPerBlock = 4;
  const traces = loadTraces(dir, names, 15, tokensPerBlock, 3600);
  const results: string[] = [];
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
      const r = await gen(local, p, 1);
      reused += r.cachedTokens;
      possible += best;
      prompt += p.length;
    }
    await engine.dispose();
    results.push(`| ${mode} | ${order.length} | ${prompt} | ${possible} | ${reused} | **${fmt(reused / possible, 3)}** |`);
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
    "Target ≥ 0.9.",
  ].join("\n");
}

async function benchC(): Promise<string> {
  const restarted: number[] = [];
  const cold: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const kvDir = mkdtempSync(join(tmpdir(), "hotpath-bench-kv-"));
    const prefix = synthetic(2000, 500 + rep);
    const first = engineFor({ kvDir });
    first.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
    const a = (await first.ready("m")).model;
    await gen(a, [...prefix, ...synthetic(20, 1)], 4);
    await gen(a, [...prefix, ...synthetic(20, 2)], 4);
    const deadline = Date.now() + 60_000;
    const hasSnapshot = () => readdirSync(kvDir).some((m) => readdirSync(join(kvDir, m)).some((f) => f.endsWith(".json")));
    while (!hasSnapshot() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await first.dispose();
    const second = engineFor({ kvDir });
    second.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
    const b = (await second.ready("m")).model;
    const warm = await gen(b, [...prefix, ...synthetic(20, 3)], 4);
    const fresh = await gen(b, [...synthetic(2000, 900 + rep), ...synthetic(20, 3)], 4);
    restarted.push(warm.timings.ttft_ms);
    cold.push(fresh.timings.ttft_ms);
    log(`c) rep ${rep}: snapshot ${warm.timings.ttft_ms} ms (reused ${warm.cachedTokens}) vs cold ${fresh.timings.ttft_ms} ms`);
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

async function benchD(): Promise<string> {
  const rows: string[] = [];
  const n = 96;
  let adaptiveLine = "";
  for (const epsilon of [0, 0.2, 1]) {
    const pair = generatedDraftPair({ seed: 31, vocabSize: 1024, nEmbd: 256, draftLayers: 1, extraLayers: 7, type: "f16", epsilon });
    const engine = engineFor({ contextSize: 1024, sequences: 1 });
    engine.add([{ alias: "plain", source: pair.target }, { alias: "spec", source: pair.target, draft: pair.draft }]);
    const plain = (await engine.ready("plain")).model;
    const spec = (await engine.ready("spec")).model;
    spec.speculation.mode = "on";
    const plainSpeed: number[] = [];
    const specSpeed: number[] = [];
    let drafted = 0;
    let accepted = 0;
    for (let rep = 0; rep < 5; rep++) {
      const prompt = synthetic(32, 700 + rep);
      // Alternate which goes first: the machine's load drifts.
      const [p, s] = rep % 2 ? [await gen(plain, prompt, n), await gen(spec, prompt, n)] : (await Promise.resolve([await gen(spec, prompt, n), await gen(plain, prompt, n)])).reverse();
      plainSpeed.push(p.timings.predicted_per_second);
      specSpeed.push(s.timings.predicted_per_second);
      drafted += s.timings.draft_n ?? 0;
      accepted += s.timings.draft_n_accepted ?? 0;
    }
    const speedup = median(specSpeed) / median(plainSpeed);
    rows.push(`| ${epsilon} | ${fmt(accepted / Math.max(1, drafted), 2)} | ${fmt(median(plainSpeed))} | ${fmt(median(specSpeed))} | **${fmt(speedup, 2)}×** |`);
    log(`d) epsilon ${epsilon}: acceptance ${accepted}/${drafted}, ${fmt(median(plainSpeed))} → ${fmt(median(specSpeed))} tok/s`);
    if (epsilon === 1) {
      spec.speculation.mode = "auto";
      spec.speculation.reset();
      const total = { auto: { n: 0, ms: 0 }, plain: { n: 0, ms: 0 } };
      let onCount = 0;
      const requests = 30;
      for (let i = 0; i < requests; i++) {
        const prompt = synthetic(32, 800 + i);
        const [s, p] = i % 2 ? [await gen(spec, prompt, n), await gen(plain, prompt, n)] : (await Promise.resolve([await gen(plain, prompt, n), await gen(spec, prompt, n)])).reverse();
        if ((s.timings.draft_n ?? 0) > 0) onCount++;
        if (i >= 2) {
          total.auto.n += s.timings.predicted_n - 1;
          total.auto.ms += s.timings.predicted_ms;
          total.plain.n += p.timings.predicted_n - 1;
          total.plain.ms += p.timings.predicted_ms;
        }
      }
      const ratio = total.auto.n / total.auto.ms / (total.plain.n / total.plain.ms);
      adaptiveLine = `Adaptive switch on the disagreeing pair (epsilon 1), ${requests} requests of ${n} tokens, order alternated: speculation ran on ${onCount} of ${requests} (2 warm-up, then probes); aggregate decode speed of requests 3–${requests} vs plain **${fmt(ratio, 2)}×** (target: never more than 5% slower — ${ratio >= 0.95 ? "met" : "not met"}); switch state: ${JSON.stringify(spec.speculation.stats())}.`;
    }
    await engine.dispose();
  }
  return [
    "### d) Speculative decoding (target 8 layers × 256, draft = its first layer; epsilon scales the 7 extra layers)",
    "",
    "| epsilon | acceptance | plain tok/s | speculative tok/s | speedup |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    adaptiveLine,
  ].join("\n");
}

async function benchE(): Promise<string> {
  const engine = engineFor({ sequences: 4 });
  engine.add([{ alias: "m", source: generatedModelPath(MODEL) }]);
  const local = (await engine.ready("m")).model;
  const idle: number[] = [];
  const busy: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    idle.push((await gen(local, synthetic(400, 3000 + rep), 4)).timings.ttft_ms);
    const background = Array.from({ length: 4 }, (_, i) => gen(local, synthetic(64, 4000 + rep * 10 + i), 400, "background"));
    await new Promise((r) => setTimeout(r, 1500)); // background decoding under way
    busy.push((await gen(local, synthetic(400, 5000 + rep), 4)).timings.ttft_ms);
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
    `CPU only, ${testThreads()} thread(s), generated random-weight models (\`daemon/engine/gguf\`), temperature 0. Machine: ${machineDescription()}.`,
    "",
    ...sections.map((s) => s + "\n"),
  ].join("\n");
  if (parts.length === 5) writeSection("engine", body);
  else process.stdout.write(body + "\n");
}
