// POST /v1/responses: the OpenAI Responses API (what Codex and the OpenAI Agents SDK speak) over every route. The
// request's life (cache, priority, routing, cost, span) is the pipeline's (daemon/pipeline); a route to OpenAI gets
// it as sent (pass-through), any other a chat translation whose answer is rendered back as a Response (JSON or the
// documented SSE sequence) and kept for previous_response_id (daemon/responses). GET/DELETE: responses-stored.ts.
import { ResponsesRequestSchema, type ResponsesRequest, type ResponsesResponse } from "../../api.js";
import { keepResponse, openConversation } from "../../responses/conversation.js";
import { ResponseStore } from "../../responses/store.js";
import { TranslationError } from "../../router/translate/request.js";
import { collectResponse, eventsToResponsesStream, responsesToChat } from "../../router/translate/responses.js";
import { answerHeaders, ignoredHeader } from "../answer-headers.js";
import { caller, nativeRequest } from "../caller.js";
import { peekEvents, relayWire } from "../relay.js";
import { HttpError, type Route } from "../route.js";
import { sendSseStream, sseFrame } from "../sse.js";
import { previousNotFound, routes as stored } from "./responses-stored.js";

/** OpenAI's in-band error event of a Responses stream. */
const errorEvent = (e: HttpError, sequence?: number) => ({
  type: "error",
  ...(sequence !== undefined ? { sequence_number: sequence } : {}),
  code: e.code ?? e.type,
  message: e.message,
  param: null,
});

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/responses",
    async handle(ctx, services) {
      const body = await ctx.readJson(ResponsesRequestSchema);
      const store = ResponseStore.of(services.db);
      // The body as sent (not the schema's output), forwarded to a same-format upstream; openConversation copies it
      // before changing anything. Parsing it again here read every byte of a 9 MB body a second time (issue #15).
      const raw = (await ctx.readJsonValue()) as Record<string, unknown>;
      const conversation = openConversation(store, body, raw);
      const translated = translate(body, conversation.history);
      const stream = body.stream === true;
      const answer = await services.pipeline.chat({
        ...caller(ctx, "responses", stream),
        request: translated.chat,
        native: await nativeRequest(ctx, "openai.responses", conversation.nativeBody),
        record: {
          system: body.instructions ?? undefined,
          input: conversation.input,
          tools: body.tools,
          params: { maxTokens: body.max_output_tokens, temperature: body.temperature, topP: body.top_p },
        },
      });
      const peeked = await peekEvents(answer.events);
      // Same-format pass-through: OpenAI's answer, byte for byte (the pipeline observes it for the span).
      if (peeked.first?.type === "wire")
        return void (await relayWire(ctx.res, peeked.events, answerHeaders(answer), (e) =>
          sseFrame(errorEvent(e), "error"),
        ));
      if (conversation.unresolved) {
        await peeked.close();
        throw previousNotFound(conversation.unresolved, answer.route);
      }
      const id = `resp_${ctx.requestId.replace(/^req_/, "")}`;
      const createdAt = Math.floor(Date.now() / 1000);
      const meta = { id, model: body.model, createdAt, request: body, customTools: translated.customTools };
      const headers = { ...answerHeaders(answer), ...ignoredHeader(translated.ignored) };
      const keep = (response: ResponsesResponse) =>
        keepResponse(store, body, conversation, { route: answer.route, response }, (m) => services.log("warn", m));
      if (stream)
        return sendSseStream(ctx.res, headers, eventsToResponsesStream(peeked.events, meta, keep), (e, sent) => ({
          event: "error",
          data: errorEvent(e, sent),
        }));
      const response = await collectResponse(peeked.events, meta);
      keep(response);
      ctx.send(200, response, headers);
    },
  },
  ...stored,
];

function translate(body: ResponsesRequest, history: Parameters<typeof responsesToChat>[1]) {
  try {
    return responsesToChat(body, history);
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "input");
  }
}
