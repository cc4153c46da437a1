// `npm run bench -- serve [--runs N] [--prompt-tokens N] [--decode-tokens N] [--cpu-prof DIR]`: prefill and decode
// tokens/s and TTFT on a generated ~60 MB q8_0 model, side by side: node-llama-cpp called directly vs the same model
// through Hotpath's HTTP API (streamed and not). The ratio is Hotpath's overhead on the serving path.
//
// Like with like: both paths hand on text, not token ids. The direct consumer turns each token into text as a
// streaming user of node-llama-cpp must (its own LlamaCompletion does the same: detokenize with a few earlier tokens
// as context); the HTTP client reads the event stream the way every SDK does (split at blank lines, JSON.parse each
// event once). The client's parse is a cost any streaming server's client pays, and on a 2-core machine it competes
// with the daemon for the cores, so it stays in the run; it is measured and reported (CPU µs per token of each main
// thread) so a reader can see where per-token work sits. Decode speed is timed where the tokens are made (in the
// direct loop; by the daemon for Hotpath), plus the client's own view for the streamed path.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { BENCH_PARAMS, generatedModelPath, testThreads } from "../fixtures/models.js";
import { DAEMON_BIN, startDaemon } from "../fixtures/daemon.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

interface Sample {
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
  /** Decode speed as the client saw it: first text event to last (streamed only). */
  clientDecodeTps?: number;
  /** CPU µs per decoded token on the producing process's main thread (event loop); Linux only. */
  producerCpuUs?: number;
  /** CPU µs per decoded token on the HTTP client's main thread; Linux only. */
  clientCpuUs?: number;
}

/** CPU time (ns) a thread has run, from /proc/<pid>/task/<tid>/schedstat; undefined where there is none. */
function threadCpuNs(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** A launcher that runs the daemon under `node --cpu-prof` (not allowed in NODE_OPTIONS); it writes on shutdown. */
function profilingLauncher(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const launcher = join(dir, "daemon-cpu-prof.sh");
  writeFileSync(
    launcher,
    `#!/bin/sh\nexec "${process.execPath}" --cpu-prof --cpu-prof-dir="${dir}" "${DAEMON_BIN}" "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  return launcher;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "9" },
      "prompt-tokens": { type: "string", default: "512" },
      "decode-tokens": { type: "string", default: "64" },
      /** Write a V8 CPU profile of the daemon (node --cpu-prof) into this folder. */
      "cpu-prof": { type: "string" },
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
  // Hotpath: the same model behind the daemon, timed by the client. Both stay loaded and the runs alternate (which
  // goes first alternates too), so load drifting over the run hits both paths alike.
  const daemon = await startDaemon({
    args: ["--model", `bench=${modelPath}`, "--sequences", "1", "--threads", String(threads), "--no-response-cache"],
    waitForModels: ["bench"],
    ...(values["cpu-prof"] ? { executable: profilingLauncher(resolve(values["cpu-prof"])) } : {}),
  });
  const daemonPid = daemon.process.pid!;
  const direct: Sample[] = [];
  const hotpath: Sample[] = [];
  const whole: Sample[] = [];
  let directText = "";
  const runDirect = async (r: number) => {
    await sequence.clearHistory();
    const tokens = promptFor(r);
    const generated: Token[] = [];
    let text = "";
    const t0 = performance.now();
    let first = 0;
    let cpuFirst: number | undefined;
    for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
      if (generated.length === 0) {
        first = performance.now();
        cpuFirst = threadCpuNs(process.pid);
      }
      // The text a streaming consumer hands on: this token's, with up to 4 earlier ones as context.
      text += model.detokenize([token], false, generated.slice(-4));
      generated.push(token);
      if (generated.length >= decodeTokens) break;
    }
    const end = performance.now();
    const cpuEnd = threadCpuNs(process.pid);
    directText = text;
    const n = generated.length;
    if (r > 0)
      direct.push({
        ttftMs: first - t0,
        prefillTps: (tokens.length * 1000) / (first - t0),
        decodeTps: ((n - 1) * 1000) / (end - first),
        ...(cpuFirst !== undefined && cpuEnd !== undefined
          ? { producerCpuUs: (cpuEnd - cpuFirst) / 1e3 / (n - 1) }
          : {}),
      });
  };
  const runHotpath = async (r: number, stream = true) => {
    const daemonCpu0 = threadCpuNs(daemonPid);
    const clientCpu0 = threadCpuNs(process.pid);
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
    let first = 0;
    let last = 0;
    let textEvents = 0;
    let timings: any;
    if (stream) {
      // An SSE reader as SDKs have one: events end at a blank line; each event's data is parsed once.
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
          const data = JSON.parse(event.slice(6));
          if (data.choices?.[0]?.text) {
            last = performance.now();
            if (!first) first = last;
            textEvents++;
          }
          if (data.timings) timings = data.timings;
        }
      }
    } else {
      timings = ((await res.json()) as any).timings;
    }
    const daemonCpu1 = threadCpuNs(daemonPid);
    const clientCpu1 = threadCpuNs(process.pid);
    if (r > 0 && timings) {
      const decoded = Math.max(1, timings.predicted_n - 1);
      // Unstreamed, the client sees nothing before the end: its TTFT is the daemon's own.
      const sample: Sample = {
        ttftMs: stream ? first - t0 : timings.ttft_ms,
        prefillTps: (timings.prompt_n * 1000) / timings.prompt_ms,
        decodeTps: timings.predicted_per_second,
        ...(stream && textEvents > 1 ? { clientDecodeTps: ((textEvents - 1) * 1000) / (last - first) } : {}),
        // Whole request on the daemon's main thread (HTTP, pipeline, span) spread over the decoded tokens: an upper
        // bound on the per-token share.
        ...(daemonCpu0 !== undefined && daemonCpu1 !== undefined
          ? { producerCpuUs: (daemonCpu1 - daemonCpu0) / 1e3 / decoded }
          : {}),
        ...(clientCpu0 !== undefined && clientCpu1 !== undefined
          ? { clientCpuUs: (clientCpu1 - clientCpu0) / 1e3 / decoded }
          : {}),
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
  if (!directText) throw new Error("the direct path produced no text");

  const med = (s: Sample[], k: keyof Sample) => {
    const xs = s.map((x) => x[k]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : NaN;
  };
  const cell = (x: number, digits?: number) => (Number.isNaN(x) ? "—" : fmt(x, digits));
  const row = (name: string, s: Sample[]) =>
    `| ${name} | ${cell(med(s, "ttftMs"))} | ${cell(med(s, "prefillTps"))} | ${cell(med(s, "decodeTps"))} | ${cell(med(s, "clientDecodeTps"))} | ${cell(med(s, "producerCpuUs"), 0)} | ${cell(med(s, "clientCpuUs"), 0)} |`;
  const ratio = (k: keyof Sample, s = hotpath) => med(s, k) / med(direct, k);
  // The fastest run of each path: the one least disturbed by other processes, steadier than medians on a busy machine.
  const best = (s: Sample[]) => Math.max(...s.map((x) => x.decodeTps)) / Math.max(...direct.map((x) => x.decodeTps));
  const body = `Generated model: ${BENCH_PARAMS.targetBytes! / 1e6} MB q8_0 llama (random weights, \`hotpath gen-model --size 60MB --type q8_0 --seed 1\`), CPU only, ${threads} thread(s), ${promptTokens}-token prompt, ${decodeTokens} tokens decoded, median of ${runs} runs after one warm-up, the paths alternating. Rerun: \`npm run bench -- serve --runs ${runs}\`.
Machine: ${machineDescription()}.

Both paths hand on text: the direct loop detokenizes each token (with up to 4 earlier tokens as context, as node-llama-cpp's own streaming does); the HTTP client splits the event stream at blank lines and JSON-parses each event once, as SDKs do. Decode tok/s is timed where tokens are made (the direct loop; the daemon's \`timings\`); "client decode" is first to last text event as the client received them. CPU µs/token: time on CPU of the producing process's main thread (the direct loop's, or the daemon's event loop for the whole request) and of the HTTP client's, from /proc schedstat, per decoded token.

| path | TTFT ms | prefill tok/s | decode tok/s | client decode tok/s | producer main thread CPU µs/token | client CPU µs/token |
|---|---|---|---|---|---|---|
${row("node-llama-cpp direct", direct)}
${row("Hotpath HTTP (streamed, client-timed TTFT)", hotpath)}
${row("Hotpath HTTP (not streamed, daemon-timed)", whole)}

Ratios Hotpath / direct, streamed: TTFT ${fmt(ratio("ttftMs"), 2)}×, prefill ${fmt(ratio("prefillTps"), 2)}×, **decode ${fmt(ratio("decodeTps"), 2)}×** (target ≥ 0.99), client-seen decode ${fmt(med(hotpath, "clientDecodeTps") / med(direct, "decodeTps"), 2)}×; not streamed: decode ${fmt(ratio("decodeTps", whole), 2)}×; fastest run against fastest run, decode ${fmt(best(hotpath), 2)}× streamed and ${fmt(best(whole), 2)}× not (the engine asks llama.cpp for the next token before it hands one on, so the per-token pipeline and SSE work overlaps decoding; client, daemon event loop and the llama.cpp thread still share 2 cores). No GPU was lent to the session that ran this.`;
  console.log(body);
  writeSection("serve", body);
}
