// What the pipeline answers: the events of one generation (live, or replayed from the cache) and the facts about
// how it was produced. Translators render the events in their wire format and the facts as headers.
import type { ChatCompletion, Completion, Timings, Usage } from "../api.js";
import type { LookupResult } from "../cache/service.js";
import { foldChat, fullTimings, type ChatEvent, type Priority } from "../chat.js";

/** The cache's verdict on this request, including the rung that decided it (`match`: exact, semantic, …). */
export type CacheVerdictFacts = Pick<
  LookupResult,
  "verdict" | "match" | "similarity" | "namespace" | "reason" | "guard"
>;

/** Facts known once the answer's events have ended. */
export interface AnswerFacts {
  usage?: Usage;
  timings?: Timings;
  finishReason?: string;
  /** USD over every attempt that produced usage (escalated cascade steps included); absent for unpriced routes. */
  costUsd?: number;
}

export interface Answer {
  /** "cache" for a cache hit, else the route that answers (e.g. "local:chat", "openai:gpt-4o-mini"). */
  route: string;
  /** Why that route (rule, alias, cascade verdicts, fallbacks); absent when nothing was decided. */
  reason?: string;
  priority: Priority;
  cache: CacheVerdictFacts;
  /** The generation. The span is written before the final event reaches the caller. Read it to its end. */
  events: AsyncIterable<ChatEvent>;
  /** Filled in as the events end. */
  facts: AnswerFacts;
}

/** Replays a cached raw-prompt completion. */
export async function* replayCompletion(c: Completion): AsyncIterable<ChatEvent> {
  const choice = c.choices[0];
  if (choice.text) yield { type: "text", text: choice.text };
  yield { type: "done", finishReason: choice.finish_reason, usage: c.usage, timings: c.timings };
}

/** Keeps an answer's events as they pass, to store it in the cache and record its output on the span. */
export class AnswerFold {
  private readonly events: ChatEvent[] = [];
  private text = "";

  add(e: ChatEvent): void {
    this.events.push(e);
    if (e.type === "text") this.text += e.text;
  }

  /** The assistant's message, as the span's output. */
  chat(meta: { id: string; model: string }): ChatCompletion {
    return foldChat(this.events, meta);
  }

  completion(meta: { id: string; model: string }, done: Extract<ChatEvent, { type: "done" }>): Completion {
    return {
      id: meta.id,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: meta.model,
      choices: [{ index: 0, text: this.text, finish_reason: done.finishReason, logprobs: null }],
      usage: done.usage,
      timings: fullTimings(done.timings),
    };
  }

  get outputText(): string {
    return this.text;
  }
}
