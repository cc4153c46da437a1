// Anthropic Messages API as a ChatBackend: chat requests are translated to messages, answers back to events.
import type { ChatCompletionRequest } from "../../api.js";
import type { ChatBackend, ChatEvent, ChatOptions, TokenCount } from "../../chat.js";
import { chatToMessages, TranslationError } from "../translate/request.js";
import { messageToEvents } from "../translate/response.js";
import { anthropicStreamToEvents } from "../translate/stream.js";
import type { ProviderBackendOptions } from "./backend.js";
import { missingKeyMessage } from "../secrets.js";
import { passThrough } from "./passthrough.js";
import { postJson, readJson, sseMessages, UpstreamError } from "./upstream.js";

export class AnthropicBackend implements ChatBackend {
  readonly id: string;

  constructor(
    private readonly opts: ProviderBackendOptions,
    private readonly version: string,
  ) {
    this.id = opts.id;
  }

  /** The key and the request as a Messages body; a missing key or an untranslatable request fails here. */
  private prepare(request: ChatCompletionRequest): { key: string; body: Record<string, unknown> } {
    const key = this.opts.apiKey();
    if (!key) throw new UpstreamError(missingKeyMessage(this.opts.conn.name, this.opts.apiKeyRef), "config", 401);
    try {
      return { key, body: chatToMessages(request, this.opts.model) };
    } catch (e) {
      if (e instanceof TranslationError) throw new UpstreamError(e.message, "config", 400);
      throw e;
    }
  }

  /** Anthropic's own count (POST /v1/messages/count_tokens): its tokenizer is not public. */
  async countTokens(request: ChatCompletionRequest, signal: AbortSignal): Promise<TokenCount> {
    const { key, body } = this.prepare(request);
    // count_tokens takes the Messages body without generation settings.
    for (const k of ["max_tokens", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata"])
      delete body[k];
    const url = new URL(`${this.opts.baseURL.replace(/\/+$/, "")}/v1/messages/count_tokens`);
    const headers = { "x-api-key": key, "anthropic-version": this.version, accept: "application/json" };
    const res = await postJson(this.opts.conn, url, headers, body, signal, this.opts.timeoutMs);
    const answer = (await readJson(res, this.opts.conn.name)) as { input_tokens?: unknown };
    if (typeof answer.input_tokens !== "number" || !Number.isInteger(answer.input_tokens) || answer.input_tokens < 0) {
      throw new UpstreamError(
        `${this.opts.conn.name} answered count_tokens without a valid input_tokens`,
        "protocol",
        502,
      );
    }
    return { inputTokens: answer.input_tokens, tokenizer: "anthropic:count_tokens", exact: true };
  }

  async *chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    if (options.native?.format === "anthropic.messages") {
      const key = this.opts.apiKey();
      if (!key) throw new UpstreamError(missingKeyMessage(this.opts.conn.name, this.opts.apiKeyRef), "config", 401);
      // The client's anthropic-version and anthropic-beta go through (forwarded headers); the version defaults to ours.
      const auth = {
        "x-api-key": key,
        "anthropic-version": options.native.headers["anthropic-version"] ?? this.version,
      };
      yield* passThrough(
        this.opts,
        options.native,
        {
          format: "anthropic.messages",
          path: "/v1/messages",
          auth,
          parseStream: anthropicStreamToEvents,
          parseJson: (v) => messageToEvents(v as Parameters<typeof messageToEvents>[0]),
        },
        options.signal,
      );
      return;
    }
    const { key, body } = this.prepare(request);
    const stream = request.stream === true;
    const url = new URL(`${this.opts.baseURL.replace(/\/+$/, "")}/v1/messages`);
    const headers = {
      "x-api-key": key,
      "anthropic-version": this.version,
      accept: stream ? "text/event-stream" : "application/json",
    };
    const res = await postJson(this.opts.conn, url, headers, body, options.signal, this.opts.timeoutMs);
    if (!stream) {
      yield* messageToEvents(await readJson(res, this.opts.conn.name));
      return;
    }
    yield* anthropicStreamToEvents(sseMessages(res, this.opts.conn.name), this.opts.conn.name);
  }
}
