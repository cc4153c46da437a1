// Anthropic Messages API as a ChatBackend: chat requests are translated to messages, answers back to events.
import type { ChatCompletionRequest } from "../../api.js";
import type { ChatBackend, ChatEvent, ChatOptions, NativeRequest, TokenCount } from "../../chat.js";
import { chatToMessages, TranslationError } from "../translate/request.js";
import { messageToEvents } from "../translate/response.js";
import { anthropicStreamToEvents } from "../translate/stream.js";
import type { ProviderBackendOptions } from "./backend.js";
import { missingKeyMessage } from "../secrets.js";
import { passThrough, relayedResponseHeaders } from "./passthrough.js";
import { postJson, readJson, readJsonText, sseMessages, UpstreamError } from "./upstream.js";

export class AnthropicBackend implements ChatBackend {
  readonly id: string;

  constructor(
    private readonly opts: ProviderBackendOptions,
    private readonly version: string,
  ) {
    this.id = opts.id;
  }

  /** The provider's key; a missing one fails here, naming where it was expected. */
  private key(): string {
    const key = this.opts.apiKey();
    if (!key) throw new UpstreamError(missingKeyMessage(this.opts.conn.name, this.opts.apiKeyRef), "config", 401);
    return key;
  }

  /** The key and the request as a Messages body; a missing key or an untranslatable request fails here. */
  private prepare(request: ChatCompletionRequest): { key: string; body: Record<string, unknown> } {
    const key = this.key();
    try {
      return { key, body: chatToMessages(request, this.opts.model) };
    } catch (e) {
      if (e instanceof TranslationError) throw new UpstreamError(e.message, "config", 400);
      throw e;
    }
  }

  /**
   * Anthropic's own count (POST /v1/messages/count_tokens): its tokenizer is not public. A count request that came
   * in Anthropic's format (`native`) goes as sent — body, anthropic-* headers, query — with only model and key
   * changed (and generation settings left out), and its answer is relayed as it came; anything else is translated
   * from the chat request.
   */
  async countTokens(request: ChatCompletionRequest, signal: AbortSignal, native?: NativeRequest): Promise<TokenCount> {
    const same = native?.format === "anthropic.messages";
    const { key, body } = same
      ? { key: this.key(), body: { ...native.body, model: this.opts.model } }
      : this.prepare(request);
    // count_tokens takes the Messages body without generation settings (Anthropic refuses them as extra inputs);
    // clients that reuse a Messages body send them anyway.
    for (const k of ["max_tokens", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata"])
      delete body[k];
    const url = `${this.opts.baseURL.replace(/\/+$/, "")}/v1/messages/count_tokens${same ? native.query : ""}`;
    const version = (same && native.headers["anthropic-version"]) || this.version;
    const auth = { "x-api-key": key, "anthropic-version": version, accept: "application/json" };
    const headers = same ? { ...native.headers, ...auth } : auth;
    const res = await postJson(this.opts.conn, url, headers, body, { signal }, this.opts.timeoutMs);
    const { value: answer, text } = await readJsonText<{ input_tokens?: unknown }>(res, this.opts.conn.name);
    if (typeof answer.input_tokens !== "number" || !Number.isInteger(answer.input_tokens) || answer.input_tokens < 0) {
      throw new UpstreamError(
        `${this.opts.conn.name} answered count_tokens without a valid input_tokens`,
        "protocol",
        502,
      );
    }
    const wire = same ? { status: res.statusCode ?? 200, headers: relayedResponseHeaders(res), body: text } : undefined;
    return { inputTokens: answer.input_tokens, tokenizer: "anthropic:count_tokens", exact: true, wire };
  }

  // A plain method, not an async generator: a pass-through's own generator is handed back as it is, so each event of a
  // relayed answer crosses one generator layer fewer (a delegating `yield*` costs every event promise turns).
  chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const native = options.native;
    if (native?.format !== "anthropic.messages") return this.translated(request, options);
    return passThrough(
      this.opts,
      native,
      {
        format: "anthropic.messages",
        path: "/v1/messages",
        // Read when the stream is first pulled (a missing key fails there). The client's anthropic-version and
        // anthropic-beta go through (forwarded headers); the version defaults to ours.
        auth: () => ({
          "x-api-key": this.key(),
          "anthropic-version": native.headers["anthropic-version"] ?? this.version,
        }),
        parseStream: anthropicStreamToEvents,
        parseJson: (v) => messageToEvents(v as Parameters<typeof messageToEvents>[0]),
      },
      options,
    );
  }

  /** A request in Messages built from the internal request; the answer parsed into events. */
  private async *translated(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const { key, body } = this.prepare(request);
    const stream = request.stream === true;
    const url = `${this.opts.baseURL.replace(/\/+$/, "")}/v1/messages`;
    const headers = {
      "x-api-key": key,
      "anthropic-version": this.version,
      accept: stream ? "text/event-stream" : "application/json",
    };
    const res = await postJson(this.opts.conn, url, headers, body, options, this.opts.timeoutMs);
    if (!stream) {
      // Plain yields, not `yield*` over a sync iterable (see passthrough.ts).
      for (const e of messageToEvents(await readJson(res, this.opts.conn.name))) yield e;
      return;
    }
    yield* anthropicStreamToEvents(sseMessages(res, this.opts.conn.name), this.opts.conn.name);
  }
}
