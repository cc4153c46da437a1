// `npm run bench -- gpu [--size 1.5GB] [--runs N]`: CPU vs GPU on one generated model, side by side — prefill and
// decode, prefix reuse, speculative decoding — through Hotpath's own engine, finishing in under 8 minutes on one GPU.
// The GPU half needs node-llama-cpp's prebuilt CUDA binaries from npm (@node-llama-cpp/linux-x64-cuda, an optional
// dependency of node-llama-cpp) and a CUDA device; without them it is skipped with the reason, and the CPU half runs
// on a small model (--size applies when a GPU is there), so the script is proven on any machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import type { CompletionRequest } from "../../daemon/api.js";
import type { ChatEvent } from "../../daemon/chat.js";
import { parseSize } from "../../daemon/cli/gen-model.js";
import { Engine } from "../../daemon/engine/engine.js";
import { generatedDraftPair } from "../fixtures/models.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

const DEADLINE_MS = 7.5 * 60_000;

type Done = Extract<ChatEvent, { type: "done" }>;

async function gpuAvailable(): Promise<{ ok: true; name: string } | { ok: false; why: string }> {
  try {
    const llama = await getLlama({ gpu: "cuda", build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
    const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
    const vram = await llama.getVramState().catch(() => undefined);
    await llama.dispose();
    return {
      ok: true,
      name: `${names.join(", ") || "CUDA device"}${vram ? `, ${(vram.total / 2 ** 30).toFixed(0)} GiB VRAM` : ""}`,
    };
  } catch (e) {
    return {
      ok: false,
      why: `no usable CUDA backend (${(e as Error).message.split("\n")[0]}); node-llama-cpp's prebuilt @node-llama-cpp/linux-x64-cuda binaries need an NVIDIA driver and device`,
    };
  }
}

async function complete(engine: Engine, alias: string, prompt: string, maxTokens: number): Promise<Done> {
  const request = { model: alias, prompt, max_tokens: maxTokens, temperature: 0 } as CompletionRequest;
  let done: Done | undefined;
  for await (const e of engine.complete(alias, request, {
    signal: new AbortController().signal,
    priority: "interactive",
  }))
    if (e.type === "done") done = e;
  return done!;
}

const words = (n: number, salt: number) =>
  Array.from({ length: n }, (_, i) => `w${(salt * 7919 + i * 31) % 997}`).join(" ");

export async function run(argv: string[]): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({
    args: argv,
    options: { size: { type: "string", default: "1.5GB" }, runs: { type: "string", default: "3" } },
  });
  const runs = Number(values.runs);
  const gpu = await gpuAvailable();
  const bytes = gpu.ok ? parseSize(values.size) : 60e6;
  console.log(gpu.ok ? `GPU: ${gpu.name}` : `GPU half skipped: ${gpu.why}`);
  // A draft/target pair: the target is the model measured; its first layer, as a separate file, is the draft.
  const genStart = performance.now();
  const pair = generatedDraftPair({
    seed: 5,
    targetBytes: bytes,
    type: "q8_0",
    draftLayers: 1,
    extraLayers: 11,
    epsilon: 0,
    contextLength: 4096,
  });
  const genS = (performance.now() - genStart) / 1000;
  console.log(
    `model ${pair.target} (${(bytes / 1e9).toFixed(2)} GB requested, generated/cached in ${genS.toFixed(0)} s)`,
  );
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-gpu-"));
  const devices = gpu.ok ? (["cpu", "gpu"] as const) : (["cpu"] as const);
  const engines = new Map<string, Engine>();
  for (const d of devices) {
    const engine = new Engine({
      gpu: d === "gpu" ? "cuda" : "off",
      threads: "auto",
      threadsFile: join(dir, "threads.json"),
      contextSize: 4096,
      sequences: 2,
      maxQueued: 8,
      modelsDir: dir,
      showProgress: false,
      loadWaitMs: 600_000,
      log: (l, m) => l !== "info" && console.log(`${d}: ${m}`),
    });
    engine.add([
      { alias: "plain", source: pair.target },
      { alias: "draft", source: pair.target, draft: pair.draft },
    ]);
    await engine.ready("plain");
    await engine.ready("draft");
    engines.set(d, engine);
  }
  const overTime = () => performance.now() - started > DEADLINE_MS;
  const rows = {
    prefill: new Map<string, number[]>(),
    decode: new Map<string, number[]>(),
    cold: new Map<string, number[]>(),
    warm: new Map<string, number[]>(),
    spec: new Map<string, number[]>(),
    plain: new Map<string, number[]>(),
  };
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  const notes: string[] = [];
  let promptTokens = 0;
  let prefixTokens = 0;
  try {
    for (let r = 0; r <= runs && !overTime(); r++) {
      for (const d of r % 2 ? [...devices].reverse() : devices) {
        const engine = engines.get(d)!;
        // Prefill + decode: ~500 fresh prompt tokens ("wNNN" words are ~4 tokens each), 64 decoded.
        const a = await complete(engine, "plain", words(128, r * 10 + (d === "gpu" ? 1 : 0)), 64);
        promptTokens = a.timings?.prompt_n ?? promptTokens;
        // Prefix reuse: a ~2,000-token prefix seen once (cold), then asked again with a new question (warm).
        const prefix = words(500, 500 + r * 10 + (d === "gpu" ? 1 : 0));
        const cold = await complete(engine, "plain", `${prefix} question one`, 8);
        prefixTokens = cold.timings?.prompt_n ?? prefixTokens;
        const warm = await complete(engine, "plain", `${prefix} question two`, 8);
        // Speculative decoding: the same prompt plainly and with the draft model, 128 tokens.
        const p = words(64, 900 + r);
        const plain = await complete(engine, "plain", p, 128);
        const spec = await complete(engine, "draft", p, 128);
        if (r === 0) continue; // warm-up
        const t = (x: Done) => x.timings as Required<NonNullable<Done["timings"]>>;
        push(rows.prefill, d, (t(a).prompt_n * 1000) / t(a).prompt_ms);
        push(rows.decode, d, t(a).predicted_per_second);
        push(rows.cold, d, t(cold).ttft_ms);
        push(rows.warm, d, t(warm).ttft_ms);
        push(rows.plain, d, t(plain).predicted_per_second);
        push(rows.spec, d, t(spec).predicted_per_second);
      }
    }
    if (overTime()) notes.push("stopped early at the 7.5-minute guard; fewer runs than asked");
  } finally {
    for (const e of engines.values()) await e.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (map: Map<string, number[]>, d: string) => median(map.get(d) ?? []);
  const line = (label: string, map: Map<string, number[]>, digits = 1) =>
    `| ${label} | ${devices.map((d) => fmt(m(map, d), digits)).join(" | ")} |${gpu.ok ? ` ${fmt(m(map, "gpu") / m(map, "cpu"), 2)}× |` : ""}`;
  const header = gpu.ok
    ? "| measurement | CPU | GPU | GPU / CPU |\n|---|---|---|---|"
    : "| measurement | CPU |\n|---|---|";
  const total = ((performance.now() - started) / 1000).toFixed(0);
  const body = `Generated q8_0 llama draft/target pair (\`generatedDraftPair\`: target 12 layers, ${(bytes / 1e9).toFixed(2)} GB requested; draft = its first layer, epsilon 0 so the draft agrees), Hotpath's engine (\`--threads auto\` on CPU, all layers offloaded on GPU), temperature 0, median of ${runs} runs after one warm-up, CPU and GPU alternating. Whole script: ${total} s (model generated or cached in ${genS.toFixed(0)} s).
Machine: ${machineDescription()}.
${gpu.ok ? `GPU: ${gpu.name} (node-llama-cpp prebuilt CUDA binaries from npm).` : `**GPU half skipped: ${gpu.why}.** This run proves the script on CPU only, on a ${(bytes / 1e6).toFixed(0)} MB model (\`--size\` applies when a GPU is present; default 1.5GB).`}

${header}
${line(`prefill tok/s (${promptTokens}-token prompt)`, rows.prefill)}
${line("decode tok/s (64 tokens)", rows.decode)}
${line(`TTFT ms, ${prefixTokens}-token prompt first seen`, rows.cold)}
${line("TTFT ms, same prefix with a new question (prefix reuse)", rows.warm)}
${line("decode tok/s, plain (128 tokens)", rows.plain)}
${line("decode tok/s, speculative with the 1-layer draft (128 tokens)", rows.spec)}

Prefix reuse: warm / cold TTFT ${devices.map((d) => `${d.toUpperCase()} ${fmt(m(rows.warm, d) / m(rows.cold, d), 3)}×`).join(", ")}. Speculative / plain decode: ${devices.map((d) => `${d.toUpperCase()} ${fmt(m(rows.spec, d) / m(rows.plain, d), 2)}×`).join(", ")}.${notes.length ? `\n${notes.join("; ")}.` : ""}`;
  console.log(body);
  writeSection("gpu", body);
}
