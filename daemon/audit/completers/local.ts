// Runs audit requests in-process on a local GGUF through Hotpath's own engine (the code path `hotpath serve` uses):
// the model's chat template renders messages and tool definitions, forced tool calls and response_format are held
// to a JSON-schema grammar, and requests the engine cannot serve are refused the way the HTTP API refuses them.
import { tmpdir } from "node:os";
import { basename } from "node:path";
import type { ChatCompletion, ChatCompletionRequest } from "../../api.js";
import { collectChat } from "../../chat.js";
import { Engine } from "../../engine/engine.js";
import { ContextOverflowError } from "../../engine/generate.js";
import { InputLimitError } from "../../limits.js";
import type { GpuChoice } from "../../engine/llama.js";
import { UnsupportedContentError } from "../../engine/prompt.js";
import { CompletionError } from "../checks/index.js";
import { ggufCounter, type TokenCounter } from "../tokens.js";
import { refuseInvalid } from "./refuse.js";

export interface LocalCompleter {
  /** The name requests report as their model (the GGUF's file name without extension). */
  model: string;
  counter: TokenCounter;
  contextSize: number;
  complete(request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatCompletion>;
  dispose(): Promise<void>;
}

export async function openLocalCompleter(
  path: string,
  opts: { threads?: number; contextSize?: number; gpu?: GpuChoice | false } = {},
): Promise<LocalCompleter> {
  const name = basename(path).replace(/\.gguf$/i, "");
  const engine = new Engine({
    gpu: opts.gpu === false ? "off" : (opts.gpu ?? "auto"),
    // node-llama-cpp's default of 4 threads is 10–100× slower on 2-core machines; callers pass the configured count.
    threads: opts.threads ?? 1,
    contextSize: opts.contextSize ?? 4096,
    // One sequence: audit calls take turns, so latencies are comparable across variants.
    sequences: 1,
    maxQueued: 100_000,
    modelsDir: tmpdir(),
    showProgress: false,
    log: () => undefined,
    // The command's user waits for its model whatever it takes; the daemon's 30 s (then 503) is for HTTP clients. On
    // a loaded machine a load past 30 s had ended an audit with "still loading; retry shortly".
    loadWaitMs: Infinity,
  });
  engine.add([{ alias: name, source: path }]);
  let ready;
  try {
    ready = await engine.ready(name);
  } catch (e) {
    await engine.dispose();
    throw e;
  }
  const { backend, model } = ready;
  let n = 0;
  return {
    model: name,
    counter: ggufCounter(model.model, basename(path)),
    contextSize: model.contextSize,
    async complete(request, signal) {
      refuseInvalid(request);
      const requestId = `audit-${++n}`;
      try {
        return await collectChat(backend.chat(request, { signal, priority: "background", requestId }), {
          id: requestId,
          model: name,
        });
      } catch (e) {
        if (e instanceof ContextOverflowError || e instanceof UnsupportedContentError || e instanceof InputLimitError) {
          throw new CompletionError(e.message, 400);
        }
        throw e;
      }
    },
    dispose: () => engine.dispose(),
  };
}
