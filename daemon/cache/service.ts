// ResponseCache: what the chat and completions handlers ask before going to a backend, and tell afterwards.
// Lookup order, the exactness ladder: admission (headers, determinism) → exact key → normalised exact key (case,
// spacing, NFKC, canonical JSON) → identical request in flight → semantic KNN in the namespace → false-hit guards →
// verifier (when configured: every semantic candidate) → hit or miss. Each hit says which rung served it.
import type {
  CacheCounters,
  CacheEntryDto,
  CacheNamespaceStats,
  CacheStats,
  CacheVerdict,
  ChatCompletion,
  Completion,
} from "../api.js";
import type { CacheConfig } from "../config.js";
import { addPendingWrites, flushPendingWrites, type Db } from "../db.js";
import type { Embedder } from "./embedder.js";
import { Flights } from "./flight.js";
import { findCriticalDifference, GUARDS, type Guard } from "./guards/index.js";
import { isDeterministic, requestKey, type CacheableRequest, type RequestKey } from "./key.js";
import { admit, header, scopeOf, type Headers } from "./policy.js";
import { CacheStore, type Counters, type EntryRow } from "./store.js";
import { classifyWorkload, ttlMs } from "./workload.js";

export interface CacheContext {
  /** Route id that will answer on a miss, e.g. "local:stories". Part of the namespace. */
  route: string;
  headers: Headers;
  /** Aborts waiting for an identical in-flight request. */
  signal?: AbortSignal;
  /** User or tenant the answer belongs to ("" or absent: shared). Entries are never served across scopes. */
  scope?: string;
}

/** The rung of the exactness ladder that served a hit. */
export type CacheMatch = "exact" | "normalized" | "semantic" | "single-flight";

export type CachedResponse = ChatCompletion | Completion;

export interface LookupResult {
  verdict: CacheVerdict;
  /**
   * The request's namespace; absent when the cache neither looks the request up nor stores its answer (the key is then
   * computed after the request's own path, only for the namespace's bypass count).
   */
  namespace?: string;
  reason: string;
  /** Cosine of the best candidate scored (1 for exact and single-flight hits). */
  similarity?: number;
  /** Guard kind that refused the best candidate (or "verifier"). */
  guard?: string;
  guardDetail?: string;
  match?: CacheMatch;
  response?: CachedResponse;
  entryId?: number;
  /** Whether store() will keep this request's answer. */
  storable: boolean;
  /** The user/tenant scope the request was looked up in ("" when shared). */
  scope: string;
  /** Milliseconds spent looking up (embedding included). */
  lookupMs: number;
}

export interface StoreResult {
  stored: boolean;
  reason: string;
  entryId?: number;
}

/** Asked about candidates near the threshold: do these two requests want the same answer? */
export type Verifier = (q: {
  query: string;
  candidate: string;
  similarity: number;
  namespace: string;
}) => Promise<boolean>;

export interface ResponseCacheOptions {
  db: Db;
  config: CacheConfig;
  embedder: Embedder;
  verifier?: Verifier;
  guards?: readonly Guard[];
  /** Injectable clock for TTL tests. */
  now?: () => number;
}

/** How long lookup counts may wait for another write to commit with before they are committed on their own. */
const COUNTS_WAIT_MS = 1000;

const EMPTY: Omit<CacheCounters, "hitRate"> = {
  hits: 0,
  misses: 0,
  bypasses: 0,
  semanticHits: 0,
  normalizedHits: 0,
  guardRejections: 0,
  tokensSaved: 0,
  msSaved: 0,
  usdSaved: 0,
};

export class ResponseCache {
  readonly storage: CacheStore;
  private readonly flights = new Flights<CachedResponse>();
  private readonly vectors = new Map<string, Float32Array>();
  private embedderLoaded = false;
  private evictions = 0;
  private lastPurge = 0;
  private readonly now: () => number;
  verifier?: Verifier;
  /** Lookup counts per namespace not yet written, and those written in a transaction not yet committed. */
  private counts = new Map<string, Partial<Counters>>();
  private countsWritten?: Map<string, Partial<Counters>>;
  private countsTimer?: NodeJS.Timeout;
  /** The waiting counts are due: they go with the next write on the database (or flushCounts' own). */
  private countsDue = false;
  private readonly stopCounting: () => void;
  /** Requests the cache bypassed whose namespace is still to be computed and counted (see countBypass). */
  private bypassed: { request: CacheableRequest; route: string; scope: string; at: number }[] = [];

  constructor(private readonly opts: ResponseCacheOptions) {
    this.storage = new CacheStore(opts.db);
    this.now = opts.now ?? Date.now;
    this.verifier = opts.verifier;
    // A lookup's counts wait in memory for the timer (COUNTS_WAIT_MS): every request's counts of that second then go
    // in one write. When it is due they ride on the next write on the database instead, if one comes first (or the
    // timer's own write found the database busy). Riding on every request's span cost each span commit a savepoint,
    // an UPDATE and one more page.
    this.stopCounting = addPendingWrites(opts.db, {
      waiting: () => this.countsDue && this.counts.size > 0,
      write: () => {
        const batch = this.counts;
        this.counts = new Map();
        this.countsDue = false;
        this.countsWritten = batch;
        for (const [namespace, delta] of batch) this.storage.count(namespace, delta);
      },
      settle: (committed) => {
        const batch = this.countsWritten;
        this.countsWritten = undefined;
        if (!committed && batch) for (const [namespace, delta] of batch) this.countLater(namespace, delta);
      },
    });
  }

  /** Commits the lookup counts still waiting (before reading them, on a timer, and on close). */
  flushCounts(): void {
    this.countBypasses();
    clearTimeout(this.countsTimer);
    this.countsTimer = undefined;
    this.countsDue = this.counts.size > 0;
    try {
      flushPendingWrites(this.opts.db, "counting cache lookups");
    } catch {
      // Busy with another connection's write (an import): the counts stay pending and are tried again.
    }
    if (this.counts.size || this.bypassed.length) this.scheduleCounts();
  }

  /** Writes the waiting counts and stops counting; call before closing the database. */
  close(): void {
    this.flushCounts();
    clearTimeout(this.countsTimer);
    this.stopCounting();
  }

  /**
   * A bypass is counted in its request's namespace, but that hash (canonical JSON of the whole conversation before the
   * last user turn) is not on the request's own path: the request waits here until countBypasses — which the pipeline
   * calls once its answer is out — or until the counts are read, written or due, whichever comes first. Not while the
   * request waits for its backend: on 2 cores the backend's answer often arrives during that wait and would wait for
   * the hash (39 µs p50 in the daemon at load 5).
   */
  private countBypass(request: CacheableRequest, route: string, scope: string, at: number): void {
    this.bypassed.push({ request, route, scope, at });
    this.scheduleCounts();
  }

  /**
   * A bypassed request that was refused as the client's mistake (input that cannot fit the model's context, a limit,
   * an unknown model) is not counted, so its namespace is never hashed: it was never served, and for a refused 9 MB
   * body that hash (the whole conversation) held the event loop 20–60 ms a second after the answer (issue #15).
   */
  forgetBypass(request: CacheableRequest): void {
    const i = this.bypassed.findIndex((b) => b.request === request);
    if (i >= 0) this.bypassed.splice(i, 1);
  }

  /** Keys and counts the bypassed requests waiting (see countBypass). */
  countBypasses(): void {
    if (!this.bypassed.length) return;
    const bypassed = this.bypassed;
    this.bypassed = [];
    for (let i = 0; i < bypassed.length; i++) {
      const b = bypassed[i];
      let key: RequestKey;
      try {
        key = requestKey(b.request, b.route, b.scope);
      } catch {
        continue; // no JSON form to hash (a validated body always has one): nothing to count it under
      }
      try {
        // The namespace's row first: the count is an UPDATE of it.
        this.storage.touchNamespace(
          { namespace: key.namespace, label: key.label, route: b.route, model: b.request.model },
          b.at,
        );
      } catch {
        // Another connection holds the write lock (an import) past the busy timeout: these wait for the counts' timer.
        this.bypassed.unshift(...bypassed.slice(i));
        this.scheduleCounts();
        return;
      }
      this.countLater(key.namespace, { bypasses: 1 });
    }
  }

  private countLater(namespace: string, delta: Partial<Counters>): void {
    const sum = this.counts.get(namespace) ?? {};
    for (const [k, v] of Object.entries(delta) as [keyof Counters, number][]) if (v) sum[k] = (sum[k] ?? 0) + v;
    this.counts.set(namespace, sum);
    this.scheduleCounts();
  }

  private scheduleCounts(): void {
    if (this.countsTimer) return;
    this.countsTimer = setTimeout(() => this.flushCounts(), COUNTS_WAIT_MS);
    this.countsTimer.unref();
  }

  get config(): CacheConfig {
    return this.opts.config;
  }

  get embedderId(): string {
    return this.opts.embedder.id;
  }

  async lookup(request: CacheableRequest, ctx: CacheContext): Promise<LookupResult> {
    const started = performance.now();
    const scope = scopeOf(request, ctx, this.config);
    const now = this.now();
    const admission = scope.refuse
      ? { lookup: false, store: false, reason: scope.refuse }
      : admit({ deterministic: isDeterministic(request) }, ctx.headers, this.config);
    // Neither looked up nor stored (a sampled request, by default): no key on the request's path (countBypass).
    if (!admission.lookup && !admission.store) {
      this.countBypass(request, ctx.route, scope.scope, now);
      return {
        verdict: "bypass",
        reason: admission.reason ?? "bypass",
        scope: scope.scope,
        storable: false,
        lookupMs: performance.now() - started,
      };
    }
    const key = requestKey(request, ctx.route, scope.scope);
    this.storage.touchNamespace(
      { namespace: key.namespace, label: key.label, route: ctx.route, model: request.model },
      now,
    );
    // `served`: the entry a hit came from (already read; its savings are counted without reading it again).
    const done = (
      r: Omit<LookupResult, "namespace" | "lookupMs" | "storable" | "scope">,
      served?: EntryRow,
    ): LookupResult => {
      const result = {
        ...r,
        namespace: key.namespace,
        scope: scope.scope,
        storable: admission.store,
        lookupMs: performance.now() - started,
      };
      if (r.verdict === "hit") {
        const entry = served ?? (r.entryId !== undefined ? this.storage.get(r.entryId) : undefined);
        this.countLater(key.namespace, {
          hits: 1,
          semantic_hits: r.match === "semantic" ? 1 : 0,
          normalized_hits: r.match === "normalized" ? 1 : 0,
          tokens_saved: entry ? entry.prompt_tokens + entry.completion_tokens : 0,
          ms_saved: entry?.latency_ms ?? 0,
          usd_saved: entry?.cost_usd ?? 0,
        });
      } else if (r.verdict === "miss") {
        this.countLater(key.namespace, { misses: 1, guard_rejections: r.guard ? 1 : 0 });
        // This request goes to the backend: identical requests arriving meanwhile wait for it.
        // A leader whose client leaves ends its flight: followers go to the backend instead of waiting it out.
        if (admission.store && this.flights.lead(key.exactKey, this.config.singleFlightWaitMs) && ctx.signal) {
          const signal = ctx.signal;
          if (signal.aborted) this.flights.settle(key.exactKey, undefined);
          else signal.addEventListener("abort", () => this.flights.settle(key.exactKey, undefined), { once: true });
        }
      } else this.countLater(key.namespace, { bypasses: 1 });
      return result;
    };
    if (!admission.lookup) return done({ verdict: "bypass", reason: admission.reason ?? "bypass" });

    const exact = this.storage.getExact(key.exactKey, now);
    if (exact) return done(this.hit(exact, now, "exact", 1, "exact request seen before"), exact);
    const normal = this.storage.getNormal(key.normalKey, now);
    if (normal && normal.namespace === key.namespace) {
      return done(
        this.hit(normal, now, "normalized", 1, "same request up to case, spacing, Unicode form or JSON layout"),
        normal,
      );
    }

    // An identical request is at the backend: share its answer (checked again after the embedding, which awaits another
    // thread: the request that missed first becomes the leader meanwhile).
    const joinFlight = async (): Promise<LookupResult | undefined> => {
      if (!this.flights.has(key.exactKey)) return undefined;
      const answer = await this.flights.wait(key.exactKey, this.config.singleFlightWaitMs, ctx.signal);
      if (answer) {
        const entry = this.storage.getExact(key.exactKey, this.now());
        if (entry)
          return done(
            this.hit(entry, this.now(), "single-flight", 1, "identical request was in flight; shared its answer"),
            entry,
          );
        return done({
          verdict: "hit",
          match: "single-flight",
          similarity: 1,
          response: fresh(answer),
          reason: "identical request was in flight; shared its answer",
        });
      }
      return undefined;
    };
    const shared = await joinFlight();
    if (shared) return shared;

    const semanticAllowed = key.kind === "chat" ? this.config.semanticChat : this.config.semanticCompletions;
    if (key.match === "exact" || !semanticAllowed || !key.queryText.trim()) {
      const why =
        key.match === "exact"
          ? `exact match only: ${key.exactReason}`
          : !semanticAllowed
            ? `semantic matching off for ${key.kind}`
            : "empty query text";
      return done({ verdict: "miss", reason: why });
    }

    let vector: Float32Array;
    try {
      vector = await this.embed(key.queryText);
    } catch (e) {
      return done({
        verdict: "miss",
        reason: `embedder ${this.embedderId} failed, exact match only: ${(e as Error).message}`,
      });
    }
    const sharedAfterEmbed = await joinFlight();
    if (sharedAfterEmbed) return sharedAfterEmbed;
    const threshold = this.thresholdFor(key.namespace, ctx.route);
    // The band widens what counts as a candidate below the threshold; the verifier sees every candidate (above the
    // threshold too: most false hits score far above it).
    const band = this.verifier ? this.config.verifierBand : 0;
    const candidates = this.storage.nearest(
      this.embedderId,
      key.namespace,
      vector,
      this.config.coarseCandidates,
      now,
      3,
    );
    // While the index loads, a semantic miss may only mean the entry has not arrived yet: every miss says so.
    const loading = this.storage.indexState === "loading" ? " (the similarity index is still loading)" : "";
    if (!candidates.length) return done({ verdict: "miss", reason: `no entries in this namespace${loading}` });
    let rejected: { similarity: number; guard: string; detail: string } | undefined;
    for (const c of candidates) {
      if (c.similarity < threshold - band) break;
      const finding = this.config.guards
        ? findCriticalDifference(key.queryText, c.queryText, this.opts.guards ?? GUARDS)
        : undefined;
      if (finding) {
        rejected ??= { similarity: c.similarity, guard: finding.guard, detail: finding.detail };
        continue;
      }
      if (this.verifier) {
        let same = false;
        try {
          same = await this.verifier({
            query: key.queryText,
            candidate: c.queryText,
            similarity: c.similarity,
            namespace: key.namespace,
          });
        } catch {
          same = false;
        }
        if (!same) {
          rejected ??= {
            similarity: c.similarity,
            guard: "verifier",
            detail: "verifier judged the requests different",
          };
          continue;
        }
      }
      const entry = this.storage.get(c.id);
      const why =
        `similar request (cosine ${c.similarity.toFixed(3)}${c.similarity >= threshold ? ` ≥ ${threshold}` : `, within the verifier band of ${threshold}`})` +
        (this.verifier ? "; verifier judged it the same" : "");
      if (entry) return done(this.hit(entry, now, "semantic", c.similarity, why), entry);
    }
    if (rejected) {
      return done({
        verdict: "miss",
        similarity: rejected.similarity,
        guard: rejected.guard,
        guardDetail: rejected.detail,
        reason: `candidate at cosine ${rejected.similarity.toFixed(3)} refused by the ${rejected.guard} guard: ${rejected.detail}`,
      });
    }
    return done({
      verdict: "miss",
      similarity: candidates[0].similarity,
      reason: `nearest is cosine ${candidates[0].similarity.toFixed(3)} < ${threshold}${loading}`,
    });
  }

  /** Keeps a successful answer. Call after every lookup that returned verdict "miss" (or "bypass" with storable). */
  async store(
    request: CacheableRequest,
    ctx: CacheContext,
    response: CachedResponse,
    facts: { latencyMs: number; costUsd?: number },
  ): Promise<StoreResult> {
    const scope = scopeOf(request, ctx, this.config);
    const key = requestKey(request, ctx.route, scope.scope);
    try {
      const admission = scope.refuse
        ? { lookup: false, store: false, reason: scope.refuse }
        : admit(key, ctx.headers, this.config);
      if (!admission.store) return { stored: false, reason: admission.reason ?? "not storable" };
      const choice = response.choices[0];
      if (!choice) return { stored: false, reason: "response has no choices" };
      if (
        choice.finish_reason !== "stop" &&
        choice.finish_reason !== "tool_calls" &&
        choice.finish_reason !== "length"
      ) {
        return { stored: false, reason: `finish_reason ${choice.finish_reason} is not cached` };
      }
      const toolCalls = "message" in choice && (choice.message.tool_calls?.length ?? 0) > 0;
      const semanticAllowed = key.kind === "chat" ? this.config.semanticChat : this.config.semanticCompletions;
      const match =
        key.match === "exact" || toolCalls || !semanticAllowed || !key.queryText.trim() ? "exact" : "semantic";
      const workload = classifyWorkload({
        header: header(ctx.headers, "x-hotpath-task"),
        instructions: key.instructions,
        query: key.queryText,
        responseFormat: key.responseFormat,
        hasTools: key.hasTools,
      });
      const now = this.now();
      let vector: { embedder: string; vector: Float32Array } | undefined;
      if (match === "semantic") {
        try {
          vector = { embedder: this.embedderId, vector: await this.embed(key.queryText) };
        } catch {
          vector = undefined; // still useful as an exact entry
        }
      }
      this.storage.touchNamespace(
        { namespace: key.namespace, label: key.label, route: ctx.route, model: request.model },
        now,
      );
      const entryId = this.storage.put(
        {
          exact_key: key.exactKey,
          namespace: key.namespace,
          kind: key.kind,
          route: ctx.route,
          model: request.model,
          workload,
          match: vector ? "semantic" : "exact",
          query_text: key.queryText,
          request: JSON.stringify(request),
          response: JSON.stringify(response),
          created_ms: now,
          expires_ms: now + ttlMs(workload, this.config),
          prompt_tokens: response.usage?.prompt_tokens ?? 0,
          completion_tokens: response.usage?.completion_tokens ?? 0,
          latency_ms: facts.latencyMs,
          cost_usd: facts.costUsd ?? 0,
          scope: scope.scope,
          normal_key: key.normalKey,
        },
        vector,
      );
      this.flights.settle(key.exactKey, response);
      this.maintain();
      return {
        stored: true,
        reason: toolCalls ? "stored for exact match only (tool calls)" : `stored (${match}, ${workload})`,
        entryId,
      };
    } finally {
      this.flights.settle(key.exactKey, undefined);
    }
  }

  /** The backend failed or the client left: identical requests waiting on this one go to the backend themselves. */
  abandon(request: CacheableRequest, ctx: Pick<CacheContext, "route" | "scope" | "headers">): void {
    this.flights.settle(requestKey(request, ctx.route, scopeOf(request, ctx, this.config).scope).exactKey, undefined);
  }

  /** Drops expired entries (at most once a minute unless forced) and evicts least recently used beyond the caps. */
  maintain(force = false): { expired: number; evicted: number } {
    const now = this.now();
    let expired = 0;
    if (force || now - this.lastPurge > 60_000) {
      expired = this.storage.purgeExpired(now);
      this.lastPurge = now;
    }
    const evicted = this.storage.evict(this.config.maxEntries, this.config.maxBytes);
    this.evictions += evicted;
    return { expired, evicted };
  }

  thresholdFor(namespace: string, route: string): number {
    return this.storage.threshold(namespace) ?? this.config.routeThresholds[route] ?? this.config.threshold;
  }

  setThreshold(namespace: string, threshold: number | null): boolean {
    return this.storage.setThreshold(namespace, threshold);
  }

  stats(limit = 200): CacheStats {
    this.flushCounts();
    const namespaces = (limit > 0 ? this.storage.namespaces(limit) : []).map((n): CacheNamespaceStats => ({
      namespace: n.namespace,
      label: n.label,
      route: n.route,
      model: n.model,
      threshold: n.threshold ?? this.config.routeThresholds[n.route] ?? this.config.threshold,
      entries: n.entries,
      bytes: n.bytes,
      ...counters(
        n.hits,
        n.misses,
        n.bypasses,
        n.semantic_hits,
        n.normalized_hits,
        n.guard_rejections,
        n.tokens_saved,
        n.ms_saved,
        n.usd_saved,
      ),
    }));
    const t = this.storage.counterTotals();
    const totals = this.storage.totals();
    return {
      enabled: this.config.enabled,
      embedder: this.embedderId,
      embedderLoaded: this.embedderLoaded,
      threshold: this.config.threshold,
      entries: totals.entries,
      bytes: totals.bytes,
      maxEntries: this.config.maxEntries,
      maxBytes: this.config.maxBytes,
      evictions: this.evictions,
      totals: counters(
        t.hits,
        t.misses,
        t.bypasses,
        t.semantic_hits,
        t.normalized_hits,
        t.guard_rejections,
        t.tokens_saved,
        t.ms_saved,
        t.usd_saved,
      ),
      namespaces,
    };
  }

  entries(opts: { namespace?: string; limit?: number } = {}): CacheEntryDto[] {
    return this.storage.list({ namespace: opts.namespace, limit: opts.limit ?? 50 }).map(entryDto);
  }

  /** Clears everything, one namespace, or one scope (every namespace of that user/tenant). */
  clear(opts: { namespace?: string; scope?: string } | string = {}): number {
    this.flushCounts(); // counts of lookups before the clear are cleared with their rows
    return this.storage.clear(typeof opts === "string" ? { namespace: opts } : opts);
  }

  /** Loads the embedding model now (it otherwise loads on the first semantic lookup). */
  async warm(): Promise<void> {
    await this.embed("warm up");
  }

  private async embed(text: string): Promise<Float32Array> {
    const k = text;
    const cached = this.vectors.get(k);
    if (cached) {
      this.vectors.delete(k);
      this.vectors.set(k, cached);
      return cached;
    }
    const [v] = await this.opts.embedder.embed([text]);
    this.embedderLoaded = true;
    this.vectors.set(k, v);
    // Lookup and store of one request embed the same text; keep a few recent ones.
    if (this.vectors.size > 256) this.vectors.delete(this.vectors.keys().next().value as string);
    return v;
  }

  private hit(entry: EntryRow, now: number, match: CacheMatch, similarity: number, reason: string) {
    this.storage.recordHit(entry.id, now);
    return {
      verdict: "hit" as const,
      match,
      similarity,
      entryId: entry.id,
      response: fresh(JSON.parse(entry.response) as CachedResponse, entry.id),
      reason,
    };
  }
}

function counters(
  hits: number,
  misses: number,
  bypasses: number,
  semanticHits: number,
  normalizedHits: number,
  guardRejections: number,
  tokensSaved: number,
  msSaved: number,
  usdSaved: number,
): CacheCounters {
  return {
    ...EMPTY,
    hits,
    misses,
    bypasses,
    semanticHits,
    normalizedHits,
    guardRejections,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : 0,
    tokensSaved,
    msSaved,
    usdSaved,
  };
}

/** A cached answer as a new response: its own id and time, no compute timings, the prompt counted as cached. */
function fresh(r: CachedResponse, entryId?: number): CachedResponse {
  const copy = structuredClone(r);
  copy.id = `${r.object === "text_completion" ? "cmpl" : "chatcmpl"}-cache${entryId ?? ""}-${Math.random().toString(36).slice(2, 10)}`;
  copy.created = Math.floor(Date.now() / 1000);
  if (copy.usage) copy.usage = { ...copy.usage, prompt_tokens_details: { cached_tokens: copy.usage.prompt_tokens } };
  if (copy.timings) {
    copy.timings = {
      ...copy.timings,
      queue_ms: 0,
      prompt_n: 0,
      prompt_ms: 0,
      ttft_ms: 0,
      predicted_ms: 0,
      predicted_per_second: 0,
    };
  }
  return copy;
}

function entryDto(e: EntryRow): CacheEntryDto {
  let answer = "";
  try {
    const r = JSON.parse(e.response) as CachedResponse;
    const c = r.choices[0];
    answer = c ? ("message" in c ? (c.message.content ?? JSON.stringify(c.message.tool_calls ?? [])) : c.text) : "";
  } catch {
    answer = "(unreadable)";
  }
  return {
    id: e.id,
    namespace: e.namespace,
    kind: e.kind,
    route: e.route,
    model: e.model,
    workload: e.workload,
    match: e.match,
    embedder: e.embedder,
    scope: e.scope ?? "",
    queryText: e.query_text,
    answerPreview: answer.slice(0, 500),
    createdMs: e.created_ms,
    expiresMs: e.expires_ms,
    lastUsedMs: e.last_used_ms,
    hits: e.hits,
    bytes: e.bytes,
    promptTokens: e.prompt_tokens,
    completionTokens: e.completion_tokens,
    latencyMs: e.latency_ms,
    costUsd: e.cost_usd,
  };
}

export type { RequestKey };
