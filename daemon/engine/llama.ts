// One llama.cpp runtime per process, with the GPU backend and thread count the user chose — a GPU backend only once a
// child process has seen it run kernels (gpu-check.ts).
import { getLlama, getLlamaGpuTypes, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { checkGpuInChild, type GpuBackend, type GpuCheck } from "./gpu-check.js";

export type GpuChoice = "auto" | GpuBackend | "off";
export type RuntimeLog = (level: "info" | "warn", message: string) => void;

let runtime: Promise<Llama> | undefined;
let runtimeKey = "";
const decided = new Map<GpuChoice, Promise<GpuBackend | false>>();
/** Why a choice that wanted a GPU serves on the CPU (auto whose check failed), for `hotpath ps` and the models API. */
const fellBack = new Map<GpuChoice, string>();

/** Why `choice` serves on the CPU although a GPU backend was found: the check's failure; undefined otherwise. */
export function gpuFallback(choice: GpuChoice): string | undefined {
  return fellBack.get(choice);
}

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
 * The backend this process may load for a choice, decided once per process (a refusal too: fixing a driver needs a
 * restart, and a retried load must not start a check each time). No check where there is nothing to check: "off", or
 * "auto" on a machine without GPU libraries (node-llama-cpp's own detection, a few file lookups). Otherwise a child
 * process runs kernels on it first: "auto" falls back to the CPU with a warning, an explicit backend is refused with
 * the reason (an explicit one is checked even where detection finds no libraries: the loader may still find them).
 */
export function usableGpu(choice: GpuChoice, log: RuntimeLog = () => {}): Promise<GpuBackend | false> {
  let d = decided.get(choice);
  if (!d) {
    d = decide(choice, log);
    decided.set(choice, d);
  }
  return d;
}

async function decide(choice: GpuChoice, log: RuntimeLog): Promise<GpuBackend | false> {
  if (choice === "off") return false;
  if (choice !== "auto") return gpuVerdict(choice, await checked(choice, choice, log), log);
  const supported = (await getLlamaGpuTypes("supported")).filter((t): t is GpuBackend => t !== false);
  if (supported.length === 0) return false;
  // "auto" takes the first supported backend (node-llama-cpp's order), so that is the one a failed check tried.
  const check = await checked(choice, supported[0], log);
  if (!check.ok) fellBack.set(choice, failure(check, supported[0]));
  else if (check.gpu === false) {
    // node-llama-cpp's own auto fell back: the libraries are there by name, but no GPU build of its loads with them.
    const what = `node-llama-cpp found ${supported.join(" and ")} libraries but no GPU build of its loaded with them`;
    fellBack.set(choice, what);
    log("warn", `${what}; serving local models on the CPU. ${NO_BUILD_HINT}`);
  }
  return gpuVerdict(choice, check, log, supported[0]);
}

/** The check, announced: where the driver compiles the binaries' PTX it took 47 s on an H200 (docs/models.md#gpu). */
function checked(choice: GpuBackend | "auto", backend: GpuBackend, log: RuntimeLog): Promise<GpuCheck> {
  log(
    "info",
    `GPU check: running a small model on the ${backend} backend in a child process before the first model loads ` +
      "(on a GPU's first use this can take a minute or two while the driver compiles kernels; it caches them)",
  );
  return checkGpuInChild(choice);
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
  const what = failure(check, tried);
  const hint = /NoBinaryFoundError/.test(check.why ?? "") ? NO_BUILD_HINT : backend === "cuda" ? CUDA_HINT : "";
  if (choice === "auto") {
    log("warn", [`${what}; serving local models on the CPU.`, hint].filter(Boolean).join(" "));
    return false;
  }
  const todo = "Start with --gpu auto (the CPU where the GPU fails) or --gpu off.";
  throw new Error([`--gpu ${choice}: ${what}.`, hint, todo].filter(Boolean).join(" "));
}

/** What a failed check says, in words. */
function failure(check: GpuCheck, tried: GpuBackend | undefined): string {
  const backend = check.gpu || tried;
  return `the ${backend ?? "GPU"} backend${check.devices.length ? ` on ${check.devices.join(", ")}` : ""} could not run a model (${check.why})`;
}

// Facts of the pinned node-llama-cpp (3.22.1, @node-llama-cpp/linux-x64-cuda): revisit when it is upgraded.
const CUDA_HINT =
  "node-llama-cpp's prebuilt CUDA binaries are built with CUDA 13.1: on a GPU they carry no machine code for " +
  "(compute capability 9.0 such as H100/H200, 8.0, 7.5, …) the driver compiles their PTX, which needs an R590 or " +
  "newer driver: update the NVIDIA driver.";
const NO_BUILD_HINT =
  "node-llama-cpp has no build for it that loads here: its prebuilt binaries need the GPU driver's and runtime's " +
  "libraries where the dynamic loader finds them (CUDA: the driver's libcuda.so.1, CUDA's libcudart and libcublas, " +
  "e.g. on LD_LIBRARY_PATH; Vulkan: the loader libvulkan.so.1).";
