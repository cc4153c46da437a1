// POST /v1/chat/completions: validate, pick the backend, generate (streamed or not), record the span.
import { ChatCompletionRequestSchema, type ChatCompletionRequest } from "../../api.js";
import { collectChat, fullTimings, type Priority } from "../../chat.js";
import type { Route } from "../route.js";
import { nowMs, recordRequest, type RequestFacts } from "../request-span.js";
import { toHttpError } from "../errors.js";
import { writeChatStream } from "../openai-stream.js";
import { readPriority } from "../priority.js";
import { messageText } from "../../engine/prompt.js";

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
        endpoint: "chat",
        operation: "chat",
        model: request.model,
        route: `local:${request.model}`,
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
      try {
        const backend = await services.engine.backend(request.model);
        facts.route = backend.id;
        const headers = { "x-hotpath-route": backend.id };
        const events = backend.chat(request, { signal: ctx.signal, priority, requestId: ctx.requestId });
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
              record();
            },
          });
        } else {
          const completion = await collectChat(events, { id: chatId(ctx.requestId), model: request.model });
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
          record();
          ctx.send(200, completion, headers);
        }
      } catch (e) {
        const err = toHttpError(e);
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

