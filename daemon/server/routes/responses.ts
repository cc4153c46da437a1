// The OpenAI Responses API (what Codex and the OpenAI Agents SDK speak): POST /v1/responses over every route, and
// GET/DELETE /v1/responses/{id} for stored responses. A request routed to OpenAI is passed through as sent; for any
// other route it is translated to a chat request and the answer rendered back as a Response (JSON or the documented
// SSE sequence). `store` keeps translated responses in SQLite, so previous_response_id works on every route.
import type { ResponsesInputItem, ResponsesRequest, ResponsesResponse } from "../../api.js";
import { ResponsesRequestSchema } from "../../api.js";
import { fullTimings, type ChatEvent } from "../../chat.js";
import { ResponseStore, continuation, type StoredResponse } from "../../responses/store.js";
import { forwardableHeaders } from "../../router/providers/passthrough.js";
import { Router, RouterError, type RouteResult } from "../../router/router.js";
import { TranslationError } from "../../router/translate/request.js";
import { collectResponse, eventsToResponsesStream, responsesToChat, type ResponseMeta } from "../../router/translate/responses.js";
import { requestTraceContext } from "../../traces/traceparent.js";
import { toHttpError } from "../errors.js";
import { readPriority } from "../caller.js";
import { peekEvents, relayWire } from "../relay.js";
import { nowMs, startRequest, type RequestFacts } from "../../pipeline/span.js";
import { HttpError, type Route } from "../route.js";
import { startSse, writeSse } from "../sse.js";
import { routeHeaders } from "../answer-headers.js";

/** x-hotpath-ignored: what a translated route left out of the request (hosted tools, reasoning settings…). */
function ignoredHeader(ignored: string[]): Record<string, string> {
  return ignored.length ? { "x-hotpath-ignored": ignored.join(", ").replace(/[^\x20-\x7e]/g, "?").slice(0, 1024) } : {};
}

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/responses",
    async handle(ctx, services) {
      const startedAt = nowMs();
      const body: ResponsesRequest = await ctx.readJson(ResponsesRequestSchema);
      const raw = JSON.parse((await ctx.readBody()).toString("utf8")) as Record<string, unknown>;
      const responses = ResponseStore.of(services.db);
      const inputItems: ResponsesInputItem[] = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : (body.input ?? []);

      // previous_response_id: a response Hotpath made continues here; one the upstream made (pass-through) is the
      // upstream's to resolve, so it only works on that route.
      let history: ResponsesInputItem[] = [];
      let unresolvedPrevious: string | undefined;
      const nativeBody = { ...raw };
      if (body.previous_response_id) {
        const prev = responses.get(body.previous_response_id);
        if (prev && !prev.upstream) {
          history = continuation(prev);
          nativeBody.input = [...history, ...inputItems];
          delete nativeBody.previous_response_id;
        } else if (!prev) unresolvedPrevious = body.previous_response_id;
      }
      let translated;
      try {
        translated = responsesToChat(body, history);
      } catch (e) {
        if (e instanceof TranslationError) throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "input");
        throw e;
      }
      const request = translated.chat;
      const priority = readPriority(ctx.req.headers);
      const stream = body.stream === true;
      const id = `resp_${ctx.requestId.replace(/^req_/, "")}`;
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers),
        endpoint: "responses",
        operation: "chat",
        model: body.model,
        route: "",
        priority: priority ?? "interactive",
        stream,
        startedAt,
        endedAt: startedAt,
        status: 200,
        params: { maxTokens: body.max_output_tokens, temperature: body.temperature, topP: body.top_p },
        content: { system: body.instructions ?? undefined, input: [...history, ...inputItems], tools: body.tools },
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
        routed = await services.router.chat(request, {
          signal: ctx.signal,
          priority,
          requestId: ctx.requestId,
          headers: ctx.req.headers,
          native: { format: "openai.responses", body: nativeBody, headers: forwardableHeaders(ctx.req.headers), query: ctx.url.search },
        });
        facts.route = routed.route;
        facts.priority = routed.priority;
        const headers = routeHeaders(routed);
        const peeked = await peekEvents(routed.events);
        const observeDone = (done: Extract<ChatEvent, { type: "done" }> | undefined) => {
          if (!done) return;
          facts.usage = done.usage;
          facts.timings = fullTimings(done.timings);
          facts.finishReason = done.finishReason;
        };

        if (peeked.first?.type === "wire") {
          // Pass-through: the upstream's answer, byte for byte.
          await relayWire(ctx.res, peeked.events, headers, (outcome) => {
            observeDone(outcome.done);
            facts.content!.output = outcome.text;
            if (outcome.error) fail(outcome.error);
            facts.extra = Router.spanAttributes(routed!);
            record();
          });
          return;
        }
        if (unresolvedPrevious) {
          throw new HttpError(404, `previous response ${unresolvedPrevious} was not found: Hotpath keeps responses it made (store: true), and the route ${routed.route} cannot resolve the upstream's`, "invalid_request_error", "previous_response_not_found", "previous_response_id");
        }
        const meta: ResponseMeta = { id, model: body.model, createdAt: Math.floor(Date.now() / 1000), request: body, customTools: translated.customTools };
        const allHeaders = { ...headers, ...ignoredHeader(translated.ignored) };
        const keep = (response: ResponsesResponse) => {
          if (body.store === false) return;
          const stored: StoredResponse = { id, route: routed!.route, upstream: false, input: [...history, ...inputItems], response };
          try {
            responses.put(stored);
          } catch (e) {
            services.log("warn", `responses: could not store ${id}: ${(e as Error).message}`);
          }
        };
        const tapped = tapDone(peeked.events, observeDone);
        if (!stream) {
          const response = await collectResponse(tapped, meta);
          keep(response);
          facts.content!.output = response.output;
          facts.extra = Router.spanAttributes(routed);
          record();
          ctx.send(200, response, allHeaders);
          return;
        }
        startSse(ctx.res, allHeaders);
        let seq = 0;
        try {
          for await (const e of eventsToResponsesStream(tapped, meta, (response) => {
            keep(response);
              facts.content!.output = response.output;
            facts.extra = Router.spanAttributes(routed!);
            record(); // before the closing event, so a client that saw it can rely on the span
          })) {
            seq = (e.data.sequence_number as number) + 1;
            writeSse(ctx.res, e.data, e.event);
          }
        } catch (e) {
          // Headers are gone: report in-band as OpenAI does (an `error` event), then close.
          const err = fail(e);
          facts.extra = Router.spanAttributes(routed);
          record();
          if (err.status !== 499) writeSse(ctx.res, { type: "error", sequence_number: seq, code: err.code ?? err.type, message: err.message, param: null }, "error");
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
  {
    method: "GET",
    path: "/v1/responses/:id",
    handle(ctx, services) {
      const stored = ResponseStore.of(services.db).get(ctx.params.id);
      if (!stored) throw notFound(ctx.params.id);
      ctx.send(200, stored.response);
    },
  },
  {
    method: "GET",
    path: "/v1/responses/:id/input_items",
    handle(ctx, services) {
      const stored = ResponseStore.of(services.db).get(ctx.params.id);
      if (!stored) throw notFound(ctx.params.id);
      const data = stored.input.map((item, i) => ({ id: item.id ?? `item_${i}`, ...item }));
      ctx.send(200, { object: "list", data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: false });
    },
  },
  {
    method: "DELETE",
    path: "/v1/responses/:id",
    handle(ctx, services) {
      if (!ResponseStore.of(services.db).delete(ctx.params.id)) throw notFound(ctx.params.id);
      ctx.send(200, { id: ctx.params.id, object: "response", deleted: true });
    },
  },
];

function notFound(id: string): HttpError {
  return new HttpError(404, `no stored response with id '${id}' (Hotpath keeps responses it made with store not false)`, "invalid_request_error", "not_found", "response_id");
}

async function* tapDone(events: AsyncIterable<ChatEvent>, onDone: (done: Extract<ChatEvent, { type: "done" }>) => void): AsyncIterable<ChatEvent> {
  for await (const e of events) {
    if (e.type === "done") onDone(e);
    yield e;
  }
}
