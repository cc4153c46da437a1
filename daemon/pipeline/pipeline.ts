// The life of one generation request, the same whatever wire format it came in through, in the order it happens:
//   1. the span opens (request.started event, in-flight gauge);
//   2. the response cache is asked: admission (the caller's directives, determinism) → exact key → an identical
//      request in flight (single flight) → semantic neighbours past the guards; a hit is replayed and ends here;
//   3. the router picks the route (rules, aliases, cascade, fallbacks, retries, circuits, budgets) and the backend
//      admits the request into its queue by priority class (the caller's, else the answering route's default);
//   4. the route's events flow to the caller as they are generated;
//   5. at the final event: the cost (the router priced every attempt and charged the route's budget), the span,
//      and the answer stored in the cache. A miss that produced no answer releases identical requests waiting on it.
// Wire formats live in server/routes/*; this file knows no HTTP.
import type { ChatCompletionRequest, CompletionRequest } from "../api.js";
import type { CacheMetrics } from "../cache/metrics.js";
import type { CachedResponse, LookupResult, ResponseCache } from "../cache/service.js";
import { fullTimings, replayChat, type ChatEvent, type Priority } from "../chat.js";
import type { Engine } from "../engine/engine.js";
import { checkRequestSchemas } from "../engine/schema-limits.js";
import { Router, RouterError, type RouteResult } from "../router/router.js";
import type { Attributes } from "../traces/span.js";
import { ToolGaps } from "../traces/tool-gaps.js";
import { AnswerFold, replayCompletion, type Answer, type AnswerFacts } from "./answer.js";
import { describeFailure } from "./failure.js";
import type { ChatInput, CompletionInput } from "./request.js";
import {
  cacheAttributes,
  contentWorthPreparing,
  nowMs,
  prepareContent,
  startRequest,
  type RequestFacts,
  type SpanSink,
} from "./span.js";

export interface PipelineDeps extends SpanSink {
  cache: ResponseCache;
  cacheMetrics: Pick<CacheMetrics, "lookup">;
  router: Router;
  engine: Pick<Engine, "ready" | "complete">;
}

type DoneEvent = Extract<ChatEvent, { type: "done" }>;

export class RequestPipeline {
  /** Tool calls answered in a session's trace, waiting for the request that brings their results (tool spans). */
  private readonly toolGaps = new ToolGaps();

  constructor(private readonly deps: PipelineDeps) {}

  /** Serves a chat request. Resolves once the answer's route is final (a cache hit, or the route's first event). */
  async chat(input: ChatInput): Promise<Answer> {
    const { request } = input;
    this.recordToolTime(input);
    const run = this.open(input, "chat", "", input.priority ?? "interactive");
    // The cache is keyed on what the caller asked for (model or alias), before any routing decision.
    const cache = this.cacheFor(request, request.model, input);
    let routed: RouteResult | undefined;
    try {
      // Schemas over the size limits are refused before anything walks the whole body (the cache key sorts it).
      checkRequestSchemas(request, { sizesOnly: true });
      const look = await this.lookup(cache, run);
      const hit = look.verdict === "hit" && look.response?.object === "chat.completion" ? look.response : undefined;
      if (hit) return this.answer(run, look, { route: "cache" }, replayChat({ ...hit, model: request.model }));
      const { signal, requestId } = input;
      const options = {
        signal,
        requestId,
        priority: input.priority,
        headers: input.cache.directives,
        native: input.native,
        whileWaiting: contentWorthPreparing(run.facts) ? () => prepareContent(run.facts) : undefined,
      };
      routed = await this.deps.router.chat(request, options);
      run.facts.priority = routed.priority;
      return this.answer(run, look, routed, routed.events, { cache, routed });
    } catch (e) {
      run.fail(e, routeFailure(e, routed));
      cache.release(e);
      throw e;
    }
  }

  /** Serves a raw-prompt completion on a local model (no chat template, no routing). */
  async complete(input: CompletionInput): Promise<Answer> {
    const { request } = input;
    const route = `local:${request.model}`;
    const priority = input.priority ?? this.deps.router.defaultPriority(route);
    const run = this.open(input, "text_completion", route, priority);
    const cache = this.cacheFor(request, route, input);
    try {
      await this.deps.engine.ready(request.model);
      const look = await this.lookup(cache, run);
      const hit = look.verdict === "hit" && look.response?.object === "text_completion" ? look.response : undefined;
      if (hit) return this.answer(run, look, { route }, replayCompletion(hit));
      const events = this.deps.engine.complete(request.model, request, { signal: input.signal, priority });
      // The first event before answering, so that early failures (full queue, context overflow) get a real status.
      const started = await startedStream(events);
      return this.answer(run, look, { route }, started, { cache });
    } catch (e) {
      run.fail(e, {});
      cache.release(e);
      throw e;
    }
  }

  /**
   * The tools an agent ran since its last answer in this session, as tool spans (see traces/tool-gaps.ts). A request
   * that named no trace but brings the results of calls an answer asked for continues that answer's trace.
   */
  private recordToolTime(input: ChatInput): void {
    const startNs = Math.round(input.receivedAt * 1e6);
    if (input.trace.joinedBy === "new") {
      const continued = this.toolGaps.continued(startNs, input.request.messages);
      if (!continued) return;
      input.trace = { ...input.trace, ...continued, joinedBy: "tool-calls" };
    }
    const spans = this.toolGaps.resultSpans(input.trace.traceId, startNs, input.request.messages);
    if (!spans.length) return;
    try {
      this.deps.traces.writeSpans(spans, "daemon");
    } catch (e) {
      this.deps.log("warn", `could not record the tool spans of ${input.requestId}: ${(e as Error).message}`);
    }
  }

  private open(
    input: ChatInput | CompletionInput,
    operation: RequestFacts["operation"],
    route: string,
    priority: Priority,
  ): Run {
    const { record } = input;
    const facts: RequestFacts = {
      requestId: input.requestId,
      trace: input.trace,
      endpoint: input.endpoint,
      operation,
      model: input.request.model,
      route,
      priority,
      stream: input.stream,
      startedAt: input.receivedAt,
      endedAt: input.receivedAt,
      status: 200,
      params: record.params,
      content: {
        ...(record.system !== undefined ? { system: record.system } : {}),
        input: record.input,
        ...(record.tools ? { tools: record.tools } : {}),
      },
    };
    const end = startRequest(this.deps, facts);
    return {
      facts,
      end,
      fail(e, routeFacts) {
        const f = describeFailure(e);
        facts.status = f.status;
        facts.error = f.message;
        facts.errorType = f.code ?? f.type;
        if (routeFacts.route !== undefined) facts.route = routeFacts.route || facts.route;
        facts.extra = { ...facts.extra, ...routeFacts.attributes };
        end();
      },
    };
  }

  private cacheFor(
    request: ChatCompletionRequest | CompletionRequest,
    route: string,
    input: ChatInput | CompletionInput,
  ): CacheCall {
    const ctx = { route, headers: input.cache.directives, signal: input.signal };
    const cache = this.deps.cache;
    let look: LookupResult | undefined;
    let settled = false;
    return {
      lookup: async () => (look = await cache.lookup(request, ctx)),
      store: (answer, facts) => {
        if (!look?.storable) return;
        settled = true;
        cache.store(request, ctx, answer, facts).catch((e: Error) => {
          this.deps.log("warn", `cache: could not store ${input.requestId}: ${e.message}`);
        });
      },
      release: (failure) => {
        if (look?.verdict === "miss" && !settled) cache.abandon(request, ctx);
        else if (look?.verdict === "bypass" && !settled && refusedAsSent(failure)) cache.forgetBypass(request);
        settled = true;
      },
      answered: () => cache.countBypasses(),
    };
  }

  private async lookup(cache: CacheCall, run: Run): Promise<LookupResult> {
    const look = await cache.lookup();
    this.deps.cacheMetrics.lookup.observe({ verdict: look.verdict }, look.lookupMs / 1000);
    run.facts.extra = cacheAttributes(look);
    return look;
  }

  private answer(
    run: Run,
    look: LookupResult,
    route: { route: string; reason?: string },
    events: AsyncIterable<ChatEvent>,
    miss?: Generation,
  ): Answer {
    run.facts.route = route.route;
    const facts: AnswerFacts = {};
    return {
      route: route.route,
      reason: route.reason,
      priority: run.facts.priority as Priority,
      cache: {
        verdict: look.verdict,
        match: look.match,
        similarity: look.similarity,
        namespace: look.namespace,
        reason: look.reason,
        guard: look.guard,
      },
      events: this.flow(run, facts, events, miss),
      facts,
    };
  }

  /**
   * Passes the events on; at the final one records the span and stores the answer, before the caller sees it. A plain
   * iterator, not an async generator: every event (every streamed token) passes here, and a generator layer costs each
   * a few promise turns.
   */
  private flow(
    run: Run,
    facts: AnswerFacts,
    events: AsyncIterable<ChatEvent>,
    miss?: Generation,
  ): AsyncIterable<ChatEvent> {
    const fold = new AnswerFold();
    const it = events[Symbol.asyncIterator]();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      miss?.cache.release();
      run.end();
      // After the promise turns now queued, the answer's last write among them: the cache's own bookkeeping then.
      if (miss) process.nextTick(miss.cache.answered);
    };
    const failed = (e: unknown) => {
      run.fail(e, routeFailure(e, miss?.routed));
      close();
      return e;
    };
    const iterator: AsyncIterator<ChatEvent> = {
      next: async () => {
        if (closed) return { done: true, value: undefined };
        try {
          const r = await it.next();
          if (r.done) {
            close();
            return r;
          }
          fold.add(r.value);
          if (r.value.type === "done") this.finish(run, facts, fold, r.value, miss);
          return r;
        } catch (e) {
          throw failed(e);
        }
      },
      // The caller stopped reading: the stream below is stopped first, then the span is recorded.
      return: async () => {
        if (!closed) {
          try {
            await it.return?.();
          } catch (e) {
            throw failed(e);
          }
          close();
        }
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  private finish(run: Run, facts: AnswerFacts, fold: AnswerFold, done: DoneEvent, miss?: Generation): void {
    const span = run.facts;
    facts.usage = span.usage = done.usage;
    facts.timings = span.timings = fullTimings(done.timings);
    facts.finishReason = span.finishReason = done.finishReason;
    facts.costUsd = miss?.routed?.costUsd;
    if (done.prefix) span.prefix = done.prefix;
    const meta = { id: span.requestId, model: span.model };
    const folded = span.operation === "chat" ? fold.chat(meta) : fold.completion(meta, done);
    span.content!.output = "message" in folded.choices[0] ? folded.choices[0].message : fold.outputText;
    if (miss?.routed) span.extra = { ...span.extra, ...Router.spanAttributes(miss.routed) };
    run.end();
    const calls = "message" in folded.choices[0] ? (folded.choices[0].message.tool_calls ?? []) : [];
    if (calls.length) {
      const asked = calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
      // The tools' time starts where the asking span ended (not a later clock reading a busy machine may delay).
      this.toolGaps.recordCalls(span.trace.traceId, Math.round(span.endedAt * 1e6), span.trace.parentSpanId, asked);
    }
    miss?.cache.store(folded, { latencyMs: nowMs() - span.startedAt, costUsd: facts.costUsd });
  }
}

/** A generation that was not a cache hit: its answer goes to the cache; `routed` when the router chose the route. */
interface Generation {
  cache: CacheCall;
  routed?: RouteResult;
}

interface Run {
  facts: RequestFacts;
  /** Records the span (once, however many paths call it). */
  end: () => void;
  fail: (e: unknown, route: { route?: string; attributes?: Attributes }) => void;
}

interface CacheCall {
  lookup: () => Promise<LookupResult>;
  store: (answer: CachedResponse, facts: { latencyMs: number; costUsd?: number }) => void;
  /**
   * Lets identical requests waiting on this miss go to a backend themselves (no answer is coming). With the failure
   * that ended the request: a bypass refused as the client's mistake is not counted (ResponseCache.forgetBypass).
   */
  release: (failure?: unknown) => void;
  /** The answer is out: what the cache left for later (a bypass's namespace count) is done now. */
  answered: () => void;
}

/** Statuses of a request refused for what it is (bad input, over a limit, no such model), not for the moment it came. */
const REFUSED_AS_SENT = new Set([400, 404, 413, 422]);

/** Whether a request failed because of what it asked for: sent again unchanged, it would be refused again. */
function refusedAsSent(failure: unknown): boolean {
  return failure !== undefined && REFUSED_AS_SENT.has(describeFailure(failure).status);
}

/** The route facts of a failed request: the router's decision so far, or the route that had answered. */
function routeFailure(e: unknown, routed?: RouteResult): { route?: string; attributes?: Attributes } {
  if (e instanceof RouterError)
    return { route: e.decision.route, attributes: Router.spanAttributes({ ...e.decision, attempts: e.attempts }) };
  return routed ? { attributes: Router.spanAttributes(routed) } : {};
}

/**
 * Starts a stream and waits for its first event; the result replays that event, then the rest. A plain iterator, not
 * a generator around the stream: every token of a streamed answer passes here, and a generator layer costs each one
 * a few promise hops on the event loop.
 */
async function startedStream(events: AsyncIterable<ChatEvent>): Promise<AsyncIterable<ChatEvent>> {
  const it = events[Symbol.asyncIterator]();
  let first: IteratorResult<ChatEvent> | undefined = await it.next();
  const iterator: AsyncIterator<ChatEvent> = {
    next() {
      const step = first;
      first = undefined;
      return step ? Promise.resolve(step) : it.next();
    },
    async return(value?: unknown) {
      first = undefined;
      await it.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
