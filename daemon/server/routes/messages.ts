// POST /v1/messages: Anthropic's Messages wire format in and out, over every route Hotpath serves (local models
// included), so Anthropic-SDK clients and Claude-Code-style agents get the same cache, priority classes, routing and
// cost as chat. The request is translated to the internal chat request; the pipeline (daemon/pipeline) does the rest.
import { AnthropicMessagesRequestSchema } from "../../api.js";
import { collectMessage } from "../../router/translate/response.js";
import { AnthropicStreamRenderer, UNFINISHED_STREAM } from "../../router/translate/stream.js";
import { answerHeaders, ignoredHeader } from "../answer-headers.js";
import { peekEvents, relayWire } from "../relay.js";
import { anthropicErrorBody, chatRequestOf } from "../anthropic.js";
import { caller, nativeRequest } from "../caller.js";
import { toHttpError } from "../errors.js";
import type { Route } from "../route.js";
import { endSse, sseFrame, startSse, textDeltaFrames, writeSse, writeSseFrame } from "../sse.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/messages",
    errorBody: anthropicErrorBody,
    async handle(ctx, services) {
      const body = await ctx.readJson(AnthropicMessagesRequestSchema);
      // What a translated route leaves out (x-hotpath-ignored); an Anthropic route gets the request as sent.
      const ignored: string[] = [];
      const request = chatRequestOf(body, ignored);
      const stream = body.stream === true;
      const answer = await services.pipeline.chat({
        ...caller(ctx, "messages", stream),
        request,
        native: await nativeRequest(ctx, "anthropic.messages"),
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
      const renderer = new AnthropicStreamRenderer(meta);
      // A text delta to the open text block, framed from a template: per token only the text is serialised.
      let deltaBlock = -1;
      let deltaFrame: (text: string) => string = (text) => text;
      try {
        const start = renderer.start();
        writeSse(ctx.res, start.data, start.event);
        for await (const e of peeked.events) {
          const block = renderer.textBlock;
          if (e.type === "text" && block >= 0) {
            if (!e.text) continue;
            if (block !== deltaBlock) {
              deltaBlock = block;
              deltaFrame = textDeltaFrames(
                (text) => ({ type: "content_block_delta", index: block, delta: { type: "text_delta", text } }),
                "content_block_delta",
              );
            }
            writeSseFrame(ctx.res, deltaFrame(e.text));
            continue;
          }
          for (const out of renderer.render(e)) writeSse(ctx.res, out.data, out.event);
          if (renderer.done) break;
        }
        if (!renderer.done) throw new Error(UNFINISHED_STREAM);
      } catch (e) {
        // Headers are gone: report in-band as Anthropic does (an `error` event), then close.
        const err = toHttpError(e);
        if (err.status !== 499) writeSse(ctx.res, anthropicErrorBody(err), "error");
      }
      endSse(ctx.res);
    },
  },
];
