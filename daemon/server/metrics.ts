// Prometheus metrics (prom-client): requests by route/status, tokens, TTFT and latency histograms, queue depth.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { EventLoopDelay, LoopSampler, withLoopSampler } from "./event-loop.js";

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "hotpath_requests_total",
    help: "Requests by endpoint, route and HTTP status",
    labelNames: ["endpoint", "route", "status"],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: "hotpath_tokens_total",
    help: "Tokens by route and kind (prompt, cached, completion)",
    labelNames: ["route", "kind"],
    registers: [this.registry],
  });
  readonly ttft = new Histogram({
    name: "hotpath_ttft_seconds",
    help: "Time to first token",
    labelNames: ["route"],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "hotpath_request_duration_seconds",
    help: "Whole request latency",
    labelNames: ["endpoint", "route"],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "hotpath_queue_depth",
    help: "Requests waiting for a sequence, by model and priority class",
    labelNames: ["model", "priority"],
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: "hotpath_queue_wait_seconds",
    help: "Time spent waiting for a sequence, by priority class",
    labelNames: ["priority"],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "hotpath_requests_in_flight",
    help: "Requests being served",
    registers: [this.registry],
  });
  /** Samples the event loop while there is work (the HTTP server tells it when requests arrive and close). */
  readonly loopSampler = new LoopSampler();
  /** No request may hold the event loop; this shows whether one did. */
  readonly eventLoop = new EventLoopDelay(this.loopSampler);
  readonly eventLoopDelay = new Gauge({
    name: "hotpath_event_loop_delay_seconds",
    help: "Event-loop delay in the current 60 s window (monitorEventLoopDelay, 10 ms sampling taken off), by quantile",
    labelNames: ["quantile"],
    registers: [this.registry],
    collect: () => {
      const w = this.eventLoop.snapshot().current;
      this.eventLoopDelay.set({ quantile: "0.5" }, w.p50Ms / 1000);
      this.eventLoopDelay.set({ quantile: "0.99" }, w.p99Ms / 1000);
      this.eventLoopDelay.set({ quantile: "1" }, w.maxMs / 1000);
    },
  });

  constructor() {
    // Its event-loop lag gauges read the same sampler (see withLoopSampler).
    withLoopSampler(this.loopSampler, () =>
      collectDefaultMetrics({ register: this.registry, prefix: "hotpath_process_" }),
    );
  }
}
