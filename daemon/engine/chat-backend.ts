// A local model as a ChatBackend: chat requests become prompt tokens, run through the shared token loop (plain text,
// JSON mode, forced tool calls) or through node-llama-cpp's LlamaChat (tool_choice "auto", where the chat template's
// own function-calling syntax decides).
import { LlamaChat } from "node-llama-cpp";
import type { ChatCompletionRequest } from "../api.js";
import type { ChatBackend, ChatEvent, ChatOptions, TokenCount } from "../chat.js";
import { Channel } from "./channel.js";
import { refuseUnfittable } from "./context-bound.js";
import { checkPromptFits, doneEvent, generate, type GenerateResult } from "./generate.js";
import type { LocalModel } from "./model.js";
import { renderChatPrompt, toChatHistory, toFunctions } from "./prompt.js";
import { checkRequestSchemas } from "./schema-limits.js";
import { forcedToolCallSchema, parseForcedToolCalls } from "./tool-grammar.js";

export const DEFAULT_MAX_TOKENS = 256;

/**
 * The answer's token budget: the request's, else DEFAULT_MAX_TOKENS. An explicit `max_completion_tokens: null` means
 * no cap (OpenAI's meaning; the Responses API without max_output_tokens asks this way): the rest of the context.
 */
function maxTokensOf(request: ChatCompletionRequest, contextSize: number): number {
  if (request.max_completion_tokens === null && request.max_tokens == null) return contextSize;
  return request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_TOKENS;
}

export class LocalChatBackend implements ChatBackend {
  readonly id: string;

  constructor(private readonly local: LocalModel) {
    this.id = `local:${local.alias}`;
  }

  chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    if (request.tools?.length && (request.tool_choice ?? "auto") === "auto")
      return this.chatWithFunctions(request, options);
    return this.chatWithTokenLoop(request, options);
  }

  /** The rendered prompt's length: chat template, tool definitions and all, with the model's own tokenizer. */
  async countTokens(request: ChatCompletionRequest): Promise<TokenCount> {
    const { local } = this;
    // Tokenizing is synchronous: text that cannot fit the context is not counted token by token.
    refuseUnfittable(local.model, messageChars(request), local.contextSize);
    const auto = request.tools?.length && (request.tool_choice ?? "auto") === "auto";
    const functions = auto || forcedToolCallSchema(request) ? toFunctions(request) : undefined;
    const prompt = renderChatPrompt(local.model, local.chatWrapper, request, functions, local.contextSize);
    return { inputTokens: prompt.tokens.length, tokenizer: `gguf:${local.alias}`, exact: true };
  }

  private async *chatWithTokenLoop(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const { local } = this;
    checkRequestSchemas(request);
    refuseUnfittable(local.model, messageChars(request), local.contextSize);
    const toolSchema = forcedToolCallSchema(request);
    const format = request.response_format;
    const schema = toolSchema ?? (format?.type === "json_schema" ? (format.json_schema.schema ?? {}) : undefined);
    const grammar = schema
      ? await local.grammarFor(schema)
      : format?.type === "json_object"
        ? await local.grammarFor("json")
        : undefined;
    const prompt = renderChatPrompt(
      local.model,
      local.chatWrapper,
      request,
      toolSchema ? toFunctions(request) : undefined,
      local.contextSize,
    );
    const stream = generate(
      local.model,
      local.pool,
      local.contextSize,
      {
        tokens: prompt.tokens,
        maxTokens: maxTokensOf(request, local.contextSize),
        temperature: request.temperature ?? 1,
        topP: request.top_p ?? undefined,
        seed: request.seed ?? undefined,
        stopStrings: stopList(request.stop),
        stopTokenSequences: prompt.stopTokenSequences,
        grammar,
        priority: options.priority,
        confidence: options.confidence,
        signal: options.signal,
        whileWaiting: options.whileWaiting,
      },
      local.speculative,
    );
    let result: GenerateResult;
    let toolText = "";
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        result = step.value;
        break;
      }
      // Forced tool calls are emitted whole at the end: their JSON is only meaningful once complete.
      if (toolSchema) toolText += step.value;
      else yield { type: "text", text: step.value };
    }
    let finishReason: "stop" | "length" | "tool_calls" = result.finishReason;
    if (toolSchema && result.finishReason === "stop") {
      for (const [index, call] of parseForcedToolCalls(toolText).entries()) {
        yield {
          type: "tool_call_delta",
          index,
          id: callId(options.requestId, index),
          name: call.name,
          arguments: call.arguments,
        };
      }
      finishReason = "tool_calls";
    } else if (toolSchema && toolText) {
      yield { type: "text", text: toolText }; // ran out of tokens mid-call: return what there is, finish_reason "length"
    }
    yield doneEvent(result, finishReason);
  }

  private async *chatWithFunctions(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const { local } = this;
    checkRequestSchemas(request);
    refuseUnfittable(local.model, messageChars(request), local.contextSize);
    const functions = toFunctions(request)!;
    const prompt = renderChatPrompt(local.model, local.chatWrapper, request, functions, local.contextSize);
    // LlamaChat would otherwise try to shift the history and fail with an error that is not the client's to read.
    checkPromptFits(prompt.tokens.length, local.contextSize, "with its tool definitions ");
    const lease = await local.pool.acquire(prompt.tokens, options.priority, options.signal);
    const started = performance.now();
    const channel = new Channel<ChatEvent>();
    let firstAt: number | undefined;
    const sequence = lease.sequence;
    const meterBefore = sequence.tokenMeter.usedInputTokens;
    const outBefore = sequence.tokenMeter.usedOutputTokens;
    const chat = new LlamaChat({
      contextSequence: sequence,
      chatWrapper: local.chatWrapper,
      autoDisposeSequence: false,
    });
    const run = chat
      .generateResponse(toChatHistory(request.messages), {
        functions: functions as any,
        documentFunctionParams: true,
        maxParallelFunctionCalls: request.parallel_tool_calls === false ? 1 : undefined,
        // Clamped to what the context has left after the prompt, as llama-server does (agents ask for 32k+).
        maxTokens: Math.max(
          1,
          Math.min(maxTokensOf(request, local.contextSize), local.contextSize - prompt.tokens.length),
        ),
        temperature: request.temperature ?? 1,
        topP: request.top_p ?? undefined,
        seed: request.seed ?? undefined,
        customStopTriggers: stopList(request.stop),
        signal: options.signal,
        onTextChunk: (text) => {
          firstAt ??= performance.now();
          channel.push({ type: "text", text });
        },
      })
      .then((response) => {
        firstAt ??= performance.now();
        const ended = performance.now();
        const calls = response.functionCalls ?? [];
        calls.forEach((call, index) =>
          channel.push({
            type: "tool_call_delta",
            index,
            id: callId(options.requestId, index),
            name: call.functionName,
            arguments: JSON.stringify(call.params ?? {}),
          }),
        );
        const promptN = sequence.tokenMeter.usedInputTokens - meterBefore;
        const predictedN = sequence.tokenMeter.usedOutputTokens - outBefore;
        const promptTokens = prompt.tokens.length;
        const stop = response.metadata.stopReason;
        channel.push({
          type: "done",
          finishReason: calls.length ? "tool_calls" : stop === "maxTokens" ? "length" : "stop",
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: predictedN,
            total_tokens: promptTokens + predictedN,
            prompt_tokens_details: { cached_tokens: Math.max(0, promptTokens - promptN) },
          },
          timings: {
            queue_ms: round(lease.queueMs),
            prompt_n: promptN,
            prompt_ms: round(firstAt - started),
            ttft_ms: round(lease.queueMs + firstAt - started),
            predicted_n: predictedN,
            predicted_ms: round(ended - firstAt),
            predicted_per_second: ended > firstAt ? round((predictedN * 1000) / (ended - firstAt)) : 0,
          },
          prefix: { ...lease.prefix, reusedTokens: Math.max(0, promptTokens - promptN) },
        });
        channel.close();
      })
      .catch((e) => channel.fail(e))
      .finally(() => {
        chat.dispose({ disposeSequence: false });
        lease.release();
      });
    // LlamaChat renders and evaluates the prompt from here on: the caller's work then (ChatOptions.whileWaiting).
    if (options.whileWaiting) setImmediate(options.whileWaiting);
    try {
      yield* channel;
    } finally {
      await run;
    }
  }
}

export function stopList(stop: string | string[] | null | undefined): string[] {
  if (!stop) return [];
  return (Array.isArray(stop) ? stop : [stop]).filter((s) => s.length > 0);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function callId(requestId: string, index: number): string {
  return `call_${requestId.replace(/^req_/, "").slice(0, 16)}_${index}`;
}

/** Characters of the messages' text: a lower bound on the prompt's length that needs no tokenizing. */
function messageChars(request: ChatCompletionRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    const content = m.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) for (const part of content) if (part.type === "text") chars += part.text.length;
  }
  return chars;
}
