// `--otlp-export <url>`: forwards every span the store writes to an existing OTLP/HTTP collector (Jaeger, Tempo,
// Langfuse, Phoenix, an OTel Collector) — batched, retried with backoff, through a bounded buffer that drops the
// oldest spans (and counts them) rather than growing without limit when the collector is down.
import type { Attributes, Span } from "../span.js";
import type { TraceStore } from "../store.js";

export interface ForwarderOptions {
  /** Spans per export request. */
  batchSize?: number;
  /** Longest wait before a partial batch is sent. */
  flushIntervalMs?: number;
  /** Spans kept while the collector is slow or down; beyond it the oldest are dropped. */
  maxBuffered?: number;
  maxRetries?: number;
  /** First retry delay; doubles per attempt (honours Retry-After when given). */
  retryBaseMs?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ForwarderStats {
  sent: number;
  dropped: number;
  failedBatches: number;
  buffered: number;
  lastError?: string;
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;

export class OtlpForwarder {
  private buffer: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  readonly stats: ForwarderStats = { sent: 0, dropped: 0, failedBatches: 0, buffered: 0 };
  private readonly opts: Required<Omit<ForwarderOptions, "headers" | "fetch">> & Pick<ForwarderOptions, "headers" | "fetch">;

  constructor(
    readonly url: string,
    options: ForwarderOptions = {},
  ) {
    const u = new URL(url); // throws early on a bad --otlp-export value
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`--otlp-export must be an http(s) URL, got ${url}`);
    this.opts = {
      batchSize: options.batchSize ?? 512,
      flushIntervalMs: options.flushIntervalMs ?? 2000,
      maxBuffered: options.maxBuffered ?? 20_000,
      maxRetries: options.maxRetries ?? 5,
      retryBaseMs: options.retryBaseMs ?? 500,
      timeoutMs: options.timeoutMs ?? 10_000,
      headers: options.headers,
      fetch: options.fetch,
    };
  }

  /** Forwards everything the store writes from now on; returns a function that stops listening. */
  attach(store: TraceStore): () => void {
    return store.onWrite((spans) => this.enqueue(spans));
  }

  enqueue(spans: Span[]): void {
    if (this.closed) return;
    this.buffer.push(...spans);
    const over = this.buffer.length - this.opts.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.stats.dropped += over;
    }
    this.stats.buffered = this.buffer.length;
    if (this.buffer.length >= this.opts.batchSize) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.flushIntervalMs).unref();
  }

  /** Sends everything buffered now (one batch after another). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending) await this.sending;
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.opts.batchSize);
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
  }

  private async send(batch: Span[]): Promise<void> {
    const body = JSON.stringify(toOtlpJson(batch));
    const doFetch = this.opts.fetch ?? fetch;
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await doFetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...this.opts.headers },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent += batch.length;
          return;
        }
        this.stats.lastError = `collector answered ${res.status}`;
        // OTLP/HTTP: only 429, 502, 503, 504 are retryable; anything else will fail again.
        if (![429, 502, 503, 504].includes(res.status)) break;
        const ra = Number(res.headers.get("retry-after"));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = Math.min(ra * 1000, 60_000);
      } catch (e) {
        this.stats.lastError = (e as Error).message;
      }
      if (attempt >= this.opts.maxRetries) break;
      const delay = retryAfterMs ?? this.opts.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
    this.stats.failedBatches++;
    this.stats.dropped += batch.length;
  }
}

/** Hotpath spans → one OTLP/JSON ExportTraceServiceRequest (hex ids, as the OTLP/JSON spec writes them). */
export function toOtlpJson(spans: Span[], serviceName = "hotpath"): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: serviceName } }] },
        scopeSpans: [
          {
            scope: { name: "hotpath" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind === "llm" ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL,
              startTimeUnixNano: String(Math.round(s.startNs)),
              endTimeUnixNano: String(Math.round(s.endNs)),
              attributes: toKeyValues({ ...s.attributes, "hotpath.kind": s.kind }),
              status: s.status === "ok" ? { code: 1 } : s.status === "error" ? { code: 2, message: s.statusMessage ?? "" } : {},
            })),
          },
        ],
      },
    ],
  };
}

function toKeyValues(attrs: Attributes) {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: anyValue(v) }));
}

function anyValue(v: unknown): Record<string, unknown> {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return {};
}
