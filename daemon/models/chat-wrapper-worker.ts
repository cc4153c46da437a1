// The worker side of chat-wrapper resolution: one llama.cpp runtime of its own on the CPU, started once and kept
// for the worker's life; for each model file asked (`{ id, path }`) it loads the vocabulary only (no weights), runs
// node-llama-cpp's resolveChatWrapper (its Jinja template checks take seconds for some models), and answers the chosen
// wrapper's type name and what it renders for the probe conversations.
import { parentPort } from "node:worker_threads";
import { chatWrappers, getLlama, LlamaLogLevel, resolveChatWrapper } from "node-llama-cpp";
import { renderProbes } from "./chat-wrapper-probe.js";
import type { WrapperReply } from "./chat-wrapper.js";

const runtime = getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });

async function resolveFor(path: string): Promise<WrapperReply> {
  const model = await (await runtime).loadModel({ modelPath: path, vocabOnly: true });
  try {
    const wrapper = resolveChatWrapper(model);
    const type = Object.entries(chatWrappers).find(([, C]) => wrapper.constructor === C)?.[0];
    return { type, probes: renderProbes(wrapper) };
  } finally {
    await model.dispose();
  }
}

parentPort!.on("message", ({ id, path }: { id: number; path: string }) => {
  resolveFor(path).then(
    (reply) => parentPort!.postMessage({ id, ...reply }),
    (e: Error) => parentPort!.postMessage({ id, error: e.message }),
  );
});
