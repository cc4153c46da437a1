// `--otlp-export`: forwards every span the store writes to an existing OTLP/HTTP collector (Jaeger, Tempo, Langfuse,
// Phoenix, Honeycomb, an OTel Collector). Sending is the official OpenTelemetry exporter's job
// (@opentelemetry/exporter-trace-otlp-http for http/json, -proto for http/protobuf): it encodes, retries 429/502/503/504
// with backoff and Retry-After, compresses, and honours the standard OTEL_EXPORTER_OTLP_* variables (endpoint,
// headers, timeout, compression) — what users of those collectors already configure. Ours is only the bounded buffer
// in front of it: batches, and the oldest spans dropped (and counted) rather than growing without limit when the
// collector is down.
import { SpanKind, SpanStatusCode, type Attributes as OtelAttributes, type HrTime } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Attributes, Span } from "../span.js";
import type { TraceStore } from "../store.js";

export type OtlpProtocol = "http/json" | "http/protobuf";

export interface ForwarderOptions {
  /** Spans per export request. */
  batchSize?: number;
  /** Longest wait before a partial batch is sent. */
  flushIntervalMs?: number;
  /** Spans kept while the collector is slow or down; beyond it the oldest are dropped. */
  maxBuffered?: number;
  /** Headers for every request (e.g. authorization); OTEL_EXPORTER_OTLP_HEADERS adds to them. */
  headers?: Record<string, string>;
  /** Default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/json. */
  protocol?: OtlpProtocol;
  /** Per export request, retries included (the exporter's timeoutMillis). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ForwarderStats {
  sent: number;
  dropped: number;
  failedBatches: number;
  buffered: number;
  lastError?: string;
}

/** The protocol from the standard variables, when they name one we send. */
export function otlpProtocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol | undefined {
  const p = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  return p === "http/json" || p === "http/protobuf" ? p : undefined;
}

/** Where spans go when no --otlp-export URL is given: the standard variables (a base endpoint gets /v1/traces). */
export function otlpEndpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return undefined;
}

export class OtlpForwarder {
  private buffer: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  /** Loaded on the first export: daemons that forward nothing do not pay for the exporters' modules at start. */
  private exporter: Promise<{ exporter: SpanExporter; resource: Resource }> | undefined;
  private readonly exporterConfig: { url: string; headers?: Record<string, string>; timeoutMillis: number };
  readonly protocol: OtlpProtocol;
  readonly stats: ForwarderStats = { sent: 0, dropped: 0, failedBatches: 0, buffered: 0 };
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;

  constructor(
    readonly url: string,
    options: ForwarderOptions = {},
  ) {
    const u = new URL(url); // throws early on a bad --otlp-export value
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new Error(`--otlp-export must be an http(s) URL, got ${url}`);
    this.batchSize = options.batchSize ?? 512;
    this.flushIntervalMs = options.flushIntervalMs ?? 2000;
    this.maxBuffered = options.maxBuffered ?? 20_000;
    this.protocol = options.protocol ?? otlpProtocolFromEnv(options.env ?? process.env) ?? "http/json";
    this.exporterConfig = { url, headers: options.headers, timeoutMillis: options.timeoutMs ?? 10_000 };
  }

  private loadExporter(): Promise<{ exporter: SpanExporter; resource: Resource }> {
    this.exporter ??= (async () => {
      const [{ resourceFromAttributes }, { OTLPTraceExporter }] = await Promise.all([
        import("@opentelemetry/resources"),
        this.protocol === "http/protobuf"
          ? import("@opentelemetry/exporter-trace-otlp-proto")
          : import("@opentelemetry/exporter-trace-otlp-http"),
      ]);
      return {
        exporter: new OTLPTraceExporter(this.exporterConfig),
        resource: resourceFromAttributes({ "service.name": "hotpath" }),
      };
    })();
    return this.exporter;
  }

  /** Forwards everything the store writes from now on; returns a function that stops listening. */
  attach(store: TraceStore): () => void {
    return store.onWrite((spans) => this.enqueue(spans));
  }

  enqueue(spans: Span[]): void {
    if (this.closed) return;
    this.buffer.push(...spans);
    const over = this.buffer.length - this.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.stats.dropped += over;
    }
    this.stats.buffered = this.buffer.length;
    if (this.buffer.length >= this.batchSize) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs).unref();
  }

  /** Sends everything buffered now (one batch after another). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending) await this.sending;
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.batchSize);
      this.stats.buffered = this.buffer.length;
      this.sending = this.send(batch);
      try {
        await this.sending;
      } finally {
        this.sending = undefined;
      }
    }
  }

  /** Flushes and stops accepting spans. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.exporter) await (await this.exporter).exporter.shutdown().catch(() => undefined);
  }

  private async send(batch: Span[]): Promise<void> {
    const { exporter, resource } = await this.loadExporter();
    const spans = batch.map((s) => toReadableSpan(s, resource));
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
    if (result.code === 0) {
      this.stats.sent += batch.length;
      return;
    }
    this.stats.lastError = result.error?.message ?? "the collector refused the spans";
    this.stats.failedBatches++;
    this.stats.dropped += batch.length;
  }
}

const scope = { name: "hotpath" };

function hrTime(ns: number): HrTime {
  const n = Math.max(0, Math.round(ns));
  return [Math.floor(n / 1e9), n % 1e9];
}

/** A stored span as the SDK's ReadableSpan, which the exporters encode (ids stay ours; kind llm → CLIENT). */
export function toReadableSpan(s: Span, resource: Resource): ReadableSpan {
  const context = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  return {
    name: s.name,
    kind: s.kind === "llm" ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1 } : undefined,
    startTime: hrTime(s.startNs),
    endTime: hrTime(s.endNs),
    duration: hrTime(s.endNs - s.startNs),
    status:
      s.status === "ok"
        ? { code: SpanStatusCode.OK }
        : s.status === "error"
          ? { code: SpanStatusCode.ERROR, message: s.statusMessage ?? "" }
          : { code: SpanStatusCode.UNSET },
    attributes: otelAttributes({ ...s.attributes, "hotpath.kind": s.kind }),
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** OTel attribute values are primitives or arrays of them; anything else travels as JSON text. */
function otelAttributes(attrs: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = v as string[];
    else if (Array.isArray(v) && v.every((x) => typeof x === "number")) out[k] = v as number[];
    else out[k] = JSON.stringify(v);
  }
  return out;
}
