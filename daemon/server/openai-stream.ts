// Renders ChatEvents as OpenAI chat.completion.chunk SSE frames, ending in [DONE] (the pipeline has written the
// span by the time the final event arrives, so a client that saw [DONE] can rely on it).
import type { ServerResponse } from "node:http";
import type { ChatCompletionChunk } from "../api.js";
import { fullTimings, type ChatEvent } from "../chat.js";
import { toHttpError, errorBody } from "./errors.js";
import { endSse, startSse, textDeltaFrames, writeSse, writeSseFrame } from "./sse.js";

export async function writeChatStream(
  res: ServerResponse,
  events: AsyncIterable<ChatEvent>,
  meta: { id: string; model: string; includeUsage: boolean; headers: Record<string, string> },
): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (
    delta: ChatCompletionChunk["choices"][0]["delta"],
    finish: ChatCompletionChunk["choices"][0]["finish_reason"] = null,
  ): ChatCompletionChunk => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created,
    model: meta.model,
    system_fingerprint: "hotpath",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(meta.includeUsage ? { usage: null } : {}),
  });
  const contentFrame = textDeltaFrames((content) => chunk({ content }));
  const iterator = events[Symbol.asyncIterator]();
  // Pull the first event before committing to a 200, so early failures (unknown model, full queue) get a real status.
  const first = await iterator.next();
  startSse(res, meta.headers);
  writeSse(res, chunk({ role: "assistant", content: "" }));
  try {
    for (let step = first; !step.done; step = await iterator.next()) {
      const e = step.value;
      if (e.type === "text") {
        writeSseFrame(res, contentFrame(e.text));
      } else if (e.type === "tool_call_delta") {
        writeSse(
          res,
          chunk({
            tool_calls: [
              {
                index: e.index,
                ...(e.id ? { id: e.id, type: "function" as const } : {}),
                function: { ...(e.name ? { name: e.name } : {}), arguments: e.arguments },
              },
            ],
          }),
        );
      } else if (e.type === "done") {
        const final = chunk({}, e.finishReason);
        final.timings = fullTimings(e.timings);
        writeSse(res, final);
        if (meta.includeUsage)
          writeSse(res, { ...chunk({}), choices: [], usage: e.usage, timings: fullTimings(e.timings) });
      }
    }
    writeSse(res, "[DONE]");
  } catch (e) {
    // Headers are gone: report the failure in-band, as OpenAI does, then close.
    const err = toHttpError(e);
    if (err.status !== 499) writeSse(res, errorBody(err));
  }
  endSse(res);
}
