// --otlp-export forwarding through the official OpenTelemetry exporters: batched, retried, bounded, with headers. The
// collectors: a local fake speaking OTLP/HTTP (to script failures), and a second real Hotpath daemon, whose OTLP
// receiver requires its bearer token — a receiver that refuses requests without the right header.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { openDb } from "../../../daemon/db.js";
import { otlpToSpans } from "../../../daemon/traces/otlp/decode.js";
import { OtlpForwarder } from "../../../daemon/traces/otlp/forward.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

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
    const fwd = new OtlpForwarder(col.url, { batchSize: 10, flushIntervalMs: 10_000, protocol: "http/json" });
    fwd.attach(store);
    store.writeSpans(
      Array.from({ length: 25 }, (_, i) => span(i)),
      "otlp",
    );
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
    const fwd = new OtlpForwarder("http://127.0.0.1:9/v1/traces", {
      batchSize: 1000,
      maxBuffered: 100,
      flushIntervalMs: 60_000,
      timeoutMs: 500,
    });
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

  it("a receiver that requires a header: refused without it, accepted with it (http/json and http/protobuf)", async () => {
    const receiver = await startDaemon();
    try {
      const url = `${receiver.url}/v1/traces`;
      const denied = new OtlpForwarder(url, { protocol: "http/protobuf", timeoutMs: 5000 });
      denied.enqueue([span(0)]);
      await denied.close();
      assert.equal(denied.stats.sent, 0);
      assert.equal(denied.stats.failedBatches, 1);
      assert.match(denied.stats.lastError ?? "", /401|Unauthorized/i);
      for (const [i, protocol] of (["http/json", "http/protobuf"] as const).entries()) {
        const traceId = `${i + 1}`.repeat(32);
        const fwd = new OtlpForwarder(url, {
          protocol,
          headers: { authorization: `Bearer ${receiver.token}` },
          timeoutMs: 5000,
        });
        fwd.enqueue([
          { ...span(1), traceId },
          { ...span(2), traceId, parentSpanId: span(1).spanId },
        ]);
        await fwd.close();
        assert.equal(fwd.stats.sent, 2, `${protocol}: ${fwd.stats.lastError}`);
        const res = await receiver.fetch(`/hotpath/traces/${traceId}`);
        assert.equal(res.status, 200, protocol);
        const detail = (await res.json()) as { spans: Span[] };
        assert.deepEqual(detail.spans.map((x) => x.spanId).sort(), [span(1).spanId, span(2).spanId].sort(), protocol);
        assert.equal(detail.spans.find((x) => x.spanId === span(2).spanId)?.parentSpanId, span(1).spanId);
      }
    } finally {
      await receiver.dispose();
    }
  });

  it("a daemon configured by --otlp-header, or only by the standard OTEL_EXPORTER_OTLP_* variables, reaches that receiver", async () => {
    const receiver = await startDaemon();
    const post = (d: TestDaemon, traceId: string) =>
      d.fetch("/v1/traces", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    { traceId, spanId: "eee19b7ec3c1b174", name: "x", startTimeUnixNano: "1", endTimeUnixNano: "2" },
                  ],
                },
              ],
            },
          ],
        }),
      });
    try {
      const byFlags = await startDaemon({
        args: [
          "--otlp-export",
          `${receiver.url}/v1/traces`,
          "--otlp-header",
          `Authorization=Bearer ${receiver.token}`,
          "--otlp-protocol",
          "http/protobuf",
        ],
      });
      assert.equal((await post(byFlags, "a".repeat(32))).status, 200);
      await byFlags.dispose(); // flushes at shutdown
      const byEnv = await startDaemon({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${receiver.token}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        },
      });
      assert.equal((await post(byEnv, "b".repeat(32))).status, 200);
      await byEnv.dispose();
      for (const traceId of ["a".repeat(32), "b".repeat(32)]) {
        const res = await receiver.fetch(`/hotpath/traces/${traceId}`);
        assert.equal(res.status, 200, `trace ${traceId} reached the receiver`);
      }
    } finally {
      await receiver.dispose();
    }
  });

  it("the daemon started with --otlp-export forwards imported spans, and publishes traces.changed", async () => {
    const col = await collector();
    const daemon = await startDaemon({ args: ["--otlp-export", col.url] });
    try {
      const ws = new WebSocket(`${daemon.url.replace("http", "ws")}/hotpath/events`, {
        headers: { authorization: `Bearer ${daemon.token}` },
      });
      const events: { type: string; traceIds?: string[] }[] = [];
      ws.on("message", (m) => events.push(JSON.parse(String(m))));
      await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
      const body = JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: "5b8efff798038103d269b633813fc60c",
                    spanId: "eee19b7ec3c1b174",
                    name: "x",
                    startTimeUnixNano: "1",
                    endTimeUnixNano: "2",
                  },
                ],
              },
            ],
          },
        ],
      });
      const r = await daemon.fetch("/v1/traces", {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      assert.equal(r.status, 200);
      for (let i = 0; i < 100 && (!col.received.length || !events.length); i++)
        await new Promise((res) => setTimeout(res, 50));
      assert.ok(
        events.some((e) => e.type === "traces.changed" && e.traceIds?.includes("5b8efff798038103d269b633813fc60c")),
      );
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
