// A model's chat wrapper without holding the event loop. node-llama-cpp's resolveChatWrapper checks the GGUF's Jinja
// template against each wrapper it knows by rendering it many times: 2 ms for some models, 0.7–2.8 s for a ChatML one.
// A worker resolves it on the model's vocabulary (asked when the load starts, so it overlaps reading the weights);
// here the wrapper of that type is built with its default settings and kept only when it renders the probe
// conversations exactly as the worker's did (resolution may pick settings while matching the template, which a type
// name alone does not carry). Otherwise — a Jinja or custom template, a failed or slow worker — it is resolved here as
// before, on the event loop. A model without a template (known from the GGUF header before the load) asks no worker.
//
// The worker is never terminated while it runs node-llama-cpp code (its start-up or a vocabulary load): that aborted
// the whole process ("terminate called after throwing an instance of 'Napi::Error'", reproduced by ending it 2.7 s
// into its start-up while the main thread loaded a model). It ends only when idle, or when it has not answered in time.
import type { Worker } from "node:worker_threads";
import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { chatWrappers, resolveChatWrapper, specializedChatWrapperTypeNames } from "node-llama-cpp";
import { renderProbes } from "./chat-wrapper-probe.js";
import { startWorker } from "../worker-thread.js";

export type WrapperReply = { type?: string; probes: string; error?: undefined } | { error: string };

/** How long one resolution may take in the worker before the event loop does it. */
const WORKER_LIMIT_MS = 60_000;
/**
 * How long the worker stays up after its last answer. Starting one costs seconds of CPU (node-llama-cpp's import,
 * and getLlama tests its binary in a child process every time, 3–4 s at load 11): models loaded again after their
 * keep-alive reuse it; an idle daemon does not keep its memory.
 */
const WORKER_IDLE_MS = 120_000;

/** How the wrapper was found, for logs and tests. */
export type WrapperSource = "worker" | "event loop";

/** The one worker of this process that resolves chat wrappers; requests carry an id, answers name it. */
class WrapperWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (reply: WrapperReply) => void>();
  /** Requests the worker has not answered yet (its start-up runs before the first): it is busy in native code. */
  private unanswered = 0;
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly onEnd: (w: WrapperWorker) => void) {
    this.worker = startWorker(import.meta.url, "./chat-wrapper-worker.js", "./chat-wrapper-worker.ts", {
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    this.worker.on("message", ({ id, ...reply }: { id: number } & WrapperReply) => {
      this.unanswered--;
      this.answer(id, reply);
    });
    this.worker.once("error", (e) => this.end(`the worker failed: ${e.message}`));
    this.worker.once("exit", (code) => this.end(`the worker exited with code ${code}`));
    // Never what keeps a process alive: a load waiting on it is. After the listeners: adding a 'message' listener refs
    // the worker's port again, and `hotpath audit` then stayed up for the 2 min idle time after its work was done.
    this.worker.unref();
  }

  resolve(path: string): Promise<WrapperReply> {
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise<WrapperReply>((resolve) => {
      const timer = setTimeout(() => {
        this.answer(id, { error: `no answer within ${WORKER_LIMIT_MS / 1000} s` });
        // It may be stuck: the next load starts a fresh one. The one case that ends it while busy.
        this.end("it did not answer in time");
      }, WORKER_LIMIT_MS);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.unanswered++;
      this.worker.postMessage({ id, path });
    });
  }

  private answer(id: number, reply: WrapperReply): void {
    const settle = this.pending.get(id);
    this.pending.delete(id);
    settle?.(reply);
    if (this.unanswered === 0 && !this.ended) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.end("idle"), WORKER_IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.onEnd(this);
    for (const id of [...this.pending.keys()]) this.answer(id, { error: why });
    void this.worker.terminate();
  }
}

let shared: WrapperWorker | undefined;
let asked = 0;

function wrapperWorker(): WrapperWorker {
  shared ??= new WrapperWorker((ended) => {
    if (shared === ended) shared = undefined;
  });
  return shared;
}

/** How many resolutions this process has asked of a worker (tests: a model without a template asks none). */
export function resolutionsAsked(): number {
  return asked;
}

/**
 * Starts resolving the chat wrapper of the model file at `path` in the worker, so that it overlaps loading the
 * weights; `wrapperFor` then answers for the loaded model. Without a template in the file (`hasChatTemplate` from
 * the GGUF header) nothing is rendered to resolve — name and architecture decide — so no worker is asked: it would
 * only start up (a bundle compile and node-llama-cpp's import, ~0.3–3 s of a core) beside the thread calibration
 * that follows the load, which then measured stories260K at 0.4–0.6× its real speeds. A load that fails just drops
 * the answer.
 */
export class ChatWrapperResolution {
  private readonly reply: Promise<WrapperReply> | undefined;

  constructor(path: string, hasChatTemplate: boolean) {
    if (hasChatTemplate) {
      asked++;
      this.reply = wrapperWorker().resolve(path);
    }
  }

  async wrapperFor(
    model: LlamaModel,
    log: (message: string) => void = () => {},
  ): Promise<{ wrapper: ChatWrapper; source: WrapperSource }> {
    // An empty template counts as none (as node-llama-cpp's resolution does): the worker's answer is not needed.
    if (!this.reply || !model.fileInfo.metadata?.tokenizer?.chat_template?.trim())
      return { wrapper: resolveChatWrapper(model), source: "event loop" };
    const reply = await this.reply;
    if (reply.error === undefined && isSpecialized(reply.type)) {
      const wrapper = new chatWrappers[reply.type]();
      if (renderProbes(wrapper) === reply.probes) return { wrapper, source: "worker" };
    } else if (reply.error !== undefined)
      log(`chat template resolved on the event loop: the worker failed (${reply.error})`);
    return { wrapper: resolveChatWrapper(model), source: "event loop" };
  }
}

function isSpecialized(type: string | undefined): type is (typeof specializedChatWrapperTypeNames)[number] {
  return (specializedChatWrapperTypeNames as readonly string[]).includes(type ?? "");
}
