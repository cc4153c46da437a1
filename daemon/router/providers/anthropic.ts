// Anthropic Messages API as a ChatBackend: chat requests are translated to messages, answers back to events.
import type { ChatCompletionRequest } from "../../api.js";
import type { ChatBackend, ChatEvent, ChatOptions } from "../../chat.js";
import { chatToMessages, TranslationError } from "../translate/request.js";
import { messageToEvents } from "../translate/response.js";
import { anthropicStreamToEvents } from "../translate/stream.js";
import type { ProviderBackendOptions } from "./backend.js";
import { postJson, readJson, sseMessages, UpstreamError } from "./upstream.js";

export class AnthropicBackend implements ChatBackend {
  readonly id: string;

  constructor(
    private readonly opts: ProviderBackendOptions,
    private readonly version: string,
  ) {
    this.id = opts.id;
  }

  async *chat(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatEvent> {
    const key = this.opts.apiKey();
    if (!key) throw new UpstreamError(`no API key for provider ${this.opts.conn.name}: set the environment variable its apiKey names`, "config", 401);
    let body: Record<string, unknown>;
    try {
      body = chatToMessages(request, this.opts.model);
    } catch (e) {
      if (e instanceof TranslationError) throw new UpstreamError(e.message, "config", 400);
      throw e;
    }
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
