// The Router: decides where a chat request goes (rules, aliases, cascade, fallbacks), tries it with retries,
// timeouts, circuit breakers and budgets, and hands back one event stream plus the facts of how it got there.
//
// `chat()` resolves once a route produced its first event (so the route is final before any byte reaches the
// client, and x-hotpath-route can be a response header); from then on the route is committed: a later failure
// ends the stream with an error, never a retry.
import type { ChatCompletionRequest, RouteAttempt, RouterStatus, Usage } from "../api.js";
import type { ChatBackend, ChatEvent, NativeRequest, Priority, TokenCount } from "../chat.js";
import type { RouterConfig, Target } from "../config.js";
import type { Db } from "../db.js";
import { HotpathAttr, type Attributes } from "../traces/span.js";
import { Backends, type LocalModels } from "./backends.js";
import { Breakers } from "./breaker.js";
import { BudgetExceeded, Spend } from "./budget.js";
import { AliasError } from "./policy/aliases.js";
import { judge } from "./policy/cascade.js";
import { plan, UnknownModel, type Plan } from "./policy/plan.js";
import { costUsd, PriceTable } from "./pricing.js";
import { UpstreamError, asUpstreamError } from "./providers/upstream.js";
import { retryDelay, sleep, type RetryPolicy } from "./retry.js";
import { redact } from "./secrets.js";

export interface RouteRequestOptions {
  signal: AbortSignal;
  /** From the x-hotpath-priority header; absent → the route's configured default (see defaultPriority). */
  priority?: Priority;
  requestId: string;
  /** Ask the backend for token-probability confidence (set for cascade steps, which are judged by it). */
  confidence?: boolean;
  /** Request headers (lower-case names); the router reads x-hotpath-task. */
  headers?: Record<string, string | string[] | undefined>;
  /** The client's own request: a backend of the same API forwards it as sent (see NativeRequest). */
  native?: NativeRequest;
  /** Passed to each attempt's backend (ChatOptions.whileWaiting). */
  whileWaiting?: () => void;
}

/** How a request was routed; attempts and cost keep filling in while the stream runs. */
export interface RouteResult {
  /** The route that answers (x-hotpath-route). */
  route: string;
  /** The priority class the answering route ran at (the header's, else the route's default). */
  priority: Priority;
  /** Why: rule, alias, cascade verdicts, fallbacks taken. */
  reason: string;
  attempts: RouteAttempt[];
  events: AsyncIterable<ChatEvent>;
  /** Sum over every attempt that produced usage (escalated cascade steps cost money too); set when the stream ends. */
  costUsd?: number;
  usage?: Usage;
}

/** A request the router could not serve; the message is safe to show (no keys). */
export class RouterError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** OpenAI-style error type; the Anthropic endpoint maps it to its own. */
    readonly type: string,
    readonly code: string | null,
    readonly attempts: RouteAttempt[],
    readonly headers: Record<string, string> = {},
    /** True when the stream had already started (the error arrives as an SSE error event). */
    readonly midStream = false,
    /** The route decision so far, for the span of a failed request. */
    readonly decision: { route: string; reason: string } = { route: "", reason: "" },
    /** A local engine's own error (queue full, context overflow…), for the server to map to its status. */
    cause?: unknown,
  ) {
    super(redact(message), { cause });
  }
}

/** A route that cannot be tried at all (no such provider or model, circuit open, budget spent). */
export class RouteUnavailable extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly retryInMs?: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

export interface RouterDeps {
  config: RouterConfig;
  local?: LocalModels;
  db?: Db;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

type DoneEvent = Extract<ChatEvent, { type: "done" }>;

/** A route that produced its first event: the rest of its stream is still to be read. */
interface Committed {
  route: string;
  first: ChatEvent;
  next: () => Promise<IteratorResult<ChatEvent>>;
  /** Stops the backend: `abort` for early exits; after a final event it is only told to finish. */
  close: (abort: boolean) => void;
  attempt: RouteAttempt;
  started: number;
  /** The client's signal: a stream ended by the client is a cancellation, not a route failure. */
  clientSignal: AbortSignal;
}

export class Router {
  private config: RouterConfig;
  private readonly backends: Backends;
  private readonly breakers: Breakers;
  private readonly spend: Spend;
  private prices: PriceTable;
  private readonly now: () => number;

  constructor(deps: RouterDeps) {
    this.config = deps.config;
    this.now = deps.now ?? Date.now;
    this.backends = new Backends(deps.config, deps.local, deps.env);
    this.breakers = new Breakers(deps.config.breaker, this.now);
    this.spend = new Spend(deps.db, this.now);
    this.prices = new PriceTable(deps.config.prices);
  }

  /**
   * Prompt tokens of a request on the route it would take first (a cascade's first step). `count` is undefined when
   * that backend cannot count exactly (OpenAI-style providers) or counting failed (`error` says why): the caller
   * estimates then.
   */
  async countTokens(
    request: ChatCompletionRequest,
    options: { signal: AbortSignal; task?: string; native?: NativeRequest },
  ): Promise<{ route: string; count?: TokenCount; error?: string }> {
    const decided = this.decide(request, options.task);
    const route = decided.kind === "cascade" ? decided.steps[0] : decided.routes[0];
    try {
      const backend = await this.backends.get(route, this.config.routes[route]?.timeoutMs ?? this.config.timeoutMs);
      if (!backend?.countTokens) return { route };
      return {
        route,
        count: await backend.countTokens(
          { ...request, model: route.slice(route.indexOf(":") + 1) },
          options.signal,
          options.native,
        ),
      };
    } catch (e) {
      if (options.signal.aborted) throw e;
      return { route, error: redact(e instanceof Error ? e.message : String(e)) };
    }
  }

  /** The priority class of a request to `route` that did not name one (config routes.<id>.priority). */
  defaultPriority(route: string): Priority {
    return this.config.routes[route]?.priority ?? "interactive";
  }

  /** Applies a reloaded config: circuits and today's spend carry over; unchanged providers keep their connections. */
  reload(config: RouterConfig): void {
    this.config = config;
    this.backends.configure(config);
    this.breakers.configure(config.breaker);
    this.prices = new PriceTable(config.prices);
  }

  close(): void {
    this.backends.close();
  }

  /** The decision alone, without running it (for `hotpath route --explain` style tools and tests). */
  plan(request: ChatCompletionRequest, headers: { task?: string } = {}): Plan {
    return plan(request, headers, this.config, this.backends);
  }

  /** USD per 1M tokens for a route, if the price table knows it. */
  price(route: string) {
    return this.prices.lookup(route, this.config.routes[route]?.price);
  }

  circuit(route: string) {
    return this.breakers.state(route);
  }

  spentToday(route: string): number {
    return this.spend.spentToday(route);
  }

  /** Providers, and every route the config names or that has state (an open circuit, spend today). */
  status(): RouterStatus {
    const routes = new Set<string>(Object.keys(this.config.routes));
    const addTarget = (t: Target) =>
      (typeof t === "string" ? [t] : t.cascade).forEach((r) => this.backends.isRouteId(r) && routes.add(r));
    Object.values(this.config.aliases).forEach(addTarget);
    this.config.rules.forEach((r) => addTarget(r.target));
    for (const r of Object.values(this.config.routes))
      for (const f of r.fallbacks ?? []) if (this.backends.isRouteId(f)) routes.add(f);
    this.breakers.tripped().forEach((r) => routes.add(r));
    this.spend.routesToday().forEach((r) => routes.add(r));
    return {
      providers: this.backends.describe(),
      routes: [...routes].sort().map((route) => {
        const price = this.price(route);
        const budget = this.config.routes[route]?.dailyBudgetUsd;
        return {
          route,
          circuit: this.breakers.state(route),
          spentTodayUsd: this.spend.spentToday(route),
          ...(budget !== undefined ? { dailyBudgetUsd: budget } : {}),
          ...(price ? { price } : {}),
        };
      }),
      aliases: Object.keys(this.config.aliases),
      rules: this.config.rules.length,
    };
  }

  /** The plan, with planning failures as RouterErrors (unknown model → 404, broken alias config → 500). */
  private decide(request: ChatCompletionRequest, task: string | undefined): Plan {
    try {
      return this.plan(request, { task });
    } catch (e) {
      const decision = { route: "", reason: "no route" };
      if (e instanceof UnknownModel)
        throw new RouterError(404, e.message, "invalid_request_error", "model_not_found", [], {}, false, decision);
      if (e instanceof AliasError)
        throw new RouterError(
          500,
          `router config: ${e.message}`,
          "server_error",
          "router_config",
          [],
          {},
          false,
          decision,
        );
      throw e;
    }
  }

  async chat(request: ChatCompletionRequest, options: RouteRequestOptions): Promise<RouteResult> {
    const attempts: RouteAttempt[] = [];
    const task = options.headers?.["x-hotpath-task"];
    const decided = this.decide(request, Array.isArray(task) ? task[0] : task);
    const result: RouteResult = {
      route: "",
      priority: options.priority ?? "interactive",
      reason: decided.reason,
      attempts,
      events: emptyEvents(),
    };

    if (decided.kind === "cascade") {
      const steps = decided.steps;
      for (let i = 0; i < steps.length - 1; i++) {
        const step = steps[i];
        let committed: Committed;
        try {
          committed = await this.tryRoute(step, request, { ...options, confidence: true }, attempts);
        } catch (e) {
          if (isCancel(e, options.signal)) throw this.cancelled(result);
          result.reason += `; ${step} failed, escalating`;
          continue;
        }
        // A cheap step is read to the end before judging: nothing of it reaches the client unless accepted.
        let buffered: ChatEvent[];
        try {
          buffered = await this.drain(committed, result);
        } catch (e) {
          if (isCancel(e, options.signal)) throw this.cancelled(result);
          result.reason += `; ${step} failed mid-answer, escalating`;
          continue;
        }
        const verdict = judge(request, buffered, decided);
        if (verdict.accept) {
          result.route = step;
          result.priority = options.priority ?? this.defaultPriority(result.route);
          result.reason += `; ${step} accepted (${verdict.reason})`;
          result.events = replay(buffered);
          return result;
        }
        committed.attempt.outcome = "escalated";
        committed.attempt.error = verdict.reason;
        result.reason += `; ${step} rejected (${verdict.reason}), escalating`;
      }
      return this.runChain([steps[steps.length - 1], ...decided.fallbacks], request, options, result);
    }
    return this.runChain(decided.routes, request, options, result);
  }

  private async runChain(
    chain: string[],
    request: ChatCompletionRequest,
    options: RouteRequestOptions,
    result: RouteResult,
  ): Promise<RouteResult> {
    let lastError: unknown;
    for (const [i, route] of chain.entries()) {
      try {
        const committed = await this.tryRoute(route, request, options, result.attempts);
        result.route = route;
        result.priority = options.priority ?? this.defaultPriority(result.route);
        if (i > 0) result.reason += `; fell back to ${route}`;
        result.events = this.stream(committed, result);
        return result;
      } catch (e) {
        if (isCancel(e, options.signal)) throw this.cancelled(result);
        lastError = e;
      }
    }
    result.route = chain[chain.length - 1];
    result.priority = options.priority ?? this.defaultPriority(result.route);
    throw this.finalError(lastError, chain, result);
  }

  /**
   * One route with its retries. Resolves with the route's first event; rejects with the last error when the
   * route is skipped (open circuit, budget, unknown) or every try failed.
   */
  private async tryRoute(
    route: string,
    request: ChatCompletionRequest,
    options: RouteRequestOptions,
    attempts: RouteAttempt[],
  ): Promise<Committed> {
    const opts = this.config.routes[route] ?? {};
    // The local engine queues requests itself (and the server's request timeout bounds them): waiting in that queue
    // is not an upstream gone silent, so local routes have no silence limit unless one is configured for them.
    const isLocal = route.startsWith("local:");
    const timeoutMs = opts.timeoutMs ?? (isLocal ? undefined : this.config.timeoutMs);
    const policy: RetryPolicy = {
      maxRetries: opts.maxRetries ?? this.config.maxRetries,
      baseMs: this.config.backoff.baseMs,
      maxMs: this.config.backoff.maxMs,
      maxRetryAfterMs: this.config.maxRetryAfterMs,
    };
    const skip = (error: Error, status: number) => {
      attempts.push({ route, status, outcome: "skipped", error: redact(error.message), ms: 0 });
      return error;
    };
    try {
      this.spend.check(route, opts.dailyBudgetUsd);
    } catch (e) {
      throw skip(e as BudgetExceeded, 402);
    }
    let backend: ChatBackend | undefined;
    try {
      backend = await this.backends.get(route, timeoutMs ?? this.config.timeoutMs);
    } catch (e) {
      // A local model that failed to load, or is still loading: fall back like any unavailable route.
      const code = (e as { code?: unknown }).code;
      throw skip(
        new RouteUnavailable(
          (e as Error).message,
          503,
          typeof code === "string" ? code : "model_unavailable",
          undefined,
          e,
        ),
        503,
      );
    }
    if (!backend) {
      const what = route.startsWith("local:")
        ? `no local model '${route.slice(6)}' is configured`
        : `no provider '${route.slice(0, route.indexOf(":"))}' is configured for route ${route}`;
      throw skip(new RouteUnavailable(what, 404, "model_not_found"), 404);
    }
    const modelName = route.slice(route.indexOf(":") + 1);
    const routed = { ...request, model: modelName };
    for (let retry = 0; ; retry++) {
      if (!this.breakers.allow(route)) {
        const wait = this.breakers.retryInMs(route);
        throw skip(
          new RouteUnavailable(
            `route ${route} is paused after repeated failures (circuit open); next trial in ${Math.ceil(wait / 1000)} s`,
            503,
            "circuit_open",
            wait,
          ),
          503,
        );
      }
      const started = this.now();
      const attempt: RouteAttempt = { route, status: 0, outcome: "ok", ms: 0 };
      attempts.push(attempt);
      try {
        const committed = await this.firstEvent(route, backend, routed, options, timeoutMs, attempt, started);
        this.breakers.success(route);
        return committed;
      } catch (raw) {
        const e = classify(raw, route);
        attempt.ms = this.now() - started;
        attempt.status = e.status;
        attempt.error = e.message;
        attempt.outcome = e.kind === "timeout" ? "timeout" : e.kind === "aborted" ? "cancelled" : "error";
        if (e.kind === "aborted" || options.signal.aborted) {
          this.breakers.release(route);
          throw e;
        }
        if (countsAgainstCircuit(e)) this.breakers.failure(route);
        else this.breakers.release(route);
        const delay = retryDelay(e, retry + 1, policy);
        if (delay === undefined) throw e;
        await sleep(delay, options.signal);
      }
    }
  }

  /** Starts the backend and waits (within the route's timeout) for its first event. */
  private async firstEvent(
    route: string,
    backend: ChatBackend,
    request: ChatCompletionRequest,
    options: RouteRequestOptions,
    timeoutMs: number | undefined,
    attempt: RouteAttempt,
    started: number,
  ): Promise<Committed> {
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(options.signal.reason);
    if (options.signal.aborted) controller.abort(options.signal.reason);
    else options.signal.addEventListener("abort", onClientAbort, { once: true });
    const watchdog = new Watchdog(timeoutMs, () => {
      const err = new UpstreamError(`${route} sent nothing for ${timeoutMs} ms (timeout)`, "timeout", 408);
      controller.abort(err);
      return err;
    });
    const stream = backend.chat(request, {
      signal: controller.signal,
      priority: options.priority ?? this.defaultPriority(route),
      requestId: options.requestId,
      confidence: options.confidence,
      native: options.native,
      whileWaiting: options.whileWaiting,
    });
    const it = stream[Symbol.asyncIterator]();
    let closed = false;
    const close = (abort: boolean) => {
      if (closed) return;
      closed = true;
      watchdog.stop();
      options.signal.removeEventListener("abort", onClientAbort);
      if (abort) controller.abort();
      void it.return?.().catch(() => {});
    };
    const next = () => watchdog.race(it.next());
    try {
      const r = await next();
      if (r.done) throw new UpstreamError(`${route} ended without answering`, "protocol", 502);
      attempt.status = 200;
      attempt.ttfbMs = this.now() - started;
      return { route, first: r.value, next, close, attempt, started, clientSignal: options.signal };
    } catch (e) {
      close(true);
      throw e;
    }
  }

  /** Reads a committed route to its end (cascade steps). */
  private async drain(c: Committed, result: RouteResult): Promise<ChatEvent[]> {
    const out: ChatEvent[] = [];
    for await (const e of this.stream(c, result)) out.push(e);
    return out;
  }

  /**
   * The committed route's events; records time, usage and cost when the final event passes. A plain iterator, not an
   * async generator: every event of every answer passes here, and a generator layer costs each a few promise turns.
   */
  private stream(c: Committed, result: RouteResult): AsyncIterable<ChatEvent> {
    let pending: ChatEvent | undefined = c.first;
    let finished = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (!finished && c.attempt.ms === 0) c.attempt.ms = this.now() - c.started;
      c.close(!finished);
    };
    const deliver = (event: ChatEvent): IteratorResult<ChatEvent> => {
      if (event.type === "done") {
        this.account(c, event, result);
        finished = true;
      }
      return { done: false, value: event };
    };
    const iterator: AsyncIterator<ChatEvent> = {
      next: async () => {
        if (ended || finished) {
          end();
          return { done: true, value: undefined };
        }
        try {
          if (pending) {
            const first = pending;
            pending = undefined;
            return deliver(first);
          }
          const r = await c.next();
          if (r.done) throw new UpstreamError(`${c.route} ended its stream without a final event`, "protocol", 502);
          return deliver(r.value);
        } catch (raw) {
          const failure = this.streamFailure(c, result, raw);
          end();
          throw failure;
        }
      },
      // The consumer stopped early (or after the final event): the backend is told to stop, or just to finish.
      return: async () => {
        end();
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  /** What a committed route's failure after its first event becomes (the attempt records it). */
  private streamFailure(c: Committed, result: RouteResult, raw: unknown): Error {
    if (c.clientSignal.aborted) {
      c.attempt.outcome = "cancelled";
      c.attempt.ms = this.now() - c.started;
      return new RouterError(
        499,
        "the client cancelled the request",
        "cancelled",
        "cancelled",
        result.attempts,
        {},
        true,
        result,
      );
    }
    const e = classify(raw, c.route);
    c.attempt.outcome = e.kind === "timeout" ? "timeout" : e.kind === "aborted" ? "cancelled" : "error";
    c.attempt.error = `after the first byte: ${e.message}`;
    c.attempt.ms = this.now() - c.started;
    if (e.kind === "aborted") return this.cancelled(result);
    if (countsAgainstCircuit(e)) this.breakers.failure(c.route);
    return new RouterError(
      e.kind === "timeout" ? 504 : 502,
      `${c.route} failed mid-stream: ${e.message}`,
      "server_error",
      "upstream_stream_error",
      result.attempts,
      {},
      true,
      result,
      e.cause,
    );
  }

  private account(c: Committed, done: DoneEvent, result: RouteResult): void {
    c.attempt.ms = this.now() - c.started;
    const price = this.price(c.route);
    result.usage = done.usage;
    if (!price) return;
    const cost = costUsd(done.usage, price);
    c.attempt.costUsd = cost;
    result.costUsd = (result.costUsd ?? 0) + cost;
    this.spend.add(c.route, cost);
  }

  private cancelled(result: RouteResult): RouterError {
    return new RouterError(
      499,
      "the client cancelled the request",
      "cancelled",
      "cancelled",
      result.attempts,
      {},
      false,
      result,
    );
  }

  private finalError(e: unknown, chain: string[], result: RouteResult): RouterError {
    const attempts = result.attempts;
    const tried = chain.join(", ");
    const allSkipped = attempts.every((a) => a.outcome === "skipped");
    const fail = (
      status: number,
      message: string,
      type: string,
      code: string,
      headers: Record<string, string> = {},
      cause?: unknown,
    ) => new RouterError(status, message, type, code, attempts, headers, false, result, cause);
    if (e instanceof BudgetExceeded && allSkipped) return fail(402, e.message, "insufficient_quota", "budget_exceeded");
    // A lone local route whose model is loading or failed: the engine's own error says it best (status, retry-after).
    if (e instanceof RouteUnavailable && allSkipped && chain.length === 1 && e.cause !== undefined) {
      return fail(e.status, e.message, "server_error", "backend_error", {}, e.cause);
    }
    // Also when earlier tries failed and the last found the circuit open (it opened during this request): the route
    // is unavailable (503 with retry-after), not an internal error.
    if (e instanceof RouteUnavailable) {
      const retry: Record<string, string> =
        e.retryInMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(e.retryInMs / 1000))) } : {};
      const message =
        chain.length > 1
          ? `no route could take the request (${tried}); last: ${e.message}`
          : allSkipped
            ? e.message
            : `${attempts.filter((a) => a.outcome !== "skipped").length} tries failed, then ${e.message}`;
      return fail(e.status, message, e.status === 404 ? "invalid_request_error" : "server_error", e.code, retry);
    }
    const u = e instanceof UpstreamError ? e : classify(e, chain[chain.length - 1]);
    const routes = chain.length > 1 ? `every route failed (${tried}); last: ` : "";
    const headers: Record<string, string> =
      u.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(u.retryAfterMs / 1000))) } : {};
    if (u.kind === "backend") return fail(500, routes + u.message, "server_error", "backend_error", {}, u.cause);
    if (u.kind === "timeout") return fail(504, routes + u.message, "server_error", "upstream_timeout");
    if (u.kind === "http" && u.status === 429)
      return fail(429, routes + u.message, "rate_limit_error", "rate_limited", headers);
    // The client's own request was refused upstream (bad parameters, too long): its status says so best.
    if (u.kind === "http" && [400, 404, 413, 422].includes(u.status))
      return fail(u.status, routes + u.message, "invalid_request_error", "upstream_rejected");
    if (u.kind === "config" && u.status === 400)
      return fail(400, routes + u.message, "invalid_request_error", "untranslatable");
    return fail(502, routes + u.message, "server_error", "upstream_error", headers);
  }

  /** Routing facts as span attributes (route, reason, attempts, cost). */
  static spanAttributes(result: Pick<RouteResult, "route" | "reason" | "attempts" | "costUsd">): Attributes {
    const attrs: Attributes = {
      [HotpathAttr.route]: result.route,
      [HotpathAttr.routeReason]: result.reason,
      [HotpathAttr.routeAttemptCount]: result.attempts.length,
      [HotpathAttr.routeAttempts]: result.attempts.map((a) => JSON.stringify(a)),
    };
    if (result.costUsd !== undefined) attrs[HotpathAttr.costUsd] = result.costUsd;
    return attrs;
  }
}

/** Errors from upstreams keep their class; anything else a backend throws (the local engine's own errors) is kept as the cause. */
function classify(raw: unknown, route: string): UpstreamError {
  if (raw instanceof UpstreamError) return raw;
  const err = raw as NodeJS.ErrnoException;
  // The daemon aborts with an HttpError(499) when the client goes away; engines rethrow that reason.
  if (err?.name === "AbortError" || (raw as { status?: number })?.status === 499)
    return new UpstreamError("the request was cancelled", "aborted");
  if (err?.code && /^(E[A-Z]+|UND_ERR)/.test(err.code)) return asUpstreamError(raw, route);
  return new UpstreamError(`${route}: ${err?.message ?? String(raw)}`, "backend", 0, undefined, undefined, {
    cause: raw,
  });
}

/** Failures that say the route is unhealthy (not the client's request, not a missing key). */
function countsAgainstCircuit(e: UpstreamError): boolean {
  return e.retryable || e.kind === "protocol";
}

function isCancel(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof UpstreamError && e.kind === "aborted");
}

async function* replay(events: ChatEvent[]): AsyncGenerator<ChatEvent> {
  yield* events;
}

async function* emptyEvents(): AsyncGenerator<ChatEvent> {}

/**
 * The route's silence limit: armed only while waiting on the backend (a slow client is not the backend's fault);
 * when it fires it aborts the backend and fails the wait, even for a backend that ignores its abort signal.
 */
class Watchdog {
  private fired: Error | undefined;
  private stopped = false;
  /** One timer for the whole stream, re-armed per wait (a timer per event cost each token an insert and a removal). */
  private timer: NodeJS.Timeout | undefined;
  /** Fails the wait in progress; unset between waits, when the timer firing means nothing. */
  private failWait: ((e: Error) => void) | undefined;

  constructor(
    private readonly ms: number | undefined,
    private readonly onFire: () => Error,
  ) {}

  race<T>(p: Promise<T>): Promise<T> {
    if (this.fired) return Promise.reject(this.fired);
    if (this.stopped || this.ms === undefined) return p;
    if (this.timer) this.timer.refresh();
    else {
      // Unreferenced: what is waited on (a socket) keeps the process alive, and between waits nothing should.
      this.timer = setTimeout(() => this.fire(), this.ms);
      this.timer.unref();
    }
    return new Promise<T>((resolve, reject) => {
      this.failWait = reject;
      p.then(
        (v) => {
          this.failWait = undefined;
          resolve(v);
        },
        (e) => {
          this.failWait = undefined;
          reject(this.fired ?? e);
        },
      );
    });
  }

  private fire(): void {
    const fail = this.failWait;
    if (!fail || this.stopped) return;
    this.failWait = undefined;
    this.fired = this.onFire();
    fail(this.fired);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
