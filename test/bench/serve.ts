// `npm run bench -- serve [--runs N] [--prompt-tokens N] [--decode-tokens N] [--clients sdk,minimal,late] [--cpu-prof DIR]
// [--reference yes|no] [--size 60MB]`:
// prefill and decode
// tokens/s and TTFT on a generated q8_0 model (~60 MB; another size writes a section of its own), side by side: node-llama-cpp called directly vs the same model
// through Hotpath's HTTP API (streamed and not). The ratio is Hotpath's overhead on the serving path.
//
// Like with like: both paths hand on text, not token ids. The direct consumer turns each token into text as a
// streaming user of node-llama-cpp must (its own LlamaCompletion does the same: detokenize with a few earlier tokens
// as context); the HTTP client reads the event stream the way every SDK does (split at blank lines, JSON.parse each
// event once). The client's parse is a cost any streaming server's client pays, and on a 2-core machine it competes
// with the daemon for the cores, so it stays in the run; it is measured and reported (CPU µs per token of each main
// thread) so a reader can see where per-token work sits. Decode speed is timed where the tokens are made (in the
// direct loop; by the daemon for Hotpath), plus the client's own view for the streamed path.
//
// Where a streamed gap sits: besides the SDK-like client (the headline), the same stream is read by a minimal client
// (node:http, no per-event parse) and by a late one that reads nothing until the daemon is done (its process sleeps
// while tokens are made, so what is left is the daemon's own streaming work). With the run-queue wait of the threads
// that decode (time runnable but not running, per token), that tells the daemon's cost from the cores it shares.
//
// Noise: every Hotpath request is paired with a direct run next to it, and the ratio is taken per pair; the report
// gives the median of those ratios with a distribution-free interval (see docs/benchmarks.md, section serve). On a
// shared 2-core machine those intervals stay ±5–8 % wide, too wide to decide a 0.99 target, so the verdict comes from
// the decode pairs: many short rounds of direct, Hotpath, direct, a pooled ratio with a bootstrap interval, and the
// same statistic on direct ÷ direct (A/A) beside it to show what the method can resolve at the load of the run.
//
// The reference server (serve-reference.mjs) streams the same model from node-llama-cpp's own loop to the same
// client: per-token timestamps (2026-12-03) showed the daemon submits the next decode sooner after a token than the
// direct loop does, and that the streamed gap is in the native decode itself, which runs slower while the client and
// the server's loop take the other core; a minimal server pays that too. Hotpath ÷ reference is the daemon's own share.
// The measurements: docs/streaming.md.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { parseSize } from "../../daemon/cli/gen-model.js";
import { BENCH_PARAMS, generatedModelPath, testThreads } from "../fixtures/models.js";
import { DAEMON_BIN, startDaemon } from "../fixtures/daemon.js";
import { prng } from "../../daemon/audit/stats.js";
import { fmt, machineDescription, median, medianInterval, percentile, writeSection } from "./_report.js";

interface Sample {
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
  /** Decode speed as the client saw it: first text event to last (streamed only). */
  clientDecodeTps?: number;
  /** CPU µs per decoded token on the producing process's main thread (event loop); Linux only. */
  producerCpuUs?: number;
  /**
   * CPU µs per token of the producer's main thread over the decode window only (first token to last; direct loop, or
   * the daemon read by the minimal client at its first and last text chunk): per-request work is not in it.
   */
  decodeWindowCpuUs?: number;
  /** CPU µs per decoded token on the HTTP client's main thread; Linux only. */
  clientCpuUs?: number;
  /** Run-queue wait µs per decoded token of the producer's other threads (llama.cpp decodes there); Linux only. */
  decodeWaitUs?: number;
  /** Tokens in the decode window and its length (ms), where the tokens are made: what the decode pairs pool. */
  decodeN: number;
  decodeMs: number;
}

/** The streamed-path readers: `sdk` is the headline, the others locate a gap (see the top of this file). */
const CLIENTS = ["sdk", "minimal", "late"] as const;
type Client = (typeof CLIENTS)[number];
/**
 * A path paired with direct runs: a streamed reader of Hotpath, `whole` (Hotpath not streamed), or `reference` (the
 * smallest streaming server on node-llama-cpp, serve-reference.mjs, read by the SDK-like client).
 */
type Path = Client | "whole" | "reference";
interface Pair {
  direct: Sample;
  hotpath: Sample;
}
/** A decode-pairs round: a Hotpath request (and the reference server's, when run) between two direct runs. */
interface Sandwich {
  before: Sample;
  hotpath: Sample;
  reference?: Sample;
  after: Sample;
}

/** Decode tok/s pooled over samples: all their decode windows' token steps over all their time. */
function pooledRate(samples: Sample[]): number {
  let steps = 0;
  let ms = 0;
  for (const s of samples) {
    steps += s.decodeN - 1;
    ms += s.decodeMs;
  }
  return (steps * 1000) / ms;
}

/**
 * The decode pairs' statistic: Hotpath's pooled decode rate ÷ that of the direct runs around it, and the same for
 * the direct runs after ÷ before (A/A: what the method reads where there is no difference). Rounds where a decode
 * window ran more than 3× the median per-token time of its kind are dropped first (a stall of the shared machine,
 * either side); 95% percentile interval from 2,000 resamples of whole rounds (seeded: a report is reproducible).
 */
function pooledRatios(rounds: Sandwich[]): {
  kept: number;
  ratio: { value: number; low: number; high: number };
  aa: { value: number; low: number; high: number };
  /** The reference server ÷ direct, and Hotpath ÷ the reference server (rounds that ran the reference only). */
  reference?: { value: number; low: number; high: number };
  overReference?: { value: number; low: number; high: number };
} {
  const perToken = (s: Sample) => s.decodeMs / Math.max(1, s.decodeN - 1);
  const directMedian = median(rounds.flatMap((x) => [perToken(x.before), perToken(x.after)]));
  const hotpathMedian = median(rounds.map((x) => perToken(x.hotpath)));
  const withReference = rounds.every((x) => x.reference);
  const referenceMedian = withReference ? median(rounds.map((x) => perToken(x.reference!))) : 0;
  const kept = rounds.filter(
    (x) =>
      perToken(x.before) <= 3 * directMedian &&
      perToken(x.after) <= 3 * directMedian &&
      perToken(x.hotpath) <= 3 * hotpathMedian &&
      (!withReference || perToken(x.reference!) <= 3 * referenceMedian),
  );
  const ratioOf = (xs: Sandwich[]) =>
    pooledRate(xs.map((x) => x.hotpath)) / pooledRate(xs.flatMap((x) => [x.before, x.after]));
  const aaOf = (xs: Sandwich[]) => pooledRate(xs.map((x) => x.after)) / pooledRate(xs.map((x) => x.before));
  const referenceOf = (xs: Sandwich[]) =>
    pooledRate(xs.map((x) => x.reference!)) / pooledRate(xs.flatMap((x) => [x.before, x.after]));
  const overReferenceOf = (xs: Sandwich[]) =>
    pooledRate(xs.map((x) => x.hotpath)) / pooledRate(xs.map((x) => x.reference!));
  const rand = prng(1);
  const ratios: number[] = [];
  const aas: number[] = [];
  const references: number[] = [];
  const overReferences: number[] = [];
  for (let b = 0; b < 2000; b++) {
    const draw = kept.map(() => kept[Math.floor(rand() * kept.length)]);
    ratios.push(ratioOf(draw));
    aas.push(aaOf(draw));
    if (withReference) {
      references.push(referenceOf(draw));
      overReferences.push(overReferenceOf(draw));
    }
  }
  const interval = (xs: number[], value: number) => ({
    value,
    low: percentile(xs, 2.5),
    high: percentile(xs, 97.5),
  });
  return {
    kept: kept.length,
    ratio: interval(ratios, ratioOf(kept)),
    aa: interval(aas, aaOf(kept)),
    ...(withReference
      ? {
          reference: interval(references, referenceOf(kept)),
          overReference: interval(overReferences, overReferenceOf(kept)),
        }
      : {}),
  };
}

/** CPU time (ns) a thread has run, from /proc/<pid>/task/<tid>/schedstat; undefined where there is none. */
function threadCpuNs(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** Summed run-queue wait (ns) of a process's threads other than its main one; undefined where /proc has none. */
function otherThreadsWaitNs(pid: number): number | undefined {
  try {
    let wait = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (tid === String(pid)) continue;
      try {
        wait += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return wait;
  } catch {
    return undefined;
  }
}

/** The timings of a completions stream's final event (the one that carries them), from the raw text read. */
function finalTimings(text: string): any {
  const at = text.lastIndexOf('"timings":');
  if (at < 0) return undefined;
  const start = text.lastIndexOf("data: ", at) + 6;
  const end = text.indexOf("\n\n", at);
  return end > start ? JSON.parse(text.slice(start, end)).timings : undefined;
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

/** Starts serve-reference.mjs; resolves with its URL once it listens. */
async function startReference(
  modelPath: string,
  threads: number,
  contextSize: number,
): Promise<{ url: string; pid: number; kill: () => void }> {
  const script = fileURLToPath(new URL("./serve-reference.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, modelPath, String(threads), String(contextSize)], {
    // stdin stays open for the server's life: it exits when this process ends, even without the finally below.
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveUrl(m[1]);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the reference server exited with ${code}:\n${out}`)));
  });
  return { url, pid: child.pid!, kill: () => child.kill() };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "9" },
      "prompt-tokens": { type: "string", default: "512" },
      "decode-tokens": { type: "string", default: "64" },
      /** Streamed-path readers, comma-separated: sdk (the headline), minimal, late. */
      clients: { type: "string", default: "sdk,minimal,late" },
      /** Decode pairs (see docs/benchmarks.md, serve): rounds of direct, Hotpath, direct; 0 skips them. */
      pairs: { type: "string", default: "120" },
      "pair-prompt-tokens": { type: "string", default: "32" },
      "pair-decode-tokens": { type: "string", default: "64" },
      /** Write a V8 CPU profile of the daemon (node --cpu-prof) into this folder. */
      "cpu-prof": { type: "string" },
      /** Also run the reference streaming server (serve-reference.mjs) beside Hotpath: yes or no. */
      reference: { type: "string", default: "yes" },
      /**
       * The generated model's size. 60MB (the default, section "serve") decodes ~200 tok/s here, so per-token work
       * weighs most; a size a developer serves (500MB: ~30 tok/s) shows what streaming costs there ("serve (500 MB)").
       */
      size: { type: "string", default: "60MB" },
    },
  });
  const runs = Number(values.runs);
  const promptTokens = Number(values["prompt-tokens"]);
  const decodeTokens = Number(values["decode-tokens"]);
  const pairRounds = Number(values.pairs);
  const pairPromptTokens = Number(values["pair-prompt-tokens"]);
  const pairDecodeTokens = Number(values["pair-decode-tokens"]);
  const clients = values.clients!.split(",").filter(Boolean) as Client[];
  if (values.reference !== "yes" && values.reference !== "no") throw new Error("--reference: yes or no");
  const withReference = values.reference === "yes";
  for (const c of clients)
    if (!CLIENTS.includes(c)) throw new Error(`--clients: ${c} is none of ${CLIENTS.join(", ")}`);
  if (!clients.includes("sdk")) clients.unshift("sdk");
  const threads = testThreads();
  const sizeBytes = parseSize(values.size!);
  const modelParams =
    sizeBytes === BENCH_PARAMS.targetBytes ? BENCH_PARAMS : { ...BENCH_PARAMS, targetBytes: sizeBytes };
  const sizeLabel = `${fmt(sizeBytes / 1e6, 0)} MB`;
  const modelPath = generatedModelPath(modelParams);
  console.log(
    `model ${modelPath}, threads ${threads}, ${runs} runs, ${promptTokens} prompt tokens, ${decodeTokens} decoded`,
  );

  // Direct: node-llama-cpp on its own.
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 2048, threads });
  const sequence = context.getSequence();
  const promptFor = (run: number, length = promptTokens) => {
    // Distinct first tokens per run: no KV reuse in either path.
    const words = Array.from({ length }, (_, i) => `w${(run * 7919 + i * 31) % 997}`).join(" ");
    return model.tokenize(words).slice(0, length);
  };
  // Hotpath: the same model behind the daemon, timed by the client. Both stay loaded and the runs alternate (which
  // goes first alternates too), so load drifting over the run hits both paths alike.
  const daemon = await startDaemon({
    args: ["--model", `bench=${modelPath}`, "--sequences", "1", "--threads", String(threads), "--no-response-cache"],
    waitForModels: ["bench"],
    ...(values["cpu-prof"] ? { executable: profilingLauncher(resolve(values["cpu-prof"])) } : {}),
  });
  const daemonPid = daemon.process.pid!;
  // The reference: the same model, threads and context size (the daemon's default of 4096, capped at the model's
  // training context as the daemon caps it) in the smallest streaming
  // server node-llama-cpp allows; Hotpath ÷ it is the daemon's own overhead (see serve-reference.mjs).
  const reference = withReference ? await startReference(modelPath, threads, 4096) : undefined;
  const loadAtStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  let lateEarly = 0;
  let lastWholeMs = 5000;
  let directText = "";
  const runDirect = async (r: number, shape = { prompt: promptTokens, decode: decodeTokens }): Promise<Sample> => {
    await sequence.clearHistory();
    const tokens = promptFor(r, shape.prompt);
    const generated: Token[] = [];
    let text = "";
    // CPU and wait are taken over the whole request, prefill included, as they are for the daemon (which cannot be
    // split at its first token from here): the columns compare like with like.
    const cpuStart = threadCpuNs(process.pid);
    const waitStart = otherThreadsWaitNs(process.pid);
    const t0 = performance.now();
    let first = 0;
    let windowCpuStart: number | undefined;
    for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
      if (generated.length === 0) {
        windowCpuStart = threadCpuNs(process.pid);
        first = performance.now();
      }
      // The text a streaming consumer hands on: this token's, with up to 4 earlier ones as context.
      text += model.detokenize([token], false, generated.slice(-4));
      generated.push(token);
      if (generated.length >= shape.decode) break;
    }
    // The daemon's generator ends the same way: the whole text once, from the token ids.
    text = model.detokenize(generated);
    const end = performance.now();
    const cpuEnd = threadCpuNs(process.pid);
    const waitEnd = otherThreadsWaitNs(process.pid);
    directText = text;
    const n = generated.length;
    return {
      ttftMs: first - t0,
      prefillTps: (tokens.length * 1000) / (first - t0),
      decodeTps: ((n - 1) * 1000) / (end - first),
      decodeN: n,
      decodeMs: end - first,
      ...(cpuStart !== undefined && cpuEnd !== undefined ? { producerCpuUs: (cpuEnd - cpuStart) / 1e3 / (n - 1) } : {}),
      ...(windowCpuStart !== undefined && cpuEnd !== undefined
        ? { decodeWindowCpuUs: (cpuEnd - windowCpuStart) / 1e3 / (n - 1) }
        : {}),
      ...(waitStart !== undefined && waitEnd !== undefined
        ? { decodeWaitUs: (waitEnd - waitStart) / 1e3 / (n - 1) }
        : {}),
    };
  };
  const runHotpath = async (
    r: number,
    client: Path,
    shape = { prompt: promptTokens, decode: decodeTokens },
  ): Promise<Sample | undefined> => {
    const stream = client !== "whole";
    const producerPid = client === "reference" ? reference!.pid : daemonPid;
    const body = JSON.stringify({
      model: "bench",
      prompt: model.detokenize(promptFor(r + 1000, shape.prompt)),
      max_tokens: shape.decode,
      temperature: 0,
      stream,
    });
    const daemonCpu0 = threadCpuNs(producerPid);
    const daemonWait0 = otherThreadsWaitNs(producerPid);
    const clientCpu0 = threadCpuNs(process.pid);
    const t0 = performance.now();
    let first = 0;
    let last = 0;
    let textEvents = 0;
    let timings: any;
    // The daemon's main-thread CPU at the minimal client's first and latest text chunk (one small read per chunk).
    let windowCpu0: number | undefined;
    let windowCpu1: number | undefined;
    if (client === "sdk" || client === "whole" || client === "reference") {
      const res =
        client === "reference"
          ? await fetch(`${reference!.url}/v1/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            })
          : await daemon.fetch("/v1/completions", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            });
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
        lastWholeMs = performance.now() - t0;
      }
    } else if (client === "minimal") {
      // node:http, each network read looked at only to time it; the final event (with timings) parsed at the end.
      const text = await new Promise<string>((resolveText, reject) => {
        const req = httpRequest(
          `${daemon.url}/v1/completions`,
          { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${daemon.token}` } },
          (res) => {
            let tail = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              last = performance.now();
              if (/"text":"[^"]/.test(chunk)) {
                if (!first) {
                  first = last;
                  windowCpu0 = threadCpuNs(daemonPid);
                } else windowCpu1 = threadCpuNs(daemonPid);
              }
              textEvents++;
              tail = (tail + chunk).slice(-4096);
            });
            res.on("end", () => resolveText(tail));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      timings = finalTimings(text);
    } else {
      // Late: the request goes out, then the socket is not read (no wake-ups in this process) until well after the
      // non-streamed answer of this run took; what arrived meanwhile waits in the kernel's buffers (~13 kB).
      const url = new URL(daemon.url);
      const { text, early } = await new Promise<{ text: string; early: boolean }>((resolveText, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(
            `POST /v1/completions HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${daemon.token}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
          );
          socket.pause();
          setTimeout(
            () => {
              let acc = "";
              let reads = 0;
              let early = false;
              socket.setEncoding("utf8");
              socket.on("data", (chunk: string) => {
                if (reads++ === 0) early = !chunk.includes("data: [DONE]");
                acc += chunk;
              });
              // The daemon closes after the last event (the request asked for close); a run that waits longer fails
              // instead of hanging the bench, as it did while the daemon ignored the client's close.
              const stuck = setTimeout(() => {
                socket.destroy();
                reject(
                  new Error(
                    `late reader: no end of the connection 30 s after reading began (read ${acc.length} chars)`,
                  ),
                );
              }, 30_000);
              socket.on("end", () => {
                clearTimeout(stuck);
                resolveText({ text: acc, early });
              });
              socket.resume();
            },
            Math.max(500, lastWholeMs * 1.5),
          );
        });
        socket.on("error", reject);
      });
      if (early) lateEarly++;
      timings = finalTimings(text);
    }
    const daemonCpu1 = threadCpuNs(producerPid);
    const daemonWait1 = otherThreadsWaitNs(producerPid);
    const clientCpu1 = threadCpuNs(process.pid);
    if (timings) {
      const decoded = Math.max(1, timings.predicted_n - 1);
      // Unstreamed (and late), the client sees nothing before the end: its TTFT is the daemon's own.
      const clientTimed = client === "sdk" || client === "minimal" || client === "reference";
      const sample: Sample = {
        ttftMs: clientTimed ? first - t0 : timings.ttft_ms,
        prefillTps: (timings.prompt_n * 1000) / timings.prompt_ms,
        decodeTps: timings.predicted_per_second,
        decodeN: timings.predicted_n,
        decodeMs: timings.predicted_ms,
        ...(windowCpu0 !== undefined && windowCpu1 !== undefined
          ? { decodeWindowCpuUs: (windowCpu1 - windowCpu0) / 1e3 / decoded }
          : {}),
        ...((client === "sdk" || client === "reference") && textEvents > 1
          ? { clientDecodeTps: ((textEvents - 1) * 1000) / (last - first) }
          : {}),
        // Whole request on the daemon's main thread (HTTP, pipeline, span) spread over the decoded tokens: an upper
        // bound on the per-token share.
        // (Not for the late reader: its window holds the idle wait before the read.)
        ...(daemonCpu0 !== undefined && daemonCpu1 !== undefined && client !== "late"
          ? { producerCpuUs: (daemonCpu1 - daemonCpu0) / 1e3 / decoded }
          : {}),
        ...(clientCpu0 !== undefined && clientCpu1 !== undefined
          ? { clientCpuUs: (clientCpu1 - clientCpu0) / 1e3 / decoded }
          : {}),
        ...(daemonWait0 !== undefined && daemonWait1 !== undefined
          ? { decodeWaitUs: (daemonWait1 - daemonWait0) / 1e3 / decoded }
          : {}),
      };
      return sample;
    }
    return undefined;
  };
  // The daemon goes on working for a few ms after an answer has ended (span commit, the cache's bypass count: its event
  // loop's tail is done within 5–20 ms here). A run started at once shares the cores with that tail, which slows a
  // direct run after a Hotpath one and flatters Hotpath; a pause between runs keeps every run to its own work.
  const settle = () => new Promise((resolveSettle) => setTimeout(resolveSettle, 50));
  // Paired runs: each Hotpath request is paired with a direct run right next to it (which goes first alternates), and
  // the ratio is taken per pair, so load that drifts over seconds cancels within a pair instead of in the medians.
  const paths: Path[] = [...clients, ...(reference ? (["reference"] as const) : []), "whole"];
  const pairs = new Map<Path, Pair[]>(paths.map((p) => [p, []]));
  const sandwiches: Sandwich[] = [];
  const startedAt = performance.now();
  try {
    for (let r = 0; r < runs + 1; r++) {
      // Each request has a prompt of its own (no KV reuse). Round 0 warms both paths up and is not counted.
      const progress: string[] = [];
      for (const [i, path] of paths.entries()) {
        const steps = [() => runDirect(r * 10 + i), () => runHotpath(r * 10 + i, path)] as const;
        const [a, b] = (r + i) % 2 ? [steps[1], steps[0]] : [steps[0], steps[1]];
        const first = await a();
        await settle();
        const second = await b();
        await settle();
        const [d, h] = (r + i) % 2 ? [second, first] : [first, second];
        if (r > 0 && d && h) pairs.get(path)!.push({ direct: d as Sample, hotpath: h as Sample });
        progress.push(`${path} ${d && h ? fmt((h as Sample).decodeTps / (d as Sample).decodeTps, 3) : "—"}`);
      }
      // Progress, so that a stuck run shows where it stopped.
      console.log(
        `${r === 0 ? "warm-up round" : `round ${r}/${runs}`}: decode ratio ${progress.join(", ")} (${fmt((performance.now() - startedAt) / 1000, 0)} s)`,
      );
    }
    // Decode pairs: short requests, each Hotpath one between two direct ones (run ids apart from the rounds': no
    // prompt is repeated, so no KV reuse). Round 0 warms up and is not counted.
    const shape = { prompt: pairPromptTokens, decode: pairDecodeTokens };
    for (let r = 0; r < pairRounds + 1; r++) {
      const id = 100_000 + r * 3;
      const before = await runDirect(id, shape);
      await settle();
      // Hotpath and the reference get the same prompt (each server's KV is its own: neither reuses anything); which of
      // the two goes first alternates.
      let hotpath: Sample | undefined;
      let referenceSample: Sample | undefined;
      for (const which of r % 2 && reference ? (["reference", "sdk"] as const) : (["sdk", "reference"] as const)) {
        if (which === "reference" && !reference) continue;
        const sample = await runHotpath(id + 1, which, shape);
        if (which === "sdk") hotpath = sample;
        else referenceSample = sample;
        await settle();
      }
      const after = await runDirect(id + 2, shape);
      await settle();
      if (r > 0 && hotpath && (!reference || referenceSample))
        sandwiches.push({ before, hotpath, ...(referenceSample ? { reference: referenceSample } : {}), after });
      if (r % 20 === 0)
        console.log(`decode pairs ${r}/${pairRounds} (${fmt((performance.now() - startedAt) / 1000, 0)} s)`);
    }
  } finally {
    reference?.kill();
    await daemon.dispose();
    await context.dispose();
    await model.dispose();
  }
  // The whole command but the daemon build before it: model generation or check, loads, daemon start, the rounds.
  const wallS = process.uptime();
  if (!directText) throw new Error("the direct path produced no text");

  const direct = paths.flatMap((p) => pairs.get(p)!.map((x) => x.direct));
  const samples = (p: Path) => pairs.get(p)!.map((x) => x.hotpath);
  const med = (s: Sample[], k: keyof Sample) => {
    const xs = s.map((x) => x[k]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : NaN;
  };
  const cell = (x: number, digits?: number) => (Number.isNaN(x) ? "—" : fmt(x, digits));
  const row = (name: string, s: Sample[]) =>
    `| ${name} | ${cell(med(s, "ttftMs"))} | ${cell(med(s, "prefillTps"))} | ${cell(med(s, "decodeTps"))} | ${cell(med(s, "clientDecodeTps"))} | ${cell(med(s, "producerCpuUs"), 0)} | ${cell(med(s, "decodeWindowCpuUs"), 0)} | ${cell(med(s, "clientCpuUs"), 0)} | ${cell(med(s, "decodeWaitUs"), 0)} |`;
  /** Per-pair ratios Hotpath ÷ direct of one measure, for one path. */
  const ratios = (p: Path, k: "decodeTps" | "prefillTps" | "ttftMs") =>
    pairs
      .get(p)!
      .map((x) => x.hotpath[k] / x.direct[k])
      .filter((x) => Number.isFinite(x));
  const ratioCell = (p: Path, k: "decodeTps" | "prefillTps" | "ttftMs") => {
    const xs = ratios(p, k);
    if (!xs.length) return "— | — | —";
    const ci = medianInterval(xs);
    return `${fmt(median(xs), 3)} | ${fmt(ci.low, 3)}–${fmt(ci.high, 3)} (${fmt(ci.coverage * 100, 0)}%) | ${fmt(percentile(xs, 25), 3)}–${fmt(percentile(xs, 75), 3)}`;
  };
  const pathName: Record<Path, string> = {
    sdk: "streamed, SDK-like client",
    minimal: "streamed, minimal client",
    late: "streamed, late reader",
    reference: "reference server (node-llama-cpp + SSE), SDK-like client",
    whole: "not streamed",
  };
  const headline = ratios("sdk", "decodeTps");
  const headlineCi = medianInterval(headline);
  const pooled = sandwiches.length ? pooledRatios(sandwiches) : undefined;
  const range = (x: { value: number; low: number; high: number }) =>
    `${fmt(x.value, 3)} | ${fmt(x.low, 3)}–${fmt(x.high, 3)}`;
  // The method's resolution gates the verdict: an A/A interval reaching past ±2 % says the machine was too noisy.
  const verdict = !pooled
    ? "no decode pairs were run"
    : pooled.aa.low < 0.98 || pooled.aa.high > 1.02
      ? "not decided: the A/A interval reaches past 0.98–1.02, the machine was too noisy for this run to decide"
      : pooled.ratio.low >= 0.99
        ? "meets ≥ 0.99"
        : pooled.ratio.high < 0.99
          ? "misses ≥ 0.99"
          : "≥ 0.99 neither shown nor ruled out";
  const pairsSection = pooled
    ? `**Decode pairs: the statistic that decides the target.** ${sandwiches.length} rounds (after one warm-up) of ${reference ? "four short requests in a row, direct, Hotpath (streamed, SDK-like client) and the reference server (which of the two goes first alternates), direct" : "three short requests in a row, direct, Hotpath (streamed, SDK-like client), direct"}, each with a ${pairPromptTokens}-token prompt of its own, ${pairDecodeTokens} tokens decoded, decode timed where the tokens are made as above. A Hotpath request between two direct runs cancels load that drifts steadily across the round; short requests make rounds many, and drift within one small. The statistic is **Hotpath's pooled decode rate ÷ the direct runs' pooled rate** (all token steps of a side ÷ all its decode time: a slow run weighs with its length, unlike a median of ratios), with a 95% percentile bootstrap interval from 2,000 resamples of whole rounds. Stated outlier rule: a round is dropped when any of its decode windows took more than 3× the median per-token time of its kind (a stall of the shared machine; ${sandwiches.length - pooled.kept} dropped here). The A/A row applies the same statistic to the direct run after ÷ the one before: where there is no difference, it shows what the method reads on this machine at this load. Hotpath meets ≥ 0.99 when the interval's low end is ≥ 0.99, misses it when the high end is < 0.99 — and a run decides only when its A/A interval lies within 0.98–1.02.

| decode pairs (${pooled.kept} rounds kept) | pooled ratio | 95% bootstrap interval |
|---|---|---|
| Hotpath streamed (SDK-like) ÷ direct | ${range(pooled.ratio)} |
| A/A: direct after ÷ direct before | ${range(pooled.aa)} |
${pooled.reference && pooled.overReference ? `| reference server (SDK-like) ÷ direct | ${range(pooled.reference)} |\n| Hotpath streamed ÷ reference server | ${range(pooled.overReference)} |\n` : ""}
${pooled.reference ? `The reference rows: in every round the reference server (node-llama-cpp's own evaluate loop and one SSE frame per token, in a process of its own: the smallest streaming server on this library) answered the same prompt as Hotpath, right before or after it (alternating), read by the same SDK-like client, with the same outlier rule. *reference ÷ direct* is what streaming to a client costs on this machine whoever serves it; *Hotpath ÷ reference* is the daemon's own overhead.\n\n` : ""}`
    : "";
  const sizeArg = modelParams === BENCH_PARAMS ? "" : ` --size ${values.size}`;
  const body = `Generated model: ${sizeLabel} q8_0 llama (random weights, \`hotpath gen-model --size ${values.size} --type q8_0 --seed 1\`), CPU only, ${threads} thread(s), ${promptTokens}-token prompt, ${decodeTokens} tokens decoded; ${runs} rounds after one warm-up round, each Hotpath path paired with a direct run in every round; then ${pairRounds} decode-pair rounds (below). Rerun: \`npm run bench -- serve --runs ${runs} --pairs ${pairRounds}${sizeArg}${promptTokens !== 512 ? ` --prompt-tokens ${promptTokens}` : ""}${decodeTokens !== 64 ? ` --decode-tokens ${decodeTokens}` : ""}${pairPromptTokens !== 32 ? ` --pair-prompt-tokens ${pairPromptTokens}` : ""}${pairDecodeTokens !== 64 ? ` --pair-decode-tokens ${pairDecodeTokens}` : ""}\` (${fmt(wallS / 60, 1)} min here, from start to report, the daemon's build before it not counted).
Machine: ${machineDescription()}; at the start: ${loadAtStart}.

**How the ratio is computed.** Direct node-llama-cpp and the daemon run in turn: in every round each Hotpath path (the streamed readers, then not streamed) is paired with a direct run of its own right before or after it (which of the two goes first alternates from pair to pair and from round to round), every request with a prompt of its own (no KV reuse). The ratio Hotpath ÷ direct is taken **per pair**, so load that drifts over seconds on a shared 2-core machine hits both halves of a pair alike; the rounds report the **median of the per-pair ratios**, with a distribution-free confidence interval for that median (order statistics of the sorted ratios: the ranks a Binomial(n, ½) gives; its actual coverage in brackets) and the interquartile range of the ratios. Decode tok/s is measured the same way on both sides, where the tokens are made: (tokens − 1) ÷ time from the first token's arrival from node-llama-cpp to the last token handed on (the direct loop detokenizes it; the daemon's generator yields it to the pipeline, which writes it to the socket) — the daemon reports it as \`timings.predicted_per_second\`, the direct loop times the same span itself.

Both paths hand on text: the direct loop detokenizes each token (with up to 4 earlier tokens as context, as node-llama-cpp's own streaming does); the HTTP client splits the event stream at blank lines and JSON-parses each event once, as SDKs do. "Client decode" is first to last text event as the client received them. CPU µs/token: time on CPU of the producing process's main thread (the direct loop's, or the daemon's event loop) and of the HTTP client's over the whole request, prefill included, on both sides, from /proc schedstat, per decoded token (an upper bound on the per-token share: the request's own work is in it); "decode window only": the producer's main thread from its first token to its last (the direct loop reads its own; the minimal client reads the daemon's at its first and last text chunk), per token step — per-request work (HTTP, pipeline, span) is not in it. llama.cpp threads' wait: run-queue wait of the producer's other threads (llama.cpp prefills and decodes on them) over the whole request per decoded token — time a batch was ready to run but had no core.

${reference ? "The reference server (test/bench/serve-reference.mjs) is the smallest streaming server on node-llama-cpp: the same model, threads and context size as the daemon, its own evaluate loop, one SSE frame per token in the daemon's format, decode timed like the daemon's; its rows are paired with direct runs like Hotpath's.\n\n" : ""}Streamed readers: *SDK-like* (fetch, events split and parsed; the headline); *minimal* (node:http, no per-event parse); *late* (raw socket with \`Connection: close\`, reads nothing until well after the daemon is done, so its process sleeps while tokens are made: what is left is the daemon's own streaming work${lateEarly ? `; in ${lateEarly} run(s) the read began before the end` : ""}).

| path | TTFT ms | prefill tok/s | decode tok/s | client decode tok/s | producer main thread CPU µs/token | … decode window only | client CPU µs/token | llama.cpp threads' wait µs/token |
|---|---|---|---|---|---|---|---|---|
${row("node-llama-cpp direct (every pair's direct run)", direct)}
${row("Hotpath HTTP (streamed, SDK-like client, client-timed TTFT)", samples("sdk"))}
${reference ? row("reference server: node-llama-cpp + SSE (SDK-like client)", samples("reference")) + "\n" : ""}${clients.includes("minimal") ? row("Hotpath HTTP (streamed, minimal client)", samples("minimal")) + "\n" : ""}${clients.includes("late") ? row("Hotpath HTTP (streamed, late reader, daemon-timed)", samples("late")) + "\n" : ""}${row("Hotpath HTTP (not streamed, daemon-timed)", samples("whole"))}

Per-pair ratios Hotpath ÷ direct (${runs} pairs per path):

| path | decode: median | decode: CI of the median | decode: IQR | prefill: median | prefill: CI | prefill: IQR | TTFT: median | TTFT: CI | TTFT: IQR |
|---|---|---|---|---|---|---|---|---|---|
${paths.map((p) => `| ${pathName[p]} | ${ratioCell(p, "decodeTps")} | ${ratioCell(p, "prefillTps")} | ${ratioCell(p, "ttftMs")} |`).join("\n")}

${pairsSection}**Streamed decode (SDK-like client): ${pooled ? `${fmt(pooled.ratio.value, 3)}× of direct over the decode pairs (95% interval ${fmt(pooled.ratio.low, 3)}–${fmt(pooled.ratio.high, 3)}; A/A ${fmt(pooled.aa.value, 3)}, ${fmt(pooled.aa.low, 3)}–${fmt(pooled.aa.high, 3)}): ${verdict}` : verdict}**; the rounds' median of per-pair ratios: ${fmt(median(headline), 3)} (CI of the median ${fmt(headlineCi.low, 3)}–${fmt(headlineCi.high, 3)}, ${fmt(headlineCi.coverage * 100, 0)}%). ${pooled?.overReference ? `Against the reference server (the same client, streaming from node-llama-cpp's own loop): ${fmt(pooled.overReference.value, 3)}× (95% interval ${fmt(pooled.overReference.low, 3)}–${fmt(pooled.overReference.high, 3)}); the reference itself ran at ${fmt(pooled.reference!.value, 3)}× of direct. ` : ""}The engine asks llama.cpp for the next token before it hands one on, so the per-token pipeline and SSE work overlaps decoding; client, daemon event loop and the llama.cpp thread still share 2 cores. No GPU was lent to the session that ran this.`;
  console.log(body);
  writeSection(modelParams === BENCH_PARAMS ? "serve" : `serve (${sizeLabel})`, body);
}
