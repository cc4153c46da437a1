// POST /v1/chat/completions: OpenAI's chat wire format in and out. The request's life (cache, routing, generation,
// cost, span) is the pipeline's (daemon/pipeline); this file only translates.
import { ChatCompletionRequestSchema } from "../../api.js";
import { collectChat, contentText } from "../../chat.js";
import { answerHeaders } from "../answer-headers.js";
import { peekEvents, relayWire } from "../relay.js";
import { caller, nativeRequest } from "../caller.js";
import { writeChatStream } from "../openai-stream.js";
import type { Route } from "../route.js";
import { errorBody } from "../errors.js";
import { sseFrame } from "../sse.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/chat/completions",
    async handle(ctx, services) {
      const request = await ctx.readJson(ChatCompletionRequestSchema);
      const stream = request.stream === true;
      const system = request.messages.filter((m) => m.role === "system" || m.role === "developer");
      const answer = await services.pipeline.chat({
        ...caller(ctx, "chat", stream),
        request,
        native: await nativeRequest(ctx, "openai.chat"),
        record: {
          system: system.map((m) => contentText(m.content)).join("\n\n"),
          input: request.messages,
          tools: request.tools,
          params: {
            maxTokens: request.max_completion_tokens ?? request.max_tokens,
            temperature: request.temperature,
            topP: request.top_p,
            seed: request.seed,
          },
        },
      });
      const meta = { id: `chatcmpl-${ctx.requestId.replace(/^req_/, "")}`, model: request.model };
      const headers = answerHeaders(answer);
      const peeked = await peekEvents(answer.events);
      // Same-format pass-through: the upstream's answer, byte for byte (the pipeline observes it for the span).
      if (peeked.first?.type === "wire")
        return void (await relayWire(ctx.res, peeked.events, headers, (err) => sseFrame(errorBody(err))));
      if (!stream) return ctx.send(200, await collectChat(peeked.events, meta), headers);
      await writeChatStream(ctx.res, peeked.events, {
        ...meta,
        includeUsage: request.stream_options?.include_usage === true,
        headers,
      });
    },
  },
];
