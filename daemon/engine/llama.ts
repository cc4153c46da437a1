// One llama.cpp runtime per process, with the GPU backend and thread count the user chose.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export type GpuChoice = "auto" | "cuda" | "vulkan" | "metal" | "off";

let runtime: Promise<Llama> | undefined;
let runtimeKey = "";

export function llamaRuntime(gpu: GpuChoice, maxThreads: number): Promise<Llama> {
  const key = `${gpu}:${maxThreads}`;
  if (runtime && runtimeKey === key) return runtime;
  runtimeKey = key;
  runtime = getLlama({
    gpu: gpu === "off" ? false : gpu,
    // Prebuilt binaries only: building llama.cpp at run time needs a toolchain and network a user may not have.
    build: "never",
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    // node-llama-cpp's default of 4 threads is 10-100x slower on 2-core machines.
    maxThreads,
  });
  return runtime;
}
