// Runs audit requests in-process on a local GGUF through node-llama-cpp: the model's own chat template renders
// messages and tool definitions, temperature 0 is greedy decoding, and structured output (a forced tool call,
// tool_choice "required", response_format JSON) is enforced with a JSON-schema grammar, as llama-server does.
// One sequence, one request at a time, history cleared before each so every call starts from the same state.
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import {
  getLlama,
  LlamaCompletion,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type GbnfJsonSchema,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from "node-llama-cpp";
import type { ChatCompletion, ChatCompletionRequest, FinishReason } from "../../api.js";
import { CompletionError } from "../checks/index.js";
import { contentText } from "../sections/chat.js";
import { ggufCounter, type TokenCounter } from "../tokens.js";

export interface LocalCompleter {
  /** The name requests report as their model (the GGUF's file name without extension). */
  model: string;
  counter: TokenCounter;
  contextSize: number;
  complete(request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatCompletion>;
  dispose(): Promise<void>;
}

/** llama.cpp aborts the process on some missing hyper-parameters: refuse such a file before loading it. */
async function checkMetadata(path: string): Promise<void> {
  let info;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
  } catch (e) {
    throw new Error(`${path} is not a readable GGUF file: ${(e as Error).message}`);
  }
  const arch = info.architectureMetadata as Record<string, unknown>;
  for (const key of ["block_count", "embedding_length", "feed_forward_length", "attention"]) {
    if (arch?.[key] === undefined) throw new Error(`${path} lacks GGUF metadata "${key}" and cannot be loaded safely`);
  }
  if ((arch.attention as Record<string, unknown>)?.head_count === undefined) {
    throw new Error(`${path} lacks GGUF metadata "attention.head_count" and cannot be loaded safely`);
  }
}

export async function openLocalCompleter(
  path: string,
  opts: { threads?: number; contextSize?: number; gpu?: "auto" | "cuda" | "vulkan" | "metal" | false } = {},
): Promise<LocalCompleter> {
  await checkMetadata(path);
  const llama = await getLlama({ gpu: opts.gpu ?? "auto" });
  const model: LlamaModel = await llama.loadModel({ modelPath: path });
  const trained = model.trainContextSize ?? 2048;
  const context: LlamaContext = await model.createContext({
    // node-llama-cpp's default of 4 threads is 10–100× slower on 2-core machines.
    threads: opts.threads ?? Math.max(1, availableParallelism()),
    contextSize: Math.min(opts.contextSize ?? 4096, trained),
  });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  const wrapper = resolveChatWrapper(model);
  const name = basename(path).replace(/\.gguf$/i, "");
  let queue: Promise<unknown> = Promise.resolve();
  // The request's JSON schema is user data: node-llama-cpp's static schema types cannot describe it.
  const jsonGrammar = (schema: unknown) => llama.createGrammarForJsonSchema(schema as { type: "object" }) as Promise<LlamaGrammar>;
  let counter = 0;

  async function grammarFor(request: ChatCompletionRequest): Promise<{ grammar?: LlamaGrammar; tool?: string | "any" }> {
    const choice = request.tool_choice;
    const tools = request.tools ?? [];
    try {
      if (choice && typeof choice === "object") {
        const tool = tools.find((t) => t.function.name === choice.function.name);
        if (!tool) throw new CompletionError(`tool_choice names "${choice.function.name}", which is not among the request's tools`, 400);
        const schema = (tool.function.parameters ?? { type: "object", properties: {} }) as GbnfJsonSchema;
        return { grammar: await jsonGrammar(schema), tool: tool.function.name };
      }
      if (choice === "required") {
        if (!tools.length) throw new CompletionError(`tool_choice "required" needs at least one tool`, 400);
        const schema = {
          oneOf: tools.map((t) => ({
            type: "object",
            properties: { name: { const: t.function.name }, arguments: t.function.parameters ?? { type: "object", properties: {} } },
          })),
        } as unknown as GbnfJsonSchema;
        return { grammar: await jsonGrammar(schema), tool: "any" };
      }
      const rf = request.response_format;
      if (rf?.type === "json_schema" && rf.json_schema.schema) {
        return { grammar: await jsonGrammar(rf.json_schema.schema as GbnfJsonSchema) };
      }
      if (rf?.type === "json_object") return { grammar: await llama.getGrammarFor("json") };
    } catch (e) {
      if (e instanceof CompletionError) throw e;
      throw new CompletionError(`cannot build a grammar for this request: ${(e as Error).message}`, 400);
    }
    return {};
  }

  async function run(request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatCompletion> {
    signal.throwIfAborted();
    const history: ChatHistoryItem[] = [];
    for (const m of request.messages) {
      const text = contentText(m);
      if (m.role === "system" || m.role === "developer") history.push({ type: "system", text });
      else if (m.role === "user") history.push({ type: "user", text });
      else if (m.role === "assistant") history.push({ type: "model", response: [text] });
      else history.push({ type: "user", text: `Tool result: ${text}` });
    }
    history.push({ type: "model", response: [] });
    const functions: Record<string, ChatModelFunctions[string]> = {};
    for (const t of request.tools ?? []) {
      functions[t.function.name] = {
        ...(t.function.description ? { description: t.function.description } : {}),
        ...(t.function.parameters ? { params: t.function.parameters as GbnfJsonSchema } : {}),
      };
    }
    const state = wrapper.generateContextState({
      chatHistory: history,
      ...(request.tools?.length && request.tool_choice !== "none" ? { availableFunctions: functions, documentFunctionParams: true } : {}),
    });
    const tokens = state.contextText.tokenize(model.tokenizer);
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? 256;
    if (tokens.length + maxTokens > context.contextSize) {
      throw new CompletionError(
        `the prompt is ${tokens.length} tokens and max_tokens ${maxTokens}; the context holds ${context.contextSize}`,
        400,
      );
    }
    const { grammar, tool } = await grammarFor(request);
    const stop = request.stop ? (Array.isArray(request.stop) ? request.stop : [request.stop]) : [];
    await sequence.clearHistory();
    const started = performance.now();
    let firstTokenAt = 0;
    let generated = 0;
    const result = await completion.generateCompletionWithMeta(tokens, {
      maxTokens,
      temperature: request.temperature ?? 0,
      ...(request.top_p != null ? { topP: request.top_p } : {}),
      ...(request.seed != null ? { seed: request.seed } : {}),
      ...(grammar ? { grammar } : {}),
      ...(stop.length ? { customStopTriggers: stop } : {}),
      signal,
      onToken: (t) => {
        if (!firstTokenAt) firstTokenAt = performance.now();
        generated += t.length;
      },
    });
    const ended = performance.now();
    const finish: FinishReason = result.metadata.stopReason === "maxTokens" ? "length" : tool ? "tool_calls" : "stop";
    const text = result.response;
    let message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text, refusal: null };
    if (tool) {
      let name = tool;
      let args = text;
      if (tool === "any") {
        const parsed = JSON.parse(text) as { name: string; arguments: unknown };
        name = parsed.name;
        args = JSON.stringify(parsed.arguments ?? {});
      }
      message = {
        role: "assistant",
        content: null,
        tool_calls: [{ id: `call_${++counter}`, type: "function", function: { name, arguments: args } }],
        refusal: null,
      };
    }
    const ttft = (firstTokenAt || ended) - started;
    return {
      id: `audit-${counter}-${Date.now()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: name,
      system_fingerprint: "hotpath-audit-local",
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: {
        prompt_tokens: tokens.length,
        completion_tokens: generated,
        total_tokens: tokens.length + generated,
        prompt_tokens_details: { cached_tokens: 0 },
      },
      timings: {
        queue_ms: 0,
        prompt_n: tokens.length,
        prompt_ms: ttft,
        ttft_ms: ttft,
        predicted_n: generated,
        predicted_ms: ended - (firstTokenAt || ended),
        predicted_per_second: generated > 1 && firstTokenAt ? ((generated - 1) * 1000) / (ended - firstTokenAt) : 0,
      },
    };
  }

  return {
    model: name,
    counter: ggufCounter(model, basename(path)),
    contextSize: context.contextSize,
    complete(request, signal) {
      // One sequence: requests take turns.
      const next = queue.then(
        () => run(request, signal),
        () => run(request, signal),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    async dispose() {
      await queue.catch(() => undefined);
      await context.dispose();
      await model.dispose();
    },
  };
}
