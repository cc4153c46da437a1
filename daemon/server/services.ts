// Everything a route handler may use, built once at startup and closed at shutdown.
import type { CacheMetrics } from "../cache/metrics.js";
import type { ResponseCache } from "../cache/service.js";
import type { AuditService } from "../audit/service.js";
import type { Config } from "../config.js";
import type { Db } from "../db.js";
import type { Engine } from "../engine/engine.js";
import type { RequestPipeline } from "../pipeline/pipeline.js";
import type { Router } from "../router/router.js";
import type { TraceStore } from "../traces/store.js";
import type { PullJobs } from "../models/pull-jobs.js";
import type { EventHub } from "./events.js";
import type { Metrics } from "./metrics.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Services {
  version: string;
  startedAt: number;
  config: Config;
  db: Db;
  traces: TraceStore;
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
