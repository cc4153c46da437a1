// --otlp-export forwarding: batched, retried, bounded. The collector is a local fake speaking OTLP/HTTP (outside the
// product); the daemon side is real — including the daemon started with --otlp-export.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { openDb } from "../../../daemon/db.js";
import { otlpToSpans } from "../../../daemon/traces/otlp/decode.js";
import { OtlpForwarder } from "../../../daemon/traces/otlp/forward.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { startDaemon } from "../../fixtures/daemon.js";

interface Collector {
  url: string;
  received: unknown[];
  /** Status codes to answer, in order, before answering 200. */
  failures: number[];
  close(): Promise<void>;
}

async function collector(): Promise<Collector> {
  const c: Partial<Collector> & { received: unknown[]; failures: number[] } = { received: [], failures: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => {
      const status = c.failures.shift();
      if (status) {
        res.writeHead(status, status === 429 ? { "retry-after": "0" } : {}).end();
        return;
      }
      c.received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  c.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  c.close = () => new Promise((r) => server.close(() => r()));
  return c as Collector;
}

const span = (i: number): Span => ({
  traceId: "ab".repeat(16),
  spanId: (i + 1).toString(16).padStart(16, "0"),
  name: `s${i}`,
  kind: i % 2 ? "tool" : "llm",
  startNs: 1.7e18 + i * 1e6,
  endNs: 1.7e18 + i * 1e6 + 5e5,
  status: "ok",
  attributes: { "gen_ai.request.model": "m", n: i },
});

describe("traces: OTLP forwarding (--otlp-export)", () => {
  it("batches spans, retries 503/429, and the collector receives valid OTLP/JSON with our ids and kinds", async () => {
    const col = await collector();
    col.failures.push(503, 429);
    const db = openDb(":memory:");
    const store = new TraceStore(db);
    const fwd = new OtlpForwarder(col.url, { batchSize: 10, flushIntervalMs: 10_000, retryBaseMs: 5 });
    fwd.attach(store);
    store.writeSpans(Array.from({ length: 25 }, (_, i) => span(i)), "otlp");
    await fwd.flush();
    const spans = col.received.flatMap((r) => otlpToSpans(r).spans);
    assert.equal(col.received.length, 3, "25 spans in batches of 10");
    assert.equal(spans.length, 25);
    assert.equal(fwd.stats.sent, 25);
    assert.equal(spans[1].kind, "tool");
    assert.equal(spans[0].spanId, span(0).spanId);
    db.close();
    await col.close();
  });

  it("a collector that stays down: bounded buffer, oldest dropped and counted, no unbounded growth", async () => {
    const fwd = new OtlpForwarder("http://127.0.0.1:9/v1/traces", { batchSize: 1000, maxBuffered: 100, flushIntervalMs: 60_000, maxRetries: 1, retryBaseMs: 1, timeoutMs: 500 });
    fwd.enqueue(Array.from({ length: 250 }, (_, i) => span(i)));
    assert.equal(fwd.stats.buffered, 100);
    assert.equal(fwd.stats.dropped, 150);
    await fwd.flush();
    assert.equal(fwd.stats.sent, 0);
    assert.equal(fwd.stats.failedBatches, 1);
    assert.equal(fwd.stats.dropped, 250);
    assert.ok(fwd.stats.lastError);
    assert.throws(() => new OtlpForwarder("ftp://x/v1/traces"), /http/);
  });

  it("the daemon started with --otlp-export forwards imported spans, and publishes traces.changed", async () => {
    const col = await collector();
    const daemon = await startDaemon({ args: ["--otlp-export", col.url] });
    try {
      const ws = new WebSocket(`${daemon.url.replace("http", "ws")}/hotpath/events`, { headers: { authorization: `Bearer ${daemon.token}` } });
      const events: { type: string; traceIds?: string[] }[] = [];
      ws.on("message", (m) => events.push(JSON.parse(String(m))));
      await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
      const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", name: "x", startTimeUnixNano: "1", endTimeUnixNano: "2" }] }] }] });
      const r = await daemon.fetch("/v1/traces", { method: "POST", body, headers: { "content-type": "application/json" } });
      assert.equal(r.status, 200);
      for (let i = 0; i < 100 && (!col.received.length || !events.length); i++) await new Promise((res) => setTimeout(res, 50));
      assert.ok(events.some((e) => e.type === "traces.changed" && e.traceIds?.includes("5b8efff798038103d269b633813fc60c")));
      ws.close();
      // Forwarded on the flush interval (2 s) or at shutdown at the latest.
      await daemon.stop();
      for (let i = 0; i < 60 && !col.received.length; i++) await new Promise((res) => setTimeout(res, 50));
      const spans = col.received.flatMap((x) => otlpToSpans(x).spans);
      assert.ok(spans.some((s) => s.spanId === "eee19b7ec3c1b174"));
    } finally {
      await daemon.dispose();
      await col.close();
    }
  });
});
