// The OpenAI Responses API (what Codex and the OpenAI Agents SDK speak): POST /v1/responses over every route, and
// GET/DELETE /v1/responses/{id} for stored responses. A request routed to OpenAI is passed through as sent; for any
// other route it is translated to a chat request and the answer rendered back as a Response (JSON or the documented
// SSE sequence). `store` keeps translated responses in SQLite, so previous_response_id works on every route.
import type { ResponsesInputItem, ResponsesRequest, ResponsesResponse } from "../../api.js";
import { ResponsesRequestSchema } from "../../api.js";
import { ResponseStore, continuation, type StoredResponse } from "../../responses/store.js";
import { forwardableHeaders } from "../../router/providers/passthrough.js";
import { TranslationError } from "../../router/translate/request.js";
import {
  collectResponse,
  eventsToResponsesStream,
  responsesToChat,
  type ResponseMeta,
} from "../../router/translate/responses.js";
import { answerHeaders, ignoredHeader } from "../answer-headers.js";
import { caller } from "../caller.js";
import { toHttpError } from "../errors.js";
import { peekEvents, relayWire } from "../relay.js";
import { HttpError, type Route } from "../route.js";
import { sseFrame, startSse, writeSse } from "../sse.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/responses",
    async handle(ctx, services) {
      const body: ResponsesRequest = await ctx.readJson(ResponsesRequestSchema);
      const raw = JSON.parse((await ctx.readBody()).toString("utf8")) as Record<string, unknown>;
      const responses = ResponseStore.of(services.db);
      const inputItems: ResponsesInputItem[] =
        typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : (body.input ?? []);

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
        if (e instanceof TranslationError)
          throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "input");
        throw e;
      }
      const stream = body.stream === true;
      const answer = await services.pipeline.chat({
        ...caller(ctx, "responses", stream),
        request: translated.chat,
        native: {
          format: "openai.responses",
          body: nativeBody,
          headers: forwardableHeaders(ctx.req.headers),
          query: ctx.url.search,
        },
        record: {
          system: body.instructions ?? undefined,
          input: [...history, ...inputItems],
          tools: body.tools,
          params: { maxTokens: body.max_output_tokens, temperature: body.temperature, topP: body.top_p },
        },
      });
      const peeked = await peekEvents(answer.events);
      if (peeked.first?.type === "wire") {
        // Pass-through: the upstream's answer, byte for byte (the pipeline observes it for the span).
        await relayWire(ctx.res, peeked.events, answerHeaders(answer), (err) =>
          sseFrame({ type: "error", code: err.code ?? err.type, message: err.message, param: null }, "error"),
        );
        return;
      }
      if (unresolvedPrevious) {
        await peeked.close();
        throw new HttpError(
          404,
          `previous response ${unresolvedPrevious} was not found: Hotpath keeps the responses it made (store not false), and route ${answer.route} cannot look up the upstream's`,
          "invalid_request_error",
          "previous_response_not_found",
          "previous_response_id",
        );
      }
      const id = `resp_${ctx.requestId.replace(/^req_/, "")}`;
      const meta: ResponseMeta = {
        id,
        model: body.model,
        createdAt: Math.floor(Date.now() / 1000),
        request: body,
        customTools: translated.customTools,
      };
      const headers = { ...answerHeaders(answer), ...ignoredHeader(translated.ignored) };
      const keep = (response: ResponsesResponse) => {
        if (body.store === false) return;
        const stored: StoredResponse = {
          id,
          route: answer.route,
          upstream: false,
          input: [...history, ...inputItems],
          response,
        };
        try {
          responses.put(stored);
        } catch (e) {
          services.log("warn", `responses: could not store ${id}: ${(e as Error).message}`);
        }
      };
      if (!stream) {
        const response = await collectResponse(peeked.events, meta);
        keep(response);
        ctx.send(200, response, headers);
        return;
      }
      startSse(ctx.res, headers);
      let seq = 0;
      try {
        for await (const e of eventsToResponsesStream(peeked.events, meta, keep)) {
          seq = (e.data.sequence_number as number) + 1;
          writeSse(ctx.res, e.data, e.event);
        }
      } catch (e) {
        // Headers are gone: report in-band as OpenAI does (an `error` event), then close.
        const err = toHttpError(e);
        if (err.status !== 499)
          writeSse(
            ctx.res,
            { type: "error", sequence_number: seq, code: err.code ?? err.type, message: err.message, param: null },
            "error",
          );
      }
      ctx.res.end();
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
      ctx.send(200, {
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: false,
      });
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
  return new HttpError(
    404,
    `no stored response with id '${id}' (Hotpath keeps responses it made with store not false)`,
    "invalid_request_error",
    "not_found",
    "response_id",
  );
}
