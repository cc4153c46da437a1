// POST /v1/messages: Anthropic's Messages wire format in and out, over every route Hotpath serves (local models
// included), so Anthropic-SDK clients and Claude-Code-style agents get the same cache, priority classes, routing and
// cost as chat. The request is translated to the internal chat request; the pipeline (daemon/pipeline) does the rest.
import { AnthropicMessagesRequestSchema, type AnthropicError } from "../../api.js";
import { messagesToChat, TranslationError } from "../../router/translate/request.js";
import { collectMessage } from "../../router/translate/response.js";
import { eventsToAnthropicStream } from "../../router/translate/stream.js";
import { forwardableHeaders } from "../../router/providers/passthrough.js";
import { answerHeaders, ignoredHeader } from "../answer-headers.js";
import { peekEvents, relayWire } from "../relay.js";
import { caller } from "../caller.js";
import { toHttpError } from "../errors.js";
import { HttpError, type Route } from "../route.js";
import { sseFrame, startSse, writeSse } from "../sse.js";

/** Anthropic's error types by HTTP status. */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  504: "timeout_error",
  529: "overloaded_error",
};

export function anthropicErrorBody(e: HttpError): AnthropicError {
  const type = ERROR_TYPES[e.status] ?? (e.status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message: e.message } };
}

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/messages",
    errorBody: anthropicErrorBody,
    async handle(ctx, services) {
      const body = await ctx.readJson(AnthropicMessagesRequestSchema);
      // What a translated route leaves out (x-hotpath-ignored); an Anthropic route gets the request as sent.
      const ignored: string[] = [];
      let request;
      try {
        request = messagesToChat(body, ignored);
      } catch (e) {
        if (!(e instanceof TranslationError)) throw e;
        throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "messages");
      }
      const stream = body.stream === true;
      const answer = await services.pipeline.chat({
        ...caller(ctx, "messages", stream),
        request,
        native: {
          format: "anthropic.messages",
          body: JSON.parse((await ctx.readBody()).toString("utf8")) as Record<string, unknown>,
          headers: forwardableHeaders(ctx.req.headers),
          query: ctx.url.search,
        },
        record: {
          system: typeof body.system === "string" ? body.system : body.system?.map((b) => b.text).join("\n\n"),
          input: body.messages,
          tools: body.tools,
          params: { maxTokens: body.max_tokens, temperature: body.temperature, topP: body.top_p },
        },
      });
      const meta = { id: `msg_${ctx.requestId.replace(/^req_/, "")}`, model: body.model };
      const peeked = await peekEvents(answer.events);
      // Same-format pass-through: Anthropic's answer, byte for byte (the pipeline observes it for the span).
      if (peeked.first?.type === "wire")
        return void (await relayWire(ctx.res, peeked.events, answerHeaders(answer), (err) =>
          sseFrame(anthropicErrorBody(err), "error"),
        ));
      const headers = { ...answerHeaders(answer), ...ignoredHeader(ignored) };
      if (!stream) return ctx.send(200, await collectMessage(peeked.events, meta), headers);
      startSse(ctx.res, headers);
      try {
        for await (const e of eventsToAnthropicStream(peeked.events, meta)) writeSse(ctx.res, e.data, e.event);
      } catch (e) {
        // Headers are gone: report in-band as Anthropic does (an `error` event), then close.
        const err = toHttpError(e);
        if (err.status !== 499) writeSse(ctx.res, anthropicErrorBody(err), "error");
      }
      ctx.res.end();
    },
  },
];
