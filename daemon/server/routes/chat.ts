// POST /v1/chat/completions: validate, route (local engine or cloud provider, see daemon/router), generate (streamed
// or not), record the span with the route decision, every attempt and the cost.
import { ChatCompletionRequestSchema, type ChatCompletionRequest } from "../../api.js";
import { collectChat, fullTimings, type Priority } from "../../chat.js";
import type { Route } from "../route.js";
import { requestTraceContext } from "../../traces/traceparent.js";
import { nowMs, recordRequest, type RequestFacts } from "../request-span.js";
import { toHttpError } from "../errors.js";
import { writeChatStream } from "../openai-stream.js";
import { readPriority } from "../priority.js";
import { messageText } from "../../engine/prompt.js";
import { Router, RouterError, type RouteResult } from "../../router/router.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/chat/completions",
    async handle(ctx, services) {
      const startedAt = nowMs();
      const request: ChatCompletionRequest = await ctx.readJson(ChatCompletionRequestSchema);
      const priority: Priority = readPriority(ctx.req.headers);
      const stream = request.stream === true;
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers),
        endpoint: "chat",
        operation: "chat",
        model: request.model,
        route: "",
        priority,
        stream,
        startedAt,
        endedAt: startedAt,
        status: 200,
        params: { maxTokens: request.max_completion_tokens ?? request.max_tokens, temperature: request.temperature, topP: request.top_p, seed: request.seed },
        content: {
          system: request.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => messageText(m.content)).join("\n\n"),
          input: request.messages,
          tools: request.tools,
        },
      };
      let recorded = false;
      const record = () => {
        if (recorded) return;
        recorded = true;
        services.metrics.inFlight.dec();
        facts.endedAt = nowMs();
        recordRequest(services, facts);
      };
      services.events.publish({ type: "request.started", requestId: ctx.requestId, at: startedAt, endpoint: "chat", model: request.model, priority, stream });
      services.metrics.inFlight.inc();
      let routed: RouteResult | undefined;
      try {
        routed = await services.router.chat(request, { signal: ctx.signal, priority, requestId: ctx.requestId, headers: ctx.req.headers });
        facts.route = routed.route;
        const headers = routeHeaders(routed);
        const events = routed.events;
        if (stream) {
          await writeChatStream(ctx.res, events, {
            id: chatId(ctx.requestId),
            model: request.model,
            includeUsage: request.stream_options?.include_usage === true,
            headers,
            beforeEnd: (outcome) => {
              facts.usage = outcome.done?.usage;
              facts.timings = outcome.done ? fullTimings(outcome.done.timings) : undefined;
              facts.finishReason = outcome.done?.finishReason;
              facts.content!.output = outcome.text;
              if (outcome.error) {
                const err = toHttpError(outcome.error);
                facts.status = err.status;
                facts.error = err.message;
                facts.errorType = err.code ?? err.type;
              }
              facts.extra = Router.spanAttributes(routed!);
              record();
            },
          });
        } else {
          const completion = await collectChat(events, { id: chatId(ctx.requestId), model: request.model });
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
          facts.extra = Router.spanAttributes(routed);
          record();
          ctx.send(200, completion, headers);
        }
      } catch (e) {
        const err = toHttpError(e);
        if (e instanceof RouterError) {
          facts.route = e.decision.route || facts.route;
          facts.extra = Router.spanAttributes({ ...e.decision, attempts: e.attempts });
        } else if (routed) facts.extra = Router.spanAttributes(routed);
        facts.status = err.status;
        facts.error = err.message;
        facts.errorType = err.code ?? err.type;
        throw err;
      } finally {
        record();
      }
    },
  },
];

export function chatId(requestId: string): string {
  return `chatcmpl-${requestId.replace(/^req_/, "")}`;
}


/** x-hotpath-route (and why): header values must be printable ASCII, whatever a model name holds. */
export function routeHeaders(r: { route: string; reason: string }): Record<string, string> {
  const ascii = (v: string) => v.replace(/[^\x20-\x7e]/g, "?").slice(0, 1024);
  return { "x-hotpath-route": ascii(r.route), "x-hotpath-route-reason": ascii(r.reason) };
}
