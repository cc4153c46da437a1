// POST /v1/chat/completions: validate, look the answer up in the response cache, else route (local engine or cloud
// provider, see daemon/router) and generate (streamed or not), store a cacheable answer, and record the span with the
// cache verdict, the route decision, every attempt and the cost.
import { ChatCompletionRequestSchema, type ChatCompletion, type ChatCompletionRequest } from "../../api.js";
import type { LookupResult } from "../../cache/service.js";
import { collectChat, fullTimings, replayChat, type ChatEvent } from "../../chat.js";
import { messageText } from "../../engine/prompt.js";
import { Router, RouterError, type RouteResult } from "../../router/router.js";
import { requestTraceContext } from "../../traces/traceparent.js";
import { toHttpError } from "../errors.js";
import { writeChatStream } from "../openai-stream.js";
import { readPriority } from "../priority.js";
import { nowMs, startRequest, type RequestFacts } from "../request-span.js";
import type { Route } from "../route.js";
import { cacheAttributes, cacheHeaders } from "../cache-verdict.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/chat/completions",
    async handle(ctx, services) {
      const startedAt = nowMs();
      const request: ChatCompletionRequest = await ctx.readJson(ChatCompletionRequestSchema);
      // Without the header, the answering route's default decides (set from the route result below).
      const priority = readPriority(ctx.req.headers);
      const stream = request.stream === true;
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers),
        endpoint: "chat",
        operation: "chat",
        model: request.model,
        route: "",
        priority: priority ?? "interactive",
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
      const record = startRequest(services, facts);
      let routed: RouteResult | undefined;
      let look: LookupResult | undefined;
      // The cache is keyed on what the client asked for (model or alias), before any routing decision.
      const cacheCtx = { route: request.model, headers: ctx.req.headers, signal: ctx.signal };
      let stored = false;
      try {
        look = await services.cache.lookup(request, cacheCtx);
        services.cacheMetrics.lookup.observe({ verdict: look.verdict }, look.lookupMs / 1000);
        facts.extra = cacheAttributes(look);
        const verdictHeaders = cacheHeaders(look);
        const cached = look.verdict === "hit" && look.response?.object === "chat.completion" ? look.response : undefined;
        if (cached) {
          // Replay: same answer, this request's id and model name; streamed requests get a well-formed SSE stream.
          const completion: ChatCompletion = { ...cached, id: chatId(ctx.requestId), model: request.model };
          facts.route = "cache";
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
          const headers = { "x-hotpath-route": "cache", ...verdictHeaders };
          if (stream) {
            await writeChatStream(ctx.res, replayChat(completion), {
              id: completion.id,
              model: request.model,
              includeUsage: request.stream_options?.include_usage === true,
              headers,
              beforeEnd: () => record(),
            });
          } else {
            record();
            ctx.send(200, completion, headers);
          }
          return;
        }

        routed = await services.router.chat(request, { signal: ctx.signal, priority, requestId: ctx.requestId, headers: ctx.req.headers });
        facts.route = routed.route;
        facts.priority = routed.priority;
        const events = tapDone(routed.events, (done) => (facts.prefix = done.prefix));
        const headers = { ...routeHeaders(routed), ...verdictHeaders };
        const keep = (completion: ChatCompletion) => {
          if (!look?.storable) return;
          stored = true;
          services.cache.store(request, cacheCtx, completion, { latencyMs: nowMs() - startedAt, costUsd: routed?.costUsd }).catch((e: Error) => {
            services.log("warn", `cache: could not store ${ctx.requestId}: ${e.message}`);
          });
        };
        if (stream) {
          // Tee the events: the client streams them, the cache keeps the folded completion.
          const seen: ChatEvent[] = [];
          const tee = async function* () {
            for await (const e of events) {
              seen.push(e);
              yield e;
            }
          };
          const outcome = await writeChatStream(ctx.res, tee(), {
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
              facts.extra = { ...facts.extra, ...Router.spanAttributes(routed!) };
              record();
            },
          });
          if (!outcome.error && outcome.done) keep(await collectChat(replayEvents(seen), { id: chatId(ctx.requestId), model: request.model }));
        } else {
          const completion = await collectChat(events, { id: chatId(ctx.requestId), model: request.model });
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
          facts.extra = { ...facts.extra, ...Router.spanAttributes(routed) };
          record();
          keep(completion);
          ctx.send(200, completion, headers);
        }
      } catch (e) {
        const err = toHttpError(e);
        if (e instanceof RouterError) {
          facts.route = e.decision.route || facts.route;
          facts.extra = { ...facts.extra, ...Router.spanAttributes({ ...e.decision, attempts: e.attempts }) };
        } else if (routed) facts.extra = { ...facts.extra, ...Router.spanAttributes(routed) };
        facts.status = err.status;
        facts.error = err.message;
        facts.errorType = err.code ?? err.type;
        throw err;
      } finally {
        // A miss that produced no answer releases identical requests waiting on it.
        if (look?.verdict === "miss" && !stored) services.cache.abandon(request, cacheCtx);
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

async function* replayEvents(events: ChatEvent[]): AsyncIterable<ChatEvent> {
  yield* events;
}

/** Passes events through, handing the final one to `onDone` (its facts do not all reach the wire format). */
async function* tapDone(events: AsyncIterable<ChatEvent>, onDone: (done: Extract<ChatEvent, { type: "done" }>) => void): AsyncIterable<ChatEvent> {
  for await (const e of events) {
    if (e.type === "done") onDone(e);
    yield e;
  }
}
