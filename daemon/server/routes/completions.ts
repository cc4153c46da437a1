// POST /v1/completions: raw text completion on a local model (streamed or not).
import { CompletionRequestSchema, type Completion } from "../../api.js";
import type { LookupResult } from "../../cache/service.js";
import { fullTimings, type ChatEvent } from "../../chat.js";
import { toHttpError, errorBody } from "../errors.js";
import { readPriority } from "../priority.js";
import { nowMs, startRequest, type RequestFacts } from "../request-span.js";
import type { Route } from "../route.js";
import { cacheAttributes, cacheHeaders } from "../cache-verdict.js";
import { requestTraceContext } from "../../traces/traceparent.js";
import { startSse, writeSse } from "../sse.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/completions",
    async handle(ctx, services) {
      const startedAt = nowMs();
      const request = await ctx.readJson(CompletionRequestSchema);
      const model = `local:${request.model}`;
      const priority = readPriority(ctx.req.headers) ?? services.router.defaultPriority(model);
      const stream = request.stream === true;
      const id = `cmpl-${ctx.requestId.replace(/^req_/, "")}`;
      const created = Math.floor(Date.now() / 1000);
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers), endpoint: "completions", operation: "text_completion", model: request.model, route: model,
        priority, stream, startedAt, endedAt: startedAt, status: 200,
        params: { maxTokens: request.max_tokens, temperature: request.temperature, topP: request.top_p, seed: request.seed },
        content: { input: request.prompt },
      };
      const record = startRequest(services, facts);
      let look: LookupResult | undefined;
      let stored = false;
      const cacheCtx = { route: facts.route, headers: ctx.req.headers, signal: ctx.signal };
      try {
        await services.engine.ready(request.model);
        look = await services.cache.lookup(request, cacheCtx);
        services.cacheMetrics.lookup.observe({ verdict: look.verdict }, look.lookupMs / 1000);
        facts.extra = cacheAttributes(look);
        const headers: Record<string, string> = {
          "x-hotpath-route": facts.route,
          ...cacheHeaders(look),
        };
        const cached = look.verdict === "hit" && look.response?.object === "text_completion" ? look.response : undefined;
        if (cached) {
          const body: Completion = { ...cached, id, created, model: request.model };
          const choice = body.choices[0];
          facts.usage = body.usage;
          facts.timings = body.timings;
          facts.finishReason = choice.finish_reason;
          facts.content!.output = choice.text;
          record();
          if (stream) {
            startSse(ctx.res, headers);
            if (choice.text) writeSse(ctx.res, { id, object: "text_completion", created, model: request.model, choices: [{ index: 0, text: choice.text, finish_reason: null, logprobs: null }] });
            writeSse(ctx.res, { id, object: "text_completion", created, model: request.model, choices: [{ index: 0, text: "", finish_reason: choice.finish_reason, logprobs: null }], usage: body.usage, timings: body.timings });
            writeSse(ctx.res, "[DONE]");
            ctx.res.end();
          } else ctx.send(200, body, headers);
          return;
        }
        const iterator = services.engine.complete(request.model, request, { signal: ctx.signal, priority })[Symbol.asyncIterator]();
        let text = "";
        let done: Extract<ChatEvent, { type: "done" }> | undefined;
        const frame = (t: string, finish: string | null) => ({ id, object: "text_completion", created, model: request.model, choices: [{ index: 0, text: t, finish_reason: finish, logprobs: null }] });
        const first = await iterator.next();
        if (stream) startSse(ctx.res, headers);
        try {
          for (let step = first; !step.done; step = await iterator.next()) {
            const e = step.value;
            if (e.type === "text") {
              text += e.text;
              if (stream) writeSse(ctx.res, frame(e.text, null));
            } else if (e.type === "done") done = e;
          }
        } catch (e) {
          if (!stream) throw e;
          const err = toHttpError(e);
          facts.status = err.status;
          facts.error = err.message;
          record();
          if (err.status !== 499) writeSse(ctx.res, errorBody(err));
          ctx.res.end();
          return;
        }
        if (!done) throw new Error("generation ended without a result");
        facts.usage = done.usage;
        facts.timings = fullTimings(done.timings);
        facts.prefix = done.prefix;
        facts.finishReason = done.finishReason;
        facts.content!.output = text;
        record();
        if (look.storable) {
          stored = true;
          const answer: Completion = {
            id, object: "text_completion", created, model: request.model,
            choices: [{ index: 0, text, finish_reason: done.finishReason, logprobs: null }],
            usage: done.usage, timings: facts.timings,
          };
          services.cache.store(request, cacheCtx, answer, { latencyMs: nowMs() - startedAt }).catch((e: Error) => {
            services.log("warn", `cache: could not store ${ctx.requestId}: ${e.message}`);
          });
        }
        if (stream) {
          writeSse(ctx.res, { ...frame("", done.finishReason), usage: done.usage, timings: facts.timings });
          writeSse(ctx.res, "[DONE]");
          ctx.res.end();
        } else {
          const body: Completion = {
            id, object: "text_completion", created, model: request.model,
            choices: [{ index: 0, text, finish_reason: done.finishReason, logprobs: null }],
            usage: done.usage, timings: facts.timings,
          };
          ctx.send(200, body, headers);
        }
      } catch (e) {
        const err = toHttpError(e);
        facts.status = err.status;
        facts.error = err.message;
        throw err;
      } finally {
        if (look?.verdict === "miss" && !stored) services.cache.abandon(request, cacheCtx);
        record();
      }
    },
  },
];
