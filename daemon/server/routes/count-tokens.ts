// POST /v1/messages/count_tokens: Anthropic's token counting over every route Hotpath serves (agents such as Claude
// Code call it to manage their context). Exact where the answering route can say — a local model renders the prompt
// with its own chat template and tokenizer; an Anthropic route gets the request as sent (body, anthropic-* headers,
// query; only model and key change) and its answer is relayed as it came — otherwise a labelled estimate (OpenAI's
// BPE plus message framing). x-hotpath-token-count says which, x-hotpath-tokenizer what counted.
import {
  AnthropicCountTokensRequestSchema,
  type AnthropicCountTokensResponse,
  type AnthropicMessagesRequest,
} from "../../api.js";
import { requestTexts } from "../../audit/runner.js";
import { countTexts } from "../../audit/token-count.js";
import type { TokenCount } from "../../chat.js";
import { counterForModelName } from "../../audit/tokens.js";
import { anthropicErrorBody, chatRequestOf } from "../anthropic.js";
import { nativeRequest } from "../caller.js";
import type { Route } from "../route.js";

/** Chat framing per message (role markers, separators), as in OpenAI's published counting recipe. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/messages/count_tokens",
    errorBody: anthropicErrorBody,
    async handle(ctx, services) {
      const body = await ctx.readJson(AnthropicCountTokensRequestSchema);
      const request = chatRequestOf({ ...body, max_tokens: body.max_tokens ?? 1 } as AnthropicMessagesRequest);
      const task = ctx.req.headers["x-hotpath-task"];
      const { route, count, error } = await services.router.countTokens(request, {
        signal: ctx.signal,
        task: Array.isArray(task) ? task[0] : task,
        native: await nativeRequest(ctx, "anthropic.messages"),
      });
      if (error) services.log("warn", `count_tokens: ${route} could not count (${error}); answering with an estimate`);
      const counted = count ?? (await estimate(route, request));
      const headers = {
        "x-hotpath-route": route,
        "x-hotpath-token-count": counted.exact ? "exact" : "estimate",
        "x-hotpath-tokenizer": counted.tokenizer,
      };
      if (counted.wire) {
        // Pass-through: Anthropic's answer as it came (fields Hotpath does not know included).
        ctx.res.writeHead(counted.wire.status, { ...counted.wire.headers, ...headers });
        return void ctx.res.end(counted.wire.body);
      }
      const answer: AnthropicCountTokensResponse = { input_tokens: counted.inputTokens };
      ctx.send(200, answer, headers);
    },
  },
];

async function estimate(route: string, request: Parameters<typeof requestTexts>[0]): Promise<TokenCount> {
  // By the model name past the provider ("oa:gpt-4o-mini" → gpt-4o-mini): provider names are the user's own.
  const counter = counterForModelName(route.slice(route.indexOf(":") + 1));
  // Large texts are counted in a worker (an 8 MB request held the event loop ~4 s counted here).
  const counts = await countTexts(counter, requestTexts(request));
  const inputTokens =
    counts.reduce((a, b) => a + b, 0) + request.messages.length * TOKENS_PER_MESSAGE + TOKENS_PER_REPLY;
  return { inputTokens, tokenizer: counter.tokenizer, exact: false };
}
