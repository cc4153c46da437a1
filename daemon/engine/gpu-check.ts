// Whether the GPU backend node-llama-cpp would pick can run kernels here, asked of a child process before this process
// loads that backend. Why a child: a prebuilt binary can load and name the GPU, yet abort its process at the first
// kernel, and an abort cannot be caught. Seen on an H200 with driver 580.159 (CUDA 13.0): node-llama-cpp 3.22.1's CUDA
// build carries machine code for compute capability 8.6, 8.9, 12.0 and 12.1 only, and PTX of ISA 9.1 (CUDA 13.1) for
// the rest, which that driver cannot compile; getLlama succeeded and named the GPU, and the first llama_decode aborted
// with "ggml-cuda.cu:108: CUDA error". The daemon must serve on the CPU then, not die at its first request.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export type GpuBackend = "cuda" | "vulkan" | "metal";

export interface GpuCheck {
  /** The child loaded the backend, a small model with every layer on it, and ran a batch and a few decode steps. */
  ok: boolean;
  /** The backend the child's getLlama resolved to (false: the CPU build). */
  gpu: GpuBackend | false;
  /** GPU names the backend reported. */
  devices: string[];
  /** What went wrong, when not ok: the child's error, or how it ended and the last lines it printed. */
  why?: string;
  ms: number;
}

export interface GpuCheckOptions {
  /** Default 120 s: a GPU without machine code in the binary compiles PTX at its first kernels, which takes a while. */
  timeoutMs?: number;
  /** A model to run instead of the generated one (tests: one llama.cpp aborts on). */
  modelPath?: string;
}

/** The child's one line on stdout once its kernels ran. */
export interface GpuCheckReport {
  gpu: GpuBackend | false;
  devices: string[];
}

export function checkGpuInChild(gpu: GpuBackend | "auto", o: GpuCheckOptions = {}): Promise<GpuCheck> {
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 120_000;
  // The bundle runs gpu-check-child.js beside it; from the sources (tests), the .ts file under tsx.
  const args = import.meta.url.endsWith(".ts")
    ? ["--import", "tsx", fileURLToPath(new URL("./gpu-check-child.ts", import.meta.url))]
    : [fileURLToPath(new URL("./gpu-check-child.js", import.meta.url))];
  const child = spawn(process.execPath, [...args, JSON.stringify({ gpu, modelPath: o.modelPath })], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  // Only the end matters (the error, the abort's message); a backtrace can be long.
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-8192)));
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const finish = (ok: boolean, gpuUsed: GpuBackend | false, devices: string[], why?: string) => {
      clearTimeout(timer);
      resolve({ ok, gpu: gpuUsed, devices, ...(why ? { why } : {}), ms: Math.round(performance.now() - started) });
    };
    child.on("error", (e) => finish(false, false, [], `the check could not start: ${e.message}`));
    child.on("close", (code, signal) => {
      const report = lastJsonLine(stdout);
      if (code === 0 && report) return finish(true, report.gpu, report.devices);
      const how = timedOut
        ? `no answer within ${+(timeoutMs / 1000).toFixed(1)} s`
        : signal
          ? `the check process was ended by ${signal}`
          : `the check process exited with code ${code}`;
      const said = tellingLines(stderr);
      finish(false, report?.gpu ?? false, report?.devices ?? [], said ? `${how}: ${said}` : how);
    });
  });
}

function lastJsonLine(text: string): GpuCheckReport | undefined {
  const line = text.trim().split("\n").pop();
  try {
    const v = JSON.parse(line ?? "") as GpuCheckReport;
    return Array.isArray(v.devices) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The lines of a child's stderr that say what failed: not the backtrace's frames, at most three. */
function tellingLines(stderr: string): string {
  return (
    stderr
      .split("\n")
      .map((l) => l.trim())
      // A glibc backtrace frame ends in its address ("/lib/x.so(+0x1c8eb)[0x7ff3e98348eb]", "/tmp/node[0x18a7b40]").
      .filter((l) => l && !/\[0x[0-9a-f]+\]$/.test(l) && !/^(at |node:internal|Node\.js v)/.test(l))
      .slice(-3)
      .join(" · ")
  );
}
