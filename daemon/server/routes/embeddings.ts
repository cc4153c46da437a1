// POST /v1/embeddings: vectors from a local GGUF model (node-llama-cpp embedding context).
import { EmbeddingRequestSchema } from "../../api.js";
import { toHttpError } from "../errors.js";
import { nowMs, startRequest, type RequestFacts } from "../../pipeline/span.js";
import type { Route } from "../route.js";
import { requestTraceContext } from "../../traces/traceparent.js";

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/embeddings",
    async handle(ctx, services) {
      const startedAt = nowMs();
      const request = await ctx.readJson(EmbeddingRequestSchema);
      const inputs = Array.isArray(request.input) ? request.input : [request.input];
      const facts: RequestFacts = {
        requestId: ctx.requestId,
        trace: requestTraceContext(ctx.req.headers),
        endpoint: "embeddings",
        operation: "embeddings",
        model: request.model,
        route: `local:${request.model}`,
        priority: "interactive",
        stream: false,
        startedAt,
        endedAt: startedAt,
        status: 200,
      };
      const record = startRequest(services, facts, { countInFlight: false, announce: false });
      try {
        const { vectors, tokens } = await services.engine.embed(request.model, inputs, request.keep_alive, ctx.signal);
        const usage = {
          prompt_tokens: tokens,
          completion_tokens: 0,
          total_tokens: tokens,
          prompt_tokens_details: { cached_tokens: 0 },
        };
        facts.usage = usage;
        const data = vectors.map((v, index) => {
          const vector = request.dimensions ? normalize(v.slice(0, request.dimensions)) : v;
          return {
            object: "embedding",
            index,
            embedding:
              request.encoding_format === "base64"
                ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
                : vector,
          };
        });
        record();
        ctx.send(
          200,
          { object: "list", data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
          { "x-hotpath-route": facts.route },
        );
      } catch (e) {
        const err = toHttpError(e);
        facts.status = err.status;
        facts.error = err.message;
        throw err;
      } finally {
        record();
      }
    },
  },
];

function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
