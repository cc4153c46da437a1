// OpenAI Chat Completions as a ChatBackend (also the base of openai-compatible upstreams).
import type { ChatCompletionRequest, FinishReason, ToolCall, Usage } from "../../api.js";
import { usageOf, type ChatBackend, type ChatEvent, type ChatOptions } from "../../chat.js";
import type { ProviderBackendOptions } from "./backend.js";
import { missingKeyMessage } from "../secrets.js";
import { passThrough } from "./passthrough.js";
import { responsesStreamToEvents, responseToEvents } from "../translate/responses.js";
import { parseStreamEvent, postJson, readJson, sseMessages, UpstreamError } from "./upstream.js";

interface OpenAIChoiceDelta {
  content?: string | null;
  tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
}
interface OpenAIChunk {
  model?: string;
  choices?: { delta?: OpenAIChoiceDelta; finish_reason?: string | null }[];
  usage?: Partial<Usage> | null;
  error?: { message?: string; type?: string };
}
interface OpenAICompletion {
  model?: string;
  choices?: { message?: { content?: string | null; tool_calls?: ToolCall[] }; finish_reason?: string | null }[];
  usage?: Partial<Usage>;
}

export class OpenAIBackend implements ChatBackend {
  readonly id: string;
  /** Whether the upstream understands stream_options.include_usage (OpenAI does; some compatible servers refuse it). */
  protected streamUsage = true;
  protected requireKey = true;
  /** Whether the upstream serves the Responses API (OpenAI does; compatible servers are asked in chat format). */
  protected speaksResponses = true;

  constructor(protected readonly opts: ProviderBackendOptions) {
    this.id = opts.id;
  }

  // A plain method, not an async generator: a pass-through's own generator is handed back as it is, so each event of a
  // relayed answer crosses one generator layer fewer (a delegating `yield*` costs every event promise turns).
  chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const native = options.native;
    // A streamed chat request passes through only when it asks for usage itself: without the usage chunk the
    // answer could not be priced, and adding stream_options would change what the client receives.
    const chatPasses =
      native?.format === "openai.chat" &&
      (native.body.stream !== true ||
        (native.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true);
    if (!native || !(chatPasses || (native.format === "openai.responses" && this.speaksResponses)))
      return this.translated(request, options);
    // The key is read when the stream is first pulled (a missing one fails there, as from any backend's stream).
    const auth = (): Record<string, string> => {
      const key = this.key();
      return key ? { authorization: `Bearer ${key}` } : {};
    };
    return passThrough(
      this.opts,
      native,
      native.format === "openai.chat"
        ? {
            format: native.format,
            path: "/chat/completions",
            auth,
            parseStream: chunkEvents,
            parseJson: (v) => completionEvents(v as OpenAICompletion, this.opts.conn.name),
          }
        : {
            format: native.format,
            path: "/responses",
            auth,
            parseStream: (m, p) => responsesStreamToEvents(m, p),
            parseJson: (v) => responseToEvents(v as object),
          },
      options,
    );
  }

  /** The provider's key; a provider that needs one and has none fails here. */
  private key(): string | undefined {
    const key = this.opts.apiKey();
    if (!key && this.requireKey) {
      throw new UpstreamError(missingKeyMessage(this.opts.conn.name, this.opts.apiKeyRef), "config", 401);
    }
    return key;
  }

  /** A request in Chat Completions built from the internal request; the answer parsed into events. */
  private async *translated(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const key = this.key();
    const stream = request.stream === true;
    const body: Record<string, unknown> = { ...request, model: this.opts.model, stream };
    delete body.keep_alive; // Hotpath's own (local model residency); OpenAI refuses unknown parameters
    if (stream && this.streamUsage) body.stream_options = { include_usage: true };
    else delete body.stream_options;
    const headers: Record<string, string> = {
      accept: stream ? "text/event-stream" : "application/json",
      "x-request-id": options.requestId,
    };
    if (key) headers.authorization = `Bearer ${key}`;
    const url = `${this.opts.baseURL.replace(/\/+$/, "")}/chat/completions`;
    const res = await postJson(this.opts.conn, url, headers, body, options, this.opts.timeoutMs);
    if (!stream) {
      // Plain yields, not `yield*` over a sync iterable (see passthrough.ts).
      const events = completionEvents(await readJson<OpenAICompletion>(res, this.opts.conn.name), this.opts.conn.name);
      for (const e of events) yield e;
      return;
    }
    yield* chunkEvents(sseMessages(res, this.opts.conn.name), this.opts.conn.name);
  }
}

export function mapFinish(reason: string | null | undefined, hasTools: boolean): FinishReason {
  switch (reason) {
    case "length":
    case "tool_calls":
    case "content_filter":
      return reason;
    case "function_call":
      return "tool_calls";
    default:
      return hasTools ? "tool_calls" : "stop";
  }
}

export function normalizeUsage(u: Partial<Usage> | null | undefined): Usage {
  return usageOf({
    input: u?.prompt_tokens,
    output: u?.completion_tokens,
    total: u?.total_tokens,
    cached: u?.prompt_tokens_details?.cached_tokens,
  });
}

function* completionEvents(c: OpenAICompletion, provider: string): Iterable<ChatEvent> {
  const choice = c.choices?.[0];
  if (!choice?.message) throw new UpstreamError(`${provider} sent a completion without choices`, "protocol", 502);
  if (choice.message.content) yield { type: "text", text: choice.message.content };
  const calls = choice.message.tool_calls ?? [];
  for (const [index, call] of calls.entries()) {
    yield { type: "tool_call_delta", index, id: call.id, name: call.function.name, arguments: call.function.arguments };
  }
  yield {
    type: "done",
    finishReason: mapFinish(choice.finish_reason, calls.length > 0),
    usage: normalizeUsage(c.usage),
    model: c.model,
  };
}

async function* chunkEvents(messages: AsyncIterable<{ data: string }>, provider: string): AsyncIterable<ChatEvent> {
  let finish: string | null | undefined;
  let usage: Partial<Usage> | null | undefined;
  let model: string | undefined;
  let sawTools = false;
  for await (const m of messages) {
    if (m.data === "[DONE]") {
      yield { type: "done", finishReason: mapFinish(finish, sawTools), usage: normalizeUsage(usage), model };
      return;
    }
    const chunk = parseStreamEvent<OpenAIChunk>(m.data, provider);
    if (chunk.error)
      throw new UpstreamError(
        `${provider} failed mid-stream: ${chunk.error.message ?? "unknown error"}`,
        "http",
        502,
        undefined,
        chunk.error.type,
      );
    model ??= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (choice.finish_reason) finish = choice.finish_reason;
    const delta = choice.delta;
    if (delta?.content) yield { type: "text", text: delta.content };
    for (const t of delta?.tool_calls ?? []) {
      sawTools = true;
      yield {
        type: "tool_call_delta",
        index: t.index,
        id: t.id,
        name: t.function?.name,
        arguments: t.function?.arguments ?? "",
      };
    }
  }
  // Some compatible servers end without [DONE]: accept a stream that at least said how it finished.
  if (finish) {
    yield { type: "done", finishReason: mapFinish(finish, sawTools), usage: normalizeUsage(usage), model };
    return;
  }
  throw new UpstreamError(`${provider} ended the stream before it finished`, "connection");
}
