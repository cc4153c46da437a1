// POST /v1/messages: the Anthropic Messages API over every route Hotpath serves (local models included), so
// Anthropic-SDK clients and Claude-Code-style agents can use it. Requests are translated to chat requests, routed
// like /v1/chat/completions, and answered as Anthropic JSON or Anthropic SSE; errors come in Anthropic's shape.
import { AnthropicMessagesRequestSchema, type AnthropicError, type AnthropicMessagesRequest } from "../../api.js";
import { fullTimings, type ChatEvent } from "../../chat.js";
import { Router, RouterError, type RouteResult } from "../../router/router.js";
import { messagesToChat, TranslationError } from "../../router/translate/request.js";
import { collectMessage } from "../../router/translate/response.js";
import { eventsToAnthropicStream } from "../../router/translate/stream.js";
import { toHttpError } from "../errors.js";
import { readPriority } from "../priority.js";
import { requestTraceContext } from "../../traces/traceparent.js";
import { nowMs, startRequest, type RequestFacts } from "../request-span.js";
import { HttpError, type Route } from "../route.js";
import { startSse, writeSse } from "../sse.js";
import { routeHeaders } from "./chat.js";

/** Anthropic's error types by HTTP status. */
export function anthropicErrorBody(e: HttpError): AnthropicError {
  const byStatus: Record<number, string> = {
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
  return { type: "error", error: { type: byStatus[e.status] ?? (e.status >= 500 ? "api_error" : "invalid_request_error"), message: e.message } };
}

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/messages",
    errorBody: anthropicErrorBody,
    async handle(ctx, services) {
      const startedAt = nowMs();
      const body: AnthropicMessagesRequest = await ctx.readJson(AnthropicMessagesRequestSchema);
      let request;
      try {
        request = messagesToChat(body);
      } catch (e) {
        if (e instanceof TranslationError) throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "messages");
        throw e;
      }
      // Without the header, the answering route's default decides (set from the route result below).
      const priority = readPriority(ctx.req.headers);
      const stream = body.stream === true;
      const id = `msg_${ctx.requestId.replace(/^req_/, "")}`;
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers),
        endpoint: "messages",
        operation: "chat",
        model: body.model,
        route: "",
        priority: priority ?? "interactive",
        stream,
        startedAt,
        endedAt: startedAt,
        status: 200,
        params: { maxTokens: body.max_tokens, temperature: body.temperature, topP: body.top_p },
        content: { system: typeof body.system === "string" ? body.system : body.system?.map((b) => b.text).join("\n\n"), input: body.messages, tools: body.tools },
      };
      const record = startRequest(services, facts);
      const fail = (e: unknown) => {
        const err = toHttpError(e);
        facts.status = err.status;
        facts.error = err.message;
        facts.errorType = err.code ?? err.type;
        return err;
      };
      let routed: RouteResult | undefined;
      try {
        routed = await services.router.chat(request, { signal: ctx.signal, priority, requestId: ctx.requestId, headers: ctx.req.headers });
        facts.route = routed.route;
        facts.priority = routed.priority;
        const headers = routeHeaders(routed);
        const events = observe(routed.events, facts);
        if (!stream) {
          const message = await collectMessage(events, { id, model: body.model });
          facts.content!.output = message.content;
          facts.extra = Router.spanAttributes(routed);
          record();
          ctx.send(200, message, headers);
          return;
        }
        startSse(ctx.res, headers);
        try {
          for await (const e of eventsToAnthropicStream(events, { id, model: body.model })) {
            if (e.event === "message_stop") {
              // The span is written before the last event, so a client that saw message_stop can rely on it.
              facts.extra = Router.spanAttributes(routed);
              record();
            }
            writeSse(ctx.res, e.data, e.event);
          }
        } catch (e) {
          // Headers are gone: report in-band as Anthropic does (an `error` event), then close.
          const err = fail(e);
          facts.extra = Router.spanAttributes(routed);
          record();
          if (err.status !== 499) writeSse(ctx.res, anthropicErrorBody(err), "error");
        }
        ctx.res.end();
      } catch (e) {
        const err = fail(e);
        if (e instanceof RouterError) {
          facts.route = e.decision.route;
          facts.extra = Router.spanAttributes({ ...e.decision, attempts: e.attempts });
        } else if (routed) facts.extra = Router.spanAttributes(routed);
        throw err;
      } finally {
        record();
      }
    },
  },
];

/** Passes events through, noting usage, timings and finish reason for the span. */
async function* observe(events: AsyncIterable<ChatEvent>, facts: RequestFacts): AsyncIterable<ChatEvent> {
  let text = "";
  for await (const e of events) {
    if (e.type === "text") text += e.text;
    else if (e.type === "done") {
      facts.usage = e.usage;
      facts.timings = fullTimings(e.timings);
      facts.finishReason = e.finishReason;
      facts.content!.output = text;
    }
    yield e;
  }
}

