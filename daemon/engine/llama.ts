// One llama.cpp runtime per process, with the GPU backend and thread count the user chose — a GPU backend only once a
// child process has seen it run kernels (gpu-check.ts).
import { getLlama, getLlamaGpuTypes, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { checkGpuInChild, type GpuBackend, type GpuCheck } from "./gpu-check.js";

export type GpuChoice = "auto" | GpuBackend | "off";
export type RuntimeLog = (level: "info" | "warn", message: string) => void;

let runtime: Promise<Llama> | undefined;
let runtimeKey = "";
const decided = new Map<GpuChoice, Promise<GpuBackend | false>>();

export function llamaRuntime(gpu: GpuChoice, maxThreads: number, log: RuntimeLog = () => {}): Promise<Llama> {
  const key = `${gpu}:${maxThreads}`;
  if (runtime && runtimeKey === key) return runtime;
  runtimeKey = key;
  runtime = usableGpu(gpu, log).then((backend) =>
    getLlama({
      gpu: backend,
      // Prebuilt binaries only: building llama.cpp at run time needs a toolchain and network a user may not have.
      build: "never",
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
      // node-llama-cpp's default of 4 threads is 10-100x slower on 2-core machines.
      maxThreads,
    }),
  );
  // A refused backend is final for this choice, but a later call may be made with another.
  runtime.catch(() => {
    if (runtimeKey === key) runtime = undefined;
  });
  return runtime;
}

/**
 * The backend this process may load for a choice, decided once per process. No check where there is nothing to check:
 * "off", or "auto" on a machine without GPU libraries (node-llama-cpp's own detection, a few file lookups), or an
 * explicit backend whose libraries are missing (getLlama then says what is missing). Otherwise a child process runs
 * kernels on it first: "auto" falls back to the CPU with a warning, an explicit backend is refused with the reason.
 */
export function usableGpu(choice: GpuChoice, log: RuntimeLog = () => {}): Promise<GpuBackend | false> {
  let d = decided.get(choice);
  if (!d) {
    d = decide(choice, log);
    decided.set(choice, d);
    d.catch(() => decided.delete(choice));
  }
  return d;
}

async function decide(choice: GpuChoice, log: RuntimeLog): Promise<GpuBackend | false> {
  if (choice === "off") return false;
  const supported = (await getLlamaGpuTypes("supported")).filter((t): t is GpuBackend => t !== false);
  if (choice === "auto" && supported.length === 0) return false;
  if (choice !== "auto" && !supported.includes(choice)) return choice;
  const check = await checkGpuInChild(choice);
  // "auto" takes the first supported backend (node-llama-cpp's order), so that is the one a failed check tried.
  return gpuVerdict(choice, check, log, choice === "auto" ? supported[0] : choice);
}

/** What a check's result means for a choice (exported for its tests: the GPU-less CI cannot make a real GPU fail). */
export function gpuVerdict(
  choice: GpuChoice,
  check: GpuCheck,
  log: RuntimeLog,
  tried: GpuBackend | undefined = choice === "auto" || choice === "off" ? undefined : choice,
): GpuBackend | false {
  if (check.ok) {
    if (check.gpu)
      log("info", `GPU check: ${check.gpu} ran kernels on ${check.devices.join(", ") || "the GPU"} (${check.ms} ms)`);
    return check.gpu;
  }
  const backend = check.gpu || tried;
  const what = `the ${backend ?? "GPU"} backend${check.devices.length ? ` on ${check.devices.join(", ")}` : ""} could not run a model (${check.why})`;
  const hint = backend === "cuda" ? CUDA_HINT : "";
  if (choice === "auto") {
    log("warn", `${what}; serving local models on the CPU. ${hint}`.trim());
    return false;
  }
  throw new Error(`--gpu ${choice}: ${what}. ${hint || "Start with --gpu auto or --gpu off."}`.trim());
}

// Facts of the pinned node-llama-cpp (3.22.1, @node-llama-cpp/linux-x64-cuda): revisit when it is upgraded.
const CUDA_HINT =
  "node-llama-cpp's prebuilt CUDA binaries are built with CUDA 13.1: on a GPU they carry no machine code for " +
  "(compute capability 9.0 such as H100/H200, 8.0, 7.5, …) the driver compiles their PTX, which needs an R590 or " +
  "newer driver. Update the NVIDIA driver, or start with --gpu off.";
