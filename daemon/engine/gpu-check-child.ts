// The child side of gpu-check.ts: loads the asked backend, a small generated model with every layer on the GPU, and
// runs a prompt batch and a few decode steps — the kernels a chat request needs first. Prints one JSON line when they
// ran; an error exits non-zero with its message on stderr; an abort in llama.cpp ends this process, not the daemon.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { writeGguf } from "./gguf/write.js";
import type { GpuBackend, GpuCheckReport } from "./gpu-check.js";

const { gpu, modelPath } = JSON.parse(process.argv[process.argv.length - 1]) as {
  gpu: GpuBackend | "auto";
  modelPath?: string;
};
const generated = modelPath ? undefined : join(tmpdir(), `hotpath-gpu-check-${process.pid}.gguf`);
try {
  // q8_0 like most served models; two layers and a 1,024-token vocabulary keep it ~1 MB.
  if (generated)
    writeGguf(generated, { seed: 3, vocabSize: 1024, nLayer: 2, nEmbd: 64, type: "q8_0", contextLength: 512 });
  const llama = await getLlama({ gpu, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  const devices = llama.gpu ? await llama.getGpuDeviceNames() : [];
  const model = await llama.loadModel({ modelPath: modelPath ?? generated!, gpuLayers: llama.gpu ? "max" : 0 });
  const context = await model.createContext({ contextSize: 256 });
  const sequence = context.getSequence();
  let steps = 0;
  for await (const _token of sequence.evaluate(model.tokenize("The GPU check runs a batch, then decodes."))) {
    if (++steps >= 4) break;
  }
  process.stdout.write(`${JSON.stringify({ gpu: llama.gpu, devices } satisfies GpuCheckReport)}\n`);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  if (generated) rmSync(generated, { force: true });
}
// Whatever the backend left running must not keep the check alive.
process.exit();
