// POST /v1/chat/completions: validate, pick the backend, generate (streamed or not), record the span.
import { ChatCompletionRequestSchema, type ChatCompletionRequest } from "../../api.js";
import { collectChat, fullTimings, replayChat, type ChatEvent, type Priority } from "../../chat.js";
import type { LookupResult } from "../../cache/service.js";
import { HotpathAttr } from "../../traces/span.js";
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
      let look: LookupResult | undefined;
      let cacheCtx: { route: string; headers: typeof ctx.req.headers; signal: AbortSignal } | undefined;
      let stored = false;
      try {
        const backend = await services.engine.backend(request.model);
        facts.route = backend.id;
        cacheCtx = { route: backend.id, headers: ctx.req.headers, signal: ctx.signal };
        look = await services.cache.lookup(request, cacheCtx);
        services.cacheMetrics.lookup.observe({ verdict: look.verdict }, look.lookupMs / 1000);
        facts.extra = {
          ...facts.extra,
          [HotpathAttr.cache]: look.verdict,
          "hotpath.cache.reason": look.reason,
          "hotpath.cache.namespace": look.namespace,
          "hotpath.cache.lookup_ms": look.lookupMs,
          ...(look.similarity !== undefined ? { [HotpathAttr.cacheSimilarity]: look.similarity } : {}),
          ...(look.guard ? { [HotpathAttr.cacheGuard]: look.guard } : {}),
          ...(look.match ? { "hotpath.cache.match": look.match } : {}),
        };
        const headers: Record<string, string> = {
          "x-hotpath-route": backend.id,
          "x-hotpath-cache": look.verdict,
          ...(look.similarity !== undefined ? { "x-hotpath-cache-similarity": look.similarity.toFixed(4) } : {}),
        };
        const cached = look.verdict === "hit" && look.response?.object === "chat.completion" ? look.response : undefined;
        if (cached) {
          // Replay: same answer, this request's id and model name; streamed requests get a well-formed SSE stream.
          const completion = { ...cached, id: chatId(ctx.requestId), model: request.model };
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
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
        const events = backend.chat(request, { signal: ctx.signal, priority, requestId: ctx.requestId });
        const keep = (completion: Awaited<ReturnType<typeof collectChat>>) => {
          if (!look?.storable || !cacheCtx) return;
          stored = true;
          services.cache.store(request, cacheCtx, completion, { latencyMs: nowMs() - startedAt }).catch((e: Error) => {
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
              record();
            },
          });
          if (!outcome.error && outcome.done) keep(await collectChat((async function* () { yield* seen; })(), { id: chatId(ctx.requestId), model: request.model }));
        } else {
          const completion = await collectChat(events, { id: chatId(ctx.requestId), model: request.model });
          facts.usage = completion.usage;
          facts.timings = completion.timings;
          facts.finishReason = completion.choices[0].finish_reason;
          facts.content!.output = completion.choices[0].message;
          record();
          keep(completion);
          ctx.send(200, completion, headers);
        }
      } catch (e) {
        const err = toHttpError(e);
        facts.status = err.status;
        facts.error = err.message;
        facts.errorType = err.code ?? err.type;
        throw err;
      } finally {
        // A miss that produced no answer releases identical requests waiting on it.
        if (look?.verdict === "miss" && !stored && cacheCtx) services.cache.abandon(request, cacheCtx);
        record();
      }
    },
  },
];

export function chatId(requestId: string): string {
  return `chatcmpl-${requestId.replace(/^req_/, "")}`;
}

