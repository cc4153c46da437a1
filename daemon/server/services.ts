// Everything a route handler may use, built once at startup (wireServices) and closed at shutdown.
import { routerCompleter } from "../audit/completers/router.js";
import { AuditService } from "../audit/service.js";
import { CacheMetrics } from "../cache/metrics.js";
import type { ResponseCache } from "../cache/service.js";
import { dataPaths, type Config } from "../config.js";
import type { Db } from "../db.js";
import type { Engine } from "../engine/engine.js";
import { RequestPipeline } from "../pipeline/pipeline.js";
import type { Router } from "../router/router.js";
import type { TraceStore } from "../traces/store.js";
import { ImportWorkers } from "../traces/import/workers.js";
import { PullJobs } from "../models/pull-jobs.js";
import { EventHub } from "./events.js";
import type { Metrics } from "./metrics.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Services {
  version: string;
  startedAt: number;
  config: Config;
  db: Db;
  traces: TraceStore;
  /** Trace-import workers started ahead of the imports (POST /hotpath/traces/import). */
  traceImports: ImportWorkers;
  events: EventHub;
  metrics: Metrics;
  engine: Engine;
  /** Model downloads into <data-dir>/models (POST /hotpath/models/pull). */
  pulls: PullJobs;
  /** Where chat requests go: local models, cloud providers, cascades and fallbacks (daemon/router). */
  router: Router;
  /** The semantic response cache (daemon/cache): lookup before a backend, store after it. */
  cache: ResponseCache;
  cacheMetrics: CacheMetrics;
  /** One generation request's life, whatever its wire format: cache → route → generate → store → span. */
  pipeline: RequestPipeline;
  /** Prompt-bloat audits (daemon/audit): static sections and ablation runs through the router. */
  audit: AuditService;
  log: (level: LogLevel, message: string) => void;
  /** Set by `hotpath serve`: a graceful exit of the whole process (POST /hotpath/shutdown, `hotpath stop`). */
  requestShutdown?: () => void;
}

/** What the daemon opens itself (database, engine, router, cache…); the rest of Services is built from these. */
export type ServiceParts = Pick<
  Services,
  "version" | "config" | "db" | "traces" | "metrics" | "engine" | "router" | "cache" | "log"
> & {
  /** Similarity checks of audits embed with the cache's embedder (absent: audits without similarity checks). */
  embed?: (text: string) => Promise<Float32Array>;
  /** The event hub, when something built before the services publishes to it (the engine's model.state events). */
  events?: EventHub;
};

/** Services from their parts: events, cache metrics, the request pipeline and the audit service (the daemon, tests). */
export function wireServices({ embed, events = new EventHub(), ...p }: ServiceParts): Services {
  const { cache, router, engine, traces, metrics, log } = p;
  const cacheMetrics = new CacheMetrics(metrics.registry, cache);
  return {
    ...p,
    startedAt: Date.now(),
    events,
    pulls: new PullJobs({ dir: dataPaths(p.config.dataDir).models, publish: (e) => events.publish(e), log }),
    cacheMetrics,
    traceImports: new ImportWorkers(),
    pipeline: new RequestPipeline({ cache, cacheMetrics, router, engine, traces, events, metrics, log }),
    // Audits run through the router (local or cloud), never through the response cache.
    audit: new AuditService({ db: p.db, traces, config: p.config, complete: routerCompleter(router), embed }),
  };
}
