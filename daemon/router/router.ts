// The Router: decides where a chat request goes (rules, aliases, cascade, fallbacks), tries it with retries,
// timeouts, circuit breakers and budgets, and hands back one event stream plus the facts of how it got there.
//
// `chat()` resolves once a route produced its first event (so the route is final before any byte reaches the
// client, and x-hotpath-route can be a response header); from then on the route is committed: a later failure
// ends the stream with an error, never a retry.
import type { ChatCompletionRequest, RouteAttempt, Usage } from "../api.js";
import type { ChatBackend, ChatEvent, Priority } from "../chat.js";
import type { RouterConfig } from "../config.js";
import type { Db } from "../db.js";
import type { Attributes } from "../traces/span.js";
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
  priority: Priority;
  requestId: string;
  /** Request headers (lower-case names); the router reads x-hotpath-task. */
  headers?: Record<string, string | string[] | undefined>;
}

/** How a request was routed; attempts and cost keep filling in while the stream runs. */
export interface RouteResult {
  /** The route that answers (x-hotpath-route). */
  route: string;
  /** Why: rule, alias, cascade verdicts, fallbacks taken. */
  reason: string;
  attempts: RouteAttempt[];
  events: AsyncIterable<ChatEvent>;
  /** Sum over every attempt that produced usage (escalated cascade steps cost money too); set when the stream ends. */
  costUsd?: number;
  usage?: Usage;
}

/** Span attribute names for routing facts (alongside HotpathAttr.route / routeReason / costUsd). */
export const RouteAttr = {
  attempts: "hotpath.route.attempts",
  attemptCount: "hotpath.route.attempt_count",
} as const;

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
  ) {
    super(redact(message));
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

  async chat(request: ChatCompletionRequest, options: RouteRequestOptions): Promise<RouteResult> {
    const attempts: RouteAttempt[] = [];
    const task = options.headers?.["x-hotpath-task"];
    let decided: Plan;
    try {
      decided = this.plan(request, { task: Array.isArray(task) ? task[0] : task });
    } catch (e) {
      if (e instanceof UnknownModel) throw new RouterError(404, e.message, "invalid_request_error", "model_not_found", attempts);
      if (e instanceof AliasError) throw new RouterError(500, `router config: ${e.message}`, "server_error", "router_config", attempts);
      throw e;
    }
    const result: RouteResult = { route: "", reason: decided.reason, attempts, events: emptyEvents() };

    if (decided.kind === "cascade") {
      const steps = decided.steps;
      for (let i = 0; i < steps.length - 1; i++) {
        const step = steps[i];
        let committed: Committed;
        try {
          committed = await this.tryRoute(step, request, options, attempts);
        } catch (e) {
          if (isCancel(e, options.signal)) throw this.cancelled(attempts);
          result.reason += `; ${step} failed, escalating`;
          continue;
        }
        // A cheap step is read to the end before judging: nothing of it reaches the client unless accepted.
        let buffered: ChatEvent[];
        try {
          buffered = await this.drain(committed, result);
        } catch (e) {
          if (isCancel(e, options.signal)) throw this.cancelled(attempts);
          result.reason += `; ${step} failed mid-answer, escalating`;
          continue;
        }
        const verdict = judge(request, buffered, decided);
        if (verdict.accept) {
          result.route = step;
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

  private async runChain(chain: string[], request: ChatCompletionRequest, options: RouteRequestOptions, result: RouteResult): Promise<RouteResult> {
    let lastError: unknown;
    for (const [i, route] of chain.entries()) {
      try {
        const committed = await this.tryRoute(route, request, options, result.attempts);
        result.route = route;
        if (i > 0) result.reason += `; fell back to ${route}`;
        result.events = this.stream(committed, result);
        return result;
      } catch (e) {
        if (isCancel(e, options.signal)) throw this.cancelled(result.attempts);
        lastError = e;
      }
    }
    throw this.finalError(lastError, chain, result.attempts);
  }

  /**
   * One route with its retries. Resolves with the route's first event; rejects with the last error when the
   * route is skipped (open circuit, budget, unknown) or every try failed.
   */
  private async tryRoute(route: string, request: ChatCompletionRequest, options: RouteRequestOptions, attempts: RouteAttempt[]): Promise<Committed> {
    const opts = this.config.routes[route] ?? {};
    const timeoutMs = opts.timeoutMs ?? this.config.timeoutMs;
    const policy: RetryPolicy = {
      maxRetries: opts.maxRetries ?? this.config.maxRetries,
      baseMs: this.config.backoff.baseMs,
      maxMs: this.config.backoff.maxMs,
      maxRetryAfterMs: this.config.maxRetryAfterMs,
    };
    const skip = (error: Error, status = 0) => {
      attempts.push({ route, status, outcome: "skipped", error: redact(error.message), ms: 0 });
      return error;
    };
    try {
      this.spend.check(route, opts.dailyBudgetUsd);
    } catch (e) {
      throw skip(e as BudgetExceeded, 402);
    }
    const backend = this.backends.get(route, timeoutMs);
    if (!backend) {
      throw skip(new UnknownModel(route.startsWith("local:") ? `no local model '${route.slice(6)}' is loaded` : `no provider for route ${route}`), 404);
    }
    const modelName = route.slice(route.indexOf(":") + 1);
    const routed = { ...request, model: modelName };
    for (let retry = 0; ; retry++) {
      if (!this.breakers.allow(route)) {
        throw skip(new CircuitOpen(route, this.breakers.retryInMs(route)), 503);
      }
      const started = this.now();
      const attempt: RouteAttempt = { route, status: 0, outcome: "ok", ms: 0 };
      attempts.push(attempt);
      try {
        const committed = await this.firstEvent(route, backend, routed, options, timeoutMs, attempt, started);
        this.breakers.success(route);
        return committed;
      } catch (raw) {
        const e = asUpstreamError(raw, route);
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
    timeoutMs: number,
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
    const it = backend.chat(request, { signal: controller.signal, priority: options.priority, requestId: options.requestId })[Symbol.asyncIterator]();
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
      return { route, first: r.value, next, close, attempt, started };
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

  /** The committed route's events; records time, usage and cost when the final event passes. */
  private async *stream(c: Committed, result: RouteResult): AsyncGenerator<ChatEvent> {
    let finished = false;
    try {
      let event: ChatEvent = c.first;
      for (;;) {
        if (event.type === "done") {
          this.account(c, event, result);
          finished = true;
        }
        yield event;
        if (finished) return;
        const r = await c.next();
        if (r.done) throw new UpstreamError(`${c.route} ended its stream without a final event`, "protocol", 502);
        event = r.value;
      }
    } catch (raw) {
      const e = asUpstreamError(raw, c.route);
      c.attempt.outcome = e.kind === "timeout" ? "timeout" : e.kind === "aborted" ? "cancelled" : "error";
      c.attempt.error = `after the first byte: ${e.message}`;
      c.attempt.ms = this.now() - c.started;
      if (countsAgainstCircuit(e)) this.breakers.failure(c.route);
      throw new RouterError(e.kind === "timeout" ? 504 : 502, `${c.route} failed mid-stream: ${e.message}`, "server_error", "upstream_stream_error", result.attempts, {}, true);
    } finally {
      if (!finished && c.attempt.ms === 0) c.attempt.ms = this.now() - c.started;
      c.close(!finished);
    }
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

  private cancelled(attempts: RouteAttempt[]): RouterError {
    return new RouterError(499, "the client cancelled the request", "cancelled", "cancelled", attempts);
  }

  private finalError(e: unknown, chain: string[], attempts: RouteAttempt[]): RouterError {
    const tried = chain.join(", ");
    if (e instanceof BudgetExceeded && attempts.every((a) => a.outcome === "skipped")) {
      return new RouterError(402, e.message, "insufficient_quota", "budget_exceeded", attempts);
    }
    if (e instanceof CircuitOpen && attempts.every((a) => a.outcome === "skipped")) {
      const wait = Math.ceil(e.retryInMs / 1000);
      return new RouterError(503, `${e.message} (tried: ${tried})`, "server_error", "circuit_open", attempts, { "retry-after": String(Math.max(1, wait)) });
    }
    if (e instanceof UnknownModel) return new RouterError(404, e.message, "invalid_request_error", "model_not_found", attempts);
    const u = asUpstreamError(e, chain[chain.length - 1]);
    const routes = chain.length > 1 ? `every route failed (${tried}); last: ` : "";
    const headers: Record<string, string> = u.retryAfterMs !== undefined ? { "retry-after": String(Math.ceil(u.retryAfterMs / 1000)) } : {};
    if (u.kind === "timeout") return new RouterError(504, routes + u.message, "server_error", "upstream_timeout", attempts);
    if (u.kind === "http" && u.status === 429) return new RouterError(429, routes + u.message, "rate_limit_error", "rate_limited", attempts, headers);
    // The client's own request was refused upstream (bad parameters, too long): its status says so best.
    if (u.kind === "http" && [400, 404, 413, 422].includes(u.status)) return new RouterError(u.status, routes + u.message, "invalid_request_error", "upstream_rejected", attempts);
    if (u.kind === "config" && u.status === 400) return new RouterError(400, routes + u.message, "invalid_request_error", "untranslatable", attempts);
    return new RouterError(502, routes + u.message, "server_error", "upstream_error", attempts, headers);
  }

  /** Routing facts as span attributes (route, reason, attempts, cost). */
  static spanAttributes(result: Pick<RouteResult, "route" | "reason" | "attempts" | "costUsd">): Attributes {
    const attrs: Attributes = {
      "hotpath.route": result.route,
      "hotpath.route.reason": result.reason,
      [RouteAttr.attemptCount]: result.attempts.length,
      [RouteAttr.attempts]: result.attempts.map((a) => JSON.stringify(a)),
    };
    if (result.costUsd !== undefined) attrs["hotpath.cost.usd"] = result.costUsd;
    return attrs;
  }
}

export class CircuitOpen extends Error {
  constructor(
    readonly route: string,
    readonly retryInMs: number,
  ) {
    super(`route ${route} is paused after repeated failures (circuit open); next trial in ${Math.ceil(retryInMs / 1000)} s`);
  }
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

  constructor(
    private readonly ms: number,
    private readonly onFire: () => Error,
  ) {}

  race<T>(p: Promise<T>): Promise<T> {
    if (this.fired) return Promise.reject(this.fired);
    if (this.stopped) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fired = this.onFire();
        reject(this.fired);
      }, this.ms);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(this.fired ?? e);
        },
      );
    });
  }

  stop(): void {
    this.stopped = true;
  }
}
