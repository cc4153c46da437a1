// The worker side of chat-wrapper resolution: loads the model's vocabulary only (no weights) with its own llama.cpp
// runtime on the CPU, runs node-llama-cpp's resolveChatWrapper (its Jinja template checks take seconds for some
// models), and answers the chosen wrapper's type name and what it renders for the probe conversations.
import { parentPort, workerData } from "node:worker_threads";
import { chatWrappers, getLlama, LlamaLogLevel, resolveChatWrapper } from "node-llama-cpp";
import { renderProbes } from "./chat-wrapper-probe.js";
import type { WrapperReply } from "./chat-wrapper.js";

async function resolveInWorker(path: string): Promise<WrapperReply> {
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  try {
    const wrapper = resolveChatWrapper(model);
    const type = Object.entries(chatWrappers).find(([, C]) => wrapper.constructor === C)?.[0];
    return { type, probes: renderProbes(wrapper) };
  } finally {
    await model.dispose();
    await llama.dispose();
  }
}

resolveInWorker((workerData as { path: string }).path).then(
  (reply) => parentPort!.postMessage(reply),
  (e: Error) => parentPort!.postMessage({ error: e.message } satisfies WrapperReply),
);
