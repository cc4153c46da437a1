// `npm run bench -- threads [--runs N] [--models stories,60MB,500MB]`: the default thread setting (auto: calibrated on
// first load) against every fixed thread count, per model, side by side on one loaded model: prefill and decode
// tokens/s of direct node-llama-cpp contexts with a fixed count vs the context Hotpath's auto setting configured.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { llamaRuntime } from "../../daemon/engine/llama.js";
import { LocalModel } from "../../daemon/engine/model.js";
import { contextThreads, describeThreads } from "../../daemon/engine/threads/choose.js";
import { threadCandidates } from "../../daemon/engine/threads/calibrate.js";
import { ThreadChoices } from "../../daemon/engine/threads/remembered.js";
import { BENCH_PARAMS, generatedModelPath, sharedModelPath } from "../fixtures/models.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

interface Sample {
  prefillTps: number;
  decodeTps: number;
}

const MODELS: Record<string, { label: string; path: () => string; decode: number }> = {
  stories: {
    label: "stories260K (real, 1.2 MB)",
    path: () => sharedModelPath("stories260K.gguf") ?? generatedModelPath(),
    decode: 64,
  },
  "60MB": { label: "generated 60 MB q8_0", path: () => generatedModelPath(BENCH_PARAMS), decode: 64 },
  "500MB": {
    label: "generated 500 MB q8_0",
    path: () => generatedModelPath({ seed: 1, targetBytes: 500e6, type: "q8_0" }),
    decode: 32,
  },
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "9" },
      models: { type: "string", default: "stories,60MB,500MB" },
      "prompt-tokens": { type: "string", default: "241" },
    },
  });
  const runs = Number(values.runs);
  const promptTokens = Number(values["prompt-tokens"]);
  const names = values.models.split(",").filter(Boolean);
  const fixed = threadCandidates(contextThreads("auto"));
  const sections: string[] = [];
  const verdicts: string[] = [];
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}; use ${Object.keys(MODELS).join(", ")}`);
    const path = spec.path();
    const dir = mkdtempSync(join(tmpdir(), "hotpath-threads-"));
    const llama = await llamaRuntime("off", contextThreads("auto"));
    const loadStart = performance.now();
    const local = await LocalModel.load(llama, {
      alias: name,
      path,
      contextSize: 1024,
      sequences: 1,
      threads: "auto",
      threadChoices: new ThreadChoices(join(dir, "threads.json")),
      maxQueued: 1,
      gpuLayers: 0,
    });
    const loadMs = performance.now() - loadStart;
    console.log(`${name}: ${describeThreads(local.threads)} (load + calibration ${Math.round(loadMs)} ms)`);
    const contexts = new Map<string, { context?: LlamaContext; sequence: LlamaContextSequence }>();
    for (const n of fixed) {
      const context = await local.model.createContext({ contextSize: 1024, sequences: 1, threads: n });
      contexts.set(`${n}`, { context, sequence: context.getSequence() });
    }
    contexts.set("auto", { sequence: local.pool.sequences[0] });
    const samples = new Map<string, Sample[]>([...contexts.keys()].map((k) => [k, []]));
    const promptFor = (r: number) => {
      const words = Array.from({ length: promptTokens }, (_, i) => `w${(r * 7919 + i * 31) % 997}`).join(" ");
      return local.model.tokenize(words).slice(0, promptTokens);
    };
    try {
      // Every setting goes first, and follows each other one, equally often (rotation, then the rotation reversed).
      const keys = [...contexts.keys()];
      for (let r = 0; r <= runs; r++) {
        const rotated = keys.map((_, i) => keys[(i + r) % keys.length]);
        for (const k of Math.floor(r / keys.length) % 2 ? rotated.reverse() : rotated) {
          const s = await measure(contexts.get(k)!.sequence, promptFor(r), spec.decode);
          if (r > 0) samples.get(k)!.push(s); // run 0 warms up
          await settle();
        }
      }
    } finally {
      for (const c of contexts.values()) await c.context?.dispose();
      await local.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    const med = (k: string, f: keyof Sample) => median(samples.get(k)!.map((s) => s[f]));
    const bestPrefill = Math.max(...fixed.map((n) => med(`${n}`, "prefillTps")));
    const bestDecode = Math.max(...fixed.map((n) => med(`${n}`, "decodeTps")));
    const rows = [...fixed.map((n) => `${n}`), "auto"].map((k) => {
      const label =
        k === "auto" ? `**auto** (prefill ${local.threads.prefill}, decode ${local.threads.decode})` : `fixed ${k}`;
      return `| ${spec.label} | ${label} | ${fmt(med(k, "prefillTps"))} | ${fmt(med(k, "prefillTps") / bestPrefill, 2)}× | ${fmt(med(k, "decodeTps"))} | ${fmt(med(k, "decodeTps") / bestDecode, 2)}× |`;
    });
    sections.push(...rows);
    const p = med("auto", "prefillTps") / bestPrefill;
    const d = med("auto", "decodeTps") / bestDecode;
    verdicts.push(
      `${spec.label}: auto decode ${fmt(d, 2)}× (target ≥ 0.95: ${d >= 0.95 ? "met" : "not met"}), prefill ${fmt(p, 2)}× (target ≥ 0.85: ${p >= 0.85 ? "met" : "not met"}) of the best fixed count; calibration + load ${Math.round(loadMs)} ms, other processes' CPU share meanwhile ${local.threads.othersShare ?? "n/a"}${local.threads.provisional ? " (not remembered)" : ""} (${local.threads.measurements?.map((m) => `${m.threads} thread(s): prefill ${m.prefillTokensPerS}, decode ${m.decodeTokensPerS} tok/s`).join("; ")})`,
    );
    console.log(rows.join("\n"));
  }
  const body = `Default \`--threads auto\` vs every fixed thread count, CPU only, ${promptTokens}-token prompt then 64 tokens decoded (32 for the 500 MB model), median of ${runs} runs after one warm-up, the settings rotating on one loaded model (each goes first and follows each other equally often, with a pause between so no context starts while another still holds its threads) (direct node-llama-cpp contexts with a fixed count; auto = the context Hotpath configured after a fresh calibration, with prefill and decode counts set per batch). Rerun: \`npm run bench -- threads --runs ${runs} --models ${names.join(",")}\`.
Machine: ${machineDescription()}.

| model | threads | prefill tok/s | vs best fixed | decode tok/s | vs best fixed |
|---|---|---|---|---|---|
${sections.join("\n")}

${verdicts.map((v) => `- ${v}`).join("\n")}

The calibration (engine/threads) measures each candidate count (1, 2, 4 … cores) on the model's own context before it serves, as serving runs: a prompt batch sized to ~60 ms on one thread, then up to 16 decode steps right after it, each decode count following each prefill count over the rounds (so a change of count between the phases is in the measurement), the median of each count's rounds kept (not its best: two threads decoding a small model can have one lucky round as fast as one thread); it picks the fastest count per phase (the fewest threads within 3%) and remembers it per model file and CPU in \`<data-dir>/threads.json\`. node-llama-cpp 3.22.1 has one thread count per context (n_threads = n_threads_batch); Hotpath sets the count per batch (≤ 16 tokens: decode count, larger: prefill count), so prefill loses nothing to a decode-friendly choice. A calibration done on a busy machine favours fewer threads: it measures how much of the CPU other processes used meanwhile (/proc/stat less its own CPU time), and above a quarter its pick serves that load only and is not remembered; a model without a chat template no longer has the chat-template worker starting up beside its calibration. \`--threads N\` overrides it, deleting the file re-measures.`;
  console.log(body);
  writeSection("threads", body);
}

/**
 * Lets the context just measured give its threads back before the next one starts. node-llama-cpp reserves a
 * context's threads while it evaluates and frees them on a zero-delay timer after; a context that started its prompt in
 * the same turn was counted against that reservation (the Llama's ThreadsSplitter shares maxThreads among reserving
 * contexts) and got 1 thread instead of 2 for its whole prefill batch. The old order (forward, then reversed) gave
 * auto the stale neighbour in 2 of 5 runs and "fixed 2" in 3 of 5, so the medians showed auto prefilling 1.2–1.75×
 * faster than the same 2 threads fixed. The pause also lets llama.cpp's spinning threads park.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 25));
}

async function measure(sequence: LlamaContextSequence, prompt: Token[], decode: number): Promise<Sample> {
  await sequence.clearHistory();
  const t0 = performance.now();
  let first = 0;
  let n = 0;
  for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
    if (n === 0) first = performance.now();
    if (++n >= decode) break;
  }
  const end = performance.now();
  return { prefillTps: (prompt.length * 1000) / (first - t0), decodeTps: ((n - 1) * 1000) / (end - first) };
}
