// `npm run bench -- gpu [--size 1.5GB] [--runs N] [--require-gpu]`: CPU vs GPU on one generated model, side by side —
// prefill and decode, prefix reuse, speculative decoding — through Hotpath's own engine, finishing in under 8 minutes
// on one GPU. The GPU half needs node-llama-cpp's prebuilt CUDA binaries from npm (@node-llama-cpp/linux-x64-cuda, an
// optional dependency of node-llama-cpp) and a CUDA device; without them it is skipped with the reason (or, with
// --require-gpu, the script stops there), and the CPU half runs on a small model, so the script is proven anywhere.
//
// Each device runs in a process of its own, driven round by round from this one: node-llama-cpp loads one backend's
// native binaries per process (the CPU and CUDA builds each bring a libggml-base.so of the same soname), so a CPU and
// a CUDA runtime side by side in one process would not be two clean measurements.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CompletionRequest } from "../../daemon/api.js";
import type { ChatEvent } from "../../daemon/chat.js";
import { parseSize } from "../../daemon/cli/gen-model.js";
import { Engine } from "../../daemon/engine/engine.js";
import { checkGpuInChild, type GpuCheck } from "../../daemon/engine/gpu-check.js";
import { generatedDraftPair } from "../fixtures/models.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

const DEADLINE_MS = 7.5 * 60_000;

type Device = "cpu" | "gpu";
type Done = Extract<ChatEvent, { type: "done" }>;
/** One round's measurements on one device. */
type Round = {
  prefill: number;
  decode: number;
  cold: number;
  warm: number;
  plain: number;
  spec: number;
  /** Drafted tokens the target accepted, of the speculative request. */
  accepted: number;
  promptTokens: number;
  prefixTokens: number;
};
type FromChild =
  { type: "ready"; loadS: number; detail: string } | { type: "failed"; why: string } | { type: "round"; round: Round };
type ToChild = { type: "round"; r: number } | { type: "stop" };

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

/** One round on one device: fresh prompts each round (the salt), so only the prefix-reuse pair shares a prefix. */
async function round(engine: Engine, device: Device, r: number): Promise<Round> {
  const salt = r * 10 + (device === "gpu" ? 1 : 0);
  // Prefill + decode: ~500 fresh prompt tokens ("wNNN" words are ~4 tokens each), 64 decoded.
  const a = await complete(engine, "plain", words(128, salt), 64);
  // Prefix reuse: a ~2,000-token prefix seen once (cold), then asked again with a new question (warm).
  const prefix = words(500, 500 + salt);
  const cold = await complete(engine, "plain", `${prefix} question one`, 8);
  const warm = await complete(engine, "plain", `${prefix} question two`, 8);
  // Speculative decoding: the same prompt plainly and with the draft model, 128 tokens.
  const p = words(64, 900 + salt);
  const plain = await complete(engine, "plain", p, 128);
  const spec = await complete(engine, "draft", p, 128);
  const t = (x: Done) => x.timings as Required<NonNullable<Done["timings"]>>;
  return {
    prefill: (t(a).prompt_n * 1000) / t(a).prompt_ms,
    decode: t(a).predicted_per_second,
    cold: t(cold).ttft_ms,
    warm: t(warm).ttft_ms,
    plain: t(plain).predicted_per_second,
    spec: t(spec).predicted_per_second,
    accepted: t(spec).draft_n ? t(spec).draft_n_accepted / t(spec).draft_n : 0,
    promptTokens: t(a).prompt_n,
    prefixTokens: t(cold).prompt_n,
  };
}

/** The child's side: load the pair on its device, then run the rounds the parent asks for. */
async function serveDevice(device: Device, target: string, draft: string): Promise<void> {
  const send = (m: FromChild) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const dir = mkdtempSync(join(tmpdir(), `hotpath-bench-gpu-${device}-`));
  const started = performance.now();
  const engine = new Engine({
    gpu: device === "gpu" ? "cuda" : "off",
    threads: "auto",
    threadsFile: join(dir, "threads.json"),
    contextSize: 4096,
    sequences: 2,
    maxQueued: 8,
    modelsDir: dir,
    showProgress: false,
    loadWaitMs: 600_000,
    log: (l, m) => l !== "info" && console.log(`${device}: ${m}`),
  });
  try {
    engine.add([
      { alias: "plain", source: target },
      { alias: "draft", source: target, draft },
    ]);
    await engine.ready("plain");
    // Speculation pinned on: in "auto" the adaptive switch would measure plain decoding on this alias in some rounds
    // (its warm-up of the other mode), and this row is meant to show what speculation does.
    (await engine.ready("draft")).model.speculation.mode = "on";
    const plain = (await engine.describe()).find((m) => m.alias === "plain");
    const detail =
      device === "gpu"
        ? `backend ${plain?.gpu}, ${plain?.gpuLayers} layers offloaded`
        : `threads prefill ${plain?.threads?.prefill} / decode ${plain?.threads?.decode} (--threads auto)`;
    await send({ type: "ready", loadS: (performance.now() - started) / 1000, detail });
  } catch (e) {
    await send({ type: "failed", why: (e as Error).message.split("\n")[0] });
    await engine.dispose().catch(() => {});
    process.exit(0);
  }
  process.on("message", (m: ToChild) => {
    if (m.type === "stop")
      void engine.dispose().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    else
      void round(engine, device, m.r).then(
        (result) => send({ type: "round", round: result }),
        (e: Error) => send({ type: "failed", why: e.message.split("\n")[0] }),
      );
  });
}

/** The parent's handle on one device's process. */
class DeviceProcess {
  private readonly child: ChildProcess;
  private waiting?: { resolve: (m: FromChild) => void; reject: (e: Error) => void };

  constructor(device: Device, argv: string[]) {
    // The same entry this process was started with (npm run bench's index.ts under tsx, or a bundle), same loader flags.
    this.child = fork(process.argv[1], [process.argv[2] ?? "gpu", ...argv, "--device", device], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: FromChild) => this.waiting?.resolve(m));
    this.child.on("exit", (code, signal) =>
      this.waiting?.reject(new Error(`the ${device} process ended (${signal ?? `exit code ${code}`})`)),
    );
  }

  next(): Promise<FromChild> {
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  async round(r: number): Promise<Round> {
    const reply = this.next();
    this.child.send({ type: "round", r } satisfies ToChild);
    const m = await reply;
    if (m.type !== "round") throw new Error(m.type === "failed" ? m.why : `unexpected ${m.type}`);
    return m.round;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.send({ type: "stop" } satisfies ToChild);
    return exited;
  }
}

export async function run(argv: string[]): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: "string", default: "1.5GB" },
      runs: { type: "string", default: "3" },
      "require-gpu": { type: "boolean", default: false },
      // Internal: this process serves one device for a parent run of this script.
      device: { type: "string" },
      target: { type: "string" },
      draft: { type: "string" },
    },
  });
  if (values.device) return serveDevice(values.device as Device, values.target!, values.draft!);
  const runs = Number(values.runs);
  // The daemon's own GPU check first (a child runs a small model's kernels): says why before a big model is generated.
  const check = await checkGpuInChild("cuda");
  const gpu = check.ok && check.gpu === "cuda" ? { ok: true as const } : { ok: false as const, why: gpuFailure(check) };
  console.log(
    gpu.ok ? `GPU check: kernels ran on ${check.devices.join(", ")} (${check.ms} ms)` : `GPU half skipped: ${gpu.why}`,
  );
  if (!gpu.ok && values["require-gpu"]) throw new Error(`--require-gpu: ${gpu.why}`);
  const bytes = gpu.ok ? parseSize(values.size) : 60e6;
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
  const devices: Device[] = gpu.ok ? ["cpu", "gpu"] : ["cpu"];
  const procs = new Map<Device, DeviceProcess>();
  const loaded = new Map<Device, string>();
  const overTime = () => performance.now() - started > DEADLINE_MS;
  const rows = new Map<Device, Round[]>(devices.map((d) => [d, []]));
  const notes: string[] = [];
  try {
    for (const d of devices) {
      const p = new DeviceProcess(d, ["--target", pair.target, "--draft", pair.draft]);
      procs.set(d, p);
      const m = await p.next();
      if (m.type !== "ready") throw new Error(describeFailure(m, d));
      loaded.set(d, `${d.toUpperCase()} ${m.detail}, both aliases loaded in ${m.loadS.toFixed(1)} s`);
      console.log(loaded.get(d));
    }
    for (let r = 0; r <= runs && !overTime(); r++) {
      for (const d of r % 2 ? [...devices].reverse() : devices) {
        const result = await procs.get(d)!.round(r);
        console.log(
          `round ${r} ${d}: ${JSON.stringify(result, (_, v) => (typeof v === "number" ? +v.toFixed(1) : v))}`,
        );
        if (r > 0) rows.get(d)!.push(result); // round 0 warms up (and, on a GPU, compiles kernels)
      }
    }
    if (overTime()) notes.push("stopped early at the 7.5-minute guard; fewer runs than asked");
  } finally {
    await Promise.all([...procs.values()].map((p) => p.stop()));
  }
  const m = (d: Device, k: keyof Round) => median((rows.get(d) ?? []).map((x) => x[k]));
  const line = (label: string, k: keyof Round, digits = 1) =>
    `| ${label} | ${devices.map((d) => fmt(m(d, k), digits)).join(" | ")} |${gpu.ok ? ` ${fmt(m("gpu", k) / m("cpu", k), 2)}× |` : ""}`;
  const header = gpu.ok
    ? "| measurement | CPU | GPU | GPU / CPU |\n|---|---|---|---|"
    : "| measurement | CPU |\n|---|---|";
  const total = ((performance.now() - started) / 1000).toFixed(0);
  const measured = rows.get("cpu")!.length;
  const body = `Generated q8_0 llama draft/target pair (\`generatedDraftPair\`: target 12 layers, ${(bytes / 1e9).toFixed(2)} GB requested; draft = its first layer, epsilon 0 so the draft agrees), Hotpath's engine (\`--threads auto\` on CPU, \`gpuLayers: "auto"\` on GPU), each device in a process of its own, temperature 0, median of ${measured} rounds after one warm-up round, CPU and GPU alternating. Whole script: ${total} s (model generated or cached in ${genS.toFixed(0)} s).
Machine: ${machineDescription()}.
${gpu.ok ? `GPU: node-llama-cpp's prebuilt CUDA binaries from npm. ${[...loaded.values()].join("; ")}.` : `**GPU half skipped: ${gpu.why}.** This run proves the script on CPU only, on a ${(bytes / 1e6).toFixed(0)} MB model (\`--size\` applies when a GPU is present; default 1.5GB). ${loaded.get("cpu") ?? ""}.`}

${header}
${line(`prefill tok/s (${m("cpu", "promptTokens")}-token prompt)`, "prefill")}
${line("decode tok/s (64 tokens)", "decode")}
${line(`TTFT ms, ${m("cpu", "prefixTokens")}-token prompt first seen`, "cold")}
${line("TTFT ms, same prefix with a new question (prefix reuse)", "warm")}
${line("decode tok/s, plain (128 tokens)", "plain")}
${line("decode tok/s, speculative with the 1-layer draft (128 tokens)", "spec")}

Prefix reuse: warm / cold TTFT ${devices.map((d) => `${d.toUpperCase()} ${fmt(m(d, "warm") / m(d, "cold"), 3)}×`).join(", ")}. Speculative / plain decode (speculation pinned on; draft acceptance): ${devices.map((d) => `${d.toUpperCase()} ${fmt(m(d, "spec") / m(d, "plain"), 2)}× (${fmt(m(d, "accepted"), 2)})`).join(", ")}.${notes.length ? `\n${notes.join("; ")}.` : ""}`;
  console.log(body);
  writeSection("gpu", body);
}

function describeFailure(m: FromChild, device: Device): string {
  const why = m.type === "failed" ? m.why : `unexpected ${m.type}`;
  return `the ${device.toUpperCase()} engine did not load (${why})`;
}

function gpuFailure(check: GpuCheck): string {
  if (check.ok) return "node-llama-cpp has no CUDA backend here (its CPU build ran instead)";
  return `no usable CUDA backend (${check.why}); node-llama-cpp's prebuilt @node-llama-cpp/linux-x64-cuda binaries need an NVIDIA driver and device, and an R590+ driver on GPUs they carry no machine code for (daemon/engine/llama.ts)`;
}
