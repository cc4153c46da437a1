// `npm run bench -- serve [--runs N] [--prompt-tokens N] [--decode-tokens N]`: prefill and decode tokens/s and TTFT
// on a generated ~60 MB q8_0 model, side by side: node-llama-cpp called directly vs the same model through Hotpath's
// HTTP API (streamed). The ratio is Hotpath's overhead on the serving path.
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { BENCH_PARAMS, generatedModelPath, testThreads } from "../fixtures/models.js";
import { startDaemon } from "../fixtures/daemon.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

interface Sample {
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "9" },
      "prompt-tokens": { type: "string", default: "512" },
      "decode-tokens": { type: "string", default: "64" },
    },
  });
  const runs = Number(values.runs);
  const promptTokens = Number(values["prompt-tokens"]);
  const decodeTokens = Number(values["decode-tokens"]);
  const threads = testThreads();
  const modelPath = generatedModelPath(BENCH_PARAMS);
  console.log(
    `model ${modelPath}, threads ${threads}, ${runs} runs, ${promptTokens} prompt tokens, ${decodeTokens} decoded`,
  );

  // Direct: node-llama-cpp on its own.
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 2048, threads });
  const sequence = context.getSequence();
  const promptFor = (run: number) => {
    // Distinct first tokens per run: no KV reuse in either path.
    const words = Array.from({ length: promptTokens }, (_, i) => `w${(run * 7919 + i * 31) % 997}`).join(" ");
    return model.tokenize(words).slice(0, promptTokens);
  };
  // Hotpath: the same model behind the daemon, streamed completions, timed by the client. Both stay loaded and the
  // runs alternate (which goes first alternates too), so load drifting over the run hits both paths alike.
  const daemon = await startDaemon({
    args: ["--model", `bench=${modelPath}`, "--sequences", "1", "--threads", String(threads), "--no-response-cache"],
    waitForModels: ["bench"],
  });
  const direct: Sample[] = [];
  const hotpath: Sample[] = [];
  const whole: Sample[] = [];
  const runDirect = async (r: number) => {
    await sequence.clearHistory();
    const tokens = promptFor(r);
    const t0 = performance.now();
    let first = 0;
    let n = 0;
    for await (const _token of sequence.evaluate(tokens, { temperature: 0 })) {
      if (n === 0) first = performance.now();
      if (++n >= decodeTokens) break;
    }
    const end = performance.now();
    if (r > 0)
      direct.push({
        ttftMs: first - t0,
        prefillTps: (tokens.length * 1000) / (first - t0),
        decodeTps: ((n - 1) * 1000) / (end - first),
      });
  };
  const runHotpath = async (r: number, stream = true) => {
    const t0 = performance.now();
    const res = await daemon.fetch("/v1/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "bench",
        prompt: model.detokenize(promptFor(r + 1000)),
        max_tokens: decodeTokens,
        temperature: 0,
        stream,
      }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let first = 0;
    let buffer = "";
    let timings: any;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (!first && /"text":"[^"]/.test(buffer)) first = performance.now();
      const m = /"timings":(\{[^}]*\})/.exec(buffer);
      if (m) timings = JSON.parse(m[1]);
    }
    if (r > 0 && timings) {
      // Unstreamed, the client sees nothing before the end: its TTFT is the daemon's own.
      const sample = {
        ttftMs: stream ? first - t0 : timings.ttft_ms,
        prefillTps: (timings.prompt_n * 1000) / timings.prompt_ms,
        decodeTps: timings.predicted_per_second,
      };
      (stream ? hotpath : whole).push(sample);
    }
  };
  try {
    for (let r = 0; r < runs + 1; r++) {
      if (r % 2) {
        await runDirect(r);
        await runHotpath(r);
        await runHotpath(r + 500, false);
      } else {
        await runHotpath(r + 500, false);
        await runHotpath(r);
        await runDirect(r);
      }
    }
  } finally {
    await daemon.dispose();
    await context.dispose();
    await model.dispose();
  }

  const row = (name: string, s: Sample[]) =>
    `| ${name} | ${fmt(median(s.map((x) => x.ttftMs)))} | ${fmt(median(s.map((x) => x.prefillTps)))} | ${fmt(median(s.map((x) => x.decodeTps)))} |`;
  const ratio = (k: keyof Sample, s = hotpath) => median(s.map((x) => x[k])) / median(direct.map((x) => x[k]));
  // The fastest run of each path: the one least disturbed by other processes, steadier than medians on a busy machine.
  const best = (s: Sample[]) => Math.max(...s.map((x) => x.decodeTps)) / Math.max(...direct.map((x) => x.decodeTps));
  const body = `Generated model: ${BENCH_PARAMS.targetBytes! / 1e6} MB q8_0 llama (random weights, \`hotpath gen-model --size 60MB --type q8_0 --seed 1\`), CPU only, ${threads} thread(s), ${promptTokens}-token prompt, ${decodeTokens} tokens decoded, median of ${runs} runs after one warm-up, the two paths alternating.
Machine: ${machineDescription()}.

| path | TTFT ms | prefill tok/s | decode tok/s |
|---|---|---|---|
${row("node-llama-cpp direct", direct)}
${row("Hotpath HTTP (streamed, client-timed TTFT)", hotpath)}
${row("Hotpath HTTP (not streamed, daemon-timed)", whole)}

Ratios Hotpath / direct, streamed: TTFT ${fmt(ratio("ttftMs"), 2)}×, prefill ${fmt(ratio("prefillTps"), 2)}×, decode ${fmt(ratio("decodeTps"), 2)}×; not streamed: decode ${fmt(ratio("decodeTps", whole), 2)}×; fastest run against fastest run, decode ${fmt(best(hotpath), 2)}× streamed and ${fmt(best(whole), 2)}× not (the engine asks llama.cpp for the next token before it hands one on, so the per-token pipeline and SSE work overlaps decoding; client, daemon event loop and the llama.cpp thread still share 2 cores). No GPU was lent to the session that ran this.`;
  console.log(body);
  writeSection("serve", body);
}
