// A model's chat wrapper without holding the event loop. node-llama-cpp's resolveChatWrapper checks the GGUF's Jinja
// template against each wrapper it knows by rendering it many times: 2 ms for some models, 0.7–2.8 s for a ChatML one.
// A worker resolves it on the model's vocabulary (started with the load, so it overlaps reading the weights); here the wrapper of that type is built with its default settings
// and kept only when it renders the probe conversations exactly as the worker's did (resolution may pick settings
// while matching the template, which a type name alone does not carry). Otherwise — a Jinja or custom template, a
// failed or slow worker — it is resolved here as before, on the event loop.
import type { Worker } from "node:worker_threads";
import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { chatWrappers, resolveChatWrapper, specializedChatWrapperTypeNames } from "node-llama-cpp";
import { renderProbes } from "./chat-wrapper-probe.js";
import { startWorker } from "../worker-thread.js";

export type WrapperReply = { type?: string; probes: string; error?: undefined } | { error: string };

/** How long the worker may take (it loads the vocabulary and a runtime of its own) before the event loop does it. */
const WORKER_LIMIT_MS = 60_000;

/** How the wrapper was found, for logs and tests. */
export type WrapperSource = "worker" | "event loop";

/**
 * Starts resolving the chat wrapper of the model file at `path` in a worker, so that it overlaps loading the weights;
 * `wrapperFor` then answers for the loaded model. Call `cancel` when the load fails.
 */
export class ChatWrapperResolution {
  private worker: Worker | undefined;
  private readonly reply: Promise<WrapperReply>;

  constructor(path: string) {
    this.reply = this.resolveInWorker(path).catch((e: Error): WrapperReply => ({ error: e.message }));
  }

  async wrapperFor(
    model: LlamaModel,
    log: (message: string) => void = () => {},
  ): Promise<{ wrapper: ChatWrapper; source: WrapperSource }> {
    // Without a Jinja template nothing is rendered to resolve (name and architecture decide): quick here.
    if (!model.fileInfo.metadata?.tokenizer?.chat_template?.trim()) {
      this.cancel();
      return { wrapper: resolveChatWrapper(model), source: "event loop" };
    }
    const reply = await this.reply;
    if (reply.error === undefined && isSpecialized(reply.type)) {
      const wrapper = new chatWrappers[reply.type]();
      if (renderProbes(wrapper) === reply.probes) return { wrapper, source: "worker" };
    } else if (reply.error !== undefined)
      log(`chat template resolved on the event loop: the worker failed (${reply.error})`);
    return { wrapper: resolveChatWrapper(model), source: "event loop" };
  }

  cancel(): void {
    void this.worker?.terminate();
  }

  private resolveInWorker(path: string): Promise<WrapperReply> {
    const worker = startWorker(import.meta.url, "./chat-wrapper-worker.js", "./chat-wrapper-worker.ts", {
      workerData: { path },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    this.worker = worker;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<WrapperReply>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${WORKER_LIMIT_MS / 1000} s`)), WORKER_LIMIT_MS);
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
    }).finally(() => {
      clearTimeout(timer);
      void worker.terminate();
    });
  }
}

function isSpecialized(type: string | undefined): type is (typeof specializedChatWrapperTypeNames)[number] {
  return (specializedChatWrapperTypeNames as readonly string[]).includes(type ?? "");
}
