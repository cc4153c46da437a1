// POST /v1/completions: OpenAI's legacy text-completion wire format, a raw prompt on a local model (streamed or
// not). The pipeline (daemon/pipeline) serves it: cache, priority, generation, span; this file only translates.
import { CompletionRequestSchema, type Completion, type FinishReason } from "../../api.js";
import { fullTimings } from "../../chat.js";
import { answerHeaders } from "../answer-headers.js";
import { caller } from "../caller.js";
import { errorBody, toHttpError } from "../errors.js";
import type { Route } from "../route.js";
import { endSse, startSse, textDeltaFrames, writeSse, writeSseFrame } from "../sse.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/completions",
    async handle(ctx, services) {
      const request = await ctx.readJson(CompletionRequestSchema);
      const stream = request.stream === true;
      const params = {
        maxTokens: request.max_tokens,
        temperature: request.temperature,
        topP: request.top_p,
        seed: request.seed,
      };
      const answer = await services.pipeline.complete({
        ...caller(ctx, "completions", stream),
        request,
        record: { input: request.prompt, params },
      });
      const id = `cmpl-${ctx.requestId.replace(/^req_/, "")}`;
      const created = Math.floor(Date.now() / 1000);
      const frame = (text: string, finish: FinishReason | null) => ({
        id,
        object: "text_completion" as const,
        created,
        model: request.model,
        choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
      });
      if (stream) startSse(ctx.res, answerHeaders(answer));
      const textFrame = stream ? textDeltaFrames((t) => frame(t, null)) : undefined;
      let text = "";
      try {
        for await (const e of answer.events) {
          if (e.type === "text" && textFrame) writeSseFrame(ctx.res, textFrame(e.text));
          else if (e.type === "text") text += e.text;
          else if (e.type === "done") {
            const final = {
              ...frame(stream ? "" : text, e.finishReason),
              usage: e.usage,
              timings: fullTimings(e.timings),
            };
            if (!stream) return ctx.send(200, final satisfies Omit<Completion, "choices">, answerHeaders(answer));
            writeSse(ctx.res, final);
            writeSse(ctx.res, "[DONE]");
          }
        }
      } catch (e) {
        if (!stream) throw e;
        const err = toHttpError(e);
        if (err.status !== 499) writeSse(ctx.res, errorBody(err));
      }
      endSse(ctx.res);
    },
  },
];
