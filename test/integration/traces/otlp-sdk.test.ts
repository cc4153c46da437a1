// OTLP round trip with the real OpenTelemetry JS SDK and both OTLP/HTTP exporters (json and protobuf) sending to the
// real daemon (dist/daemon/main.js), then reading the trace back through the API.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as OTLPHttpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { TraceAnalysis, TraceDetail } from "../../../daemon/api.js";
import { requestTraceContext } from "../../../daemon/traces/traceparent.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

describe("traces: OTLP/HTTP receiver with the real OpenTelemetry SDK", function () {
  let daemon: TestDaemon;
  before(async () => (daemon = await startDaemon()));
  after(async () => daemon?.dispose());

  for (const [encoding, Exporter] of [
    ["http/json", OTLPHttpJsonExporter],
    ["http/protobuf", OTLPProtoExporter],
  ] as const) {
    it(`${encoding}: an instrumented agent's spans arrive as one trace, across two export batches`, async () => {
      const exporter = new Exporter({
        url: `${daemon.url}/v1/traces`,
        headers: { authorization: `Bearer ${daemon.token}` },
      });
      const provider = new NodeTracerProvider({
        resource: resourceFromAttributes({ "service.name": `agent-${encoding}` }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
      const tracer = provider.getTracer("test-agent");
      const root = tracer.startSpan("invoke_agent coder", {
        attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "coder" },
      });
      const inRoot = trace.setSpan(context.active(), root);
      const llm = tracer.startSpan(
        "chat gpt-4o",
        {
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 40,
          },
        },
        inRoot,
      );
      llm.end();
      const t1 = tracer.startSpan(
        "execute_tool read_file",
        {
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "read_file",
            "gen_ai.tool.call.id": "call_1",
            "gen_ai.tool.call.arguments": '{"path":"a.ts"}',
            "gen_ai.tool.call.result": "export const a = 1;",
          },
        },
        inRoot,
      );
      await new Promise((r) => setTimeout(r, 20));
      t1.end();
      // An OpenInference-instrumented tool (another library in the same process).
      const t2 = tracer.startSpan(
        "search_docs",
        {
          attributes: {
            "openinference.span.kind": "TOOL",
            "tool.name": "search_docs",
            "input.value": '{"q":"retry policy"}',
            "output.value": "docs/retry.md",
          },
        },
        inRoot,
      );
      await new Promise((r) => setTimeout(r, 20));
      t2.setStatus({ code: SpanStatusCode.ERROR, message: "timeout" });
      t2.end();
      await provider.forceFlush(); // batch 1: three children, root still open (they arrive as orphans)
      const traceId = root.spanContext().traceId;
      const first = (await (await daemon.fetch(`/hotpath/traces/${traceId}`)).json()) as TraceDetail;
      assert.equal(first.spans.length, 3);
      root.end();
      await provider.forceFlush(); // batch 2: the root
      await provider.shutdown();

      const res = await daemon.fetch(`/hotpath/traces/${traceId}`);
      assert.equal(res.status, 200);
      const detail = (await res.json()) as TraceDetail;
      assert.equal(detail.trace.source, "otlp");
      assert.equal(detail.trace.origin, `agent-${encoding}`);
      assert.equal(detail.trace.spanCount, 4);
      const byName = new Map(detail.spans.map((s) => [s.name, s]));
      assert.equal(byName.get("invoke_agent coder")?.kind, "agent");
      assert.equal(byName.get("invoke_agent coder")?.spanId, root.spanContext().spanId);
      assert.equal(byName.get("chat gpt-4o")?.kind, "llm");
      assert.equal(byName.get("chat gpt-4o")?.parentSpanId, root.spanContext().spanId);
      assert.equal(byName.get("chat gpt-4o")?.attributes["gen_ai.usage.input_tokens"], 1200);
      assert.equal(byName.get("execute_tool read_file")?.kind, "tool");
      const oi = byName.get("search_docs")!;
      assert.equal(oi.kind, "tool");
      assert.equal(oi.attributes["gen_ai.tool.name"], "search_docs");
      assert.equal(oi.attributes["gen_ai.tool.call.arguments"], '{"q":"retry policy"}');
      assert.equal(oi.status, "error");
      assert.equal(oi.statusMessage, "timeout");

      const analysis = (await (await daemon.fetch(`/hotpath/traces/${traceId}/analysis`)).json()) as TraceAnalysis;
      assert.equal(analysis.traceId, traceId);
      assert.equal(analysis.spanCount, 4);
      assert.ok(analysis.criticalPath.spanIds.length >= 1);
      const list = (await (await daemon.fetch(`/hotpath/traces?limit=50`)).json()) as { traces: { traceId: string }[] };
      assert.ok(list.traces.some((t) => t.traceId === traceId));
    });
  }

  it("the SDK's W3C propagator and the daemon's traceparent parser agree (LLM spans through Hotpath join the agent's trace)", () => {
    const provider = new NodeTracerProvider();
    const span = provider.getTracer("t").startSpan("tool");
    const headers: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(trace.setSpan(context.active(), span), headers, {
      set: (c, k, v) => ((c as Record<string, string>)[k] = v),
    });
    void propagation;
    const joined = requestTraceContext(headers);
    assert.equal(joined.joinedBy, "traceparent");
    assert.equal(joined.traceId, span.spanContext().traceId);
    assert.equal(joined.parentSpanId, span.spanContext().spanId);
    span.end();
  });

  it("hostile and malformed OTLP requests get clear 4xx answers, bad spans a partial success", async () => {
    const post = (body: BodyInit, headers: Record<string, string>) =>
      daemon.fetch("/v1/traces", { method: "POST", body, headers });
    // Compressed up front: gzipping 80 MB between two requests can take longer than the daemon's 5 s keep-alive on a
    // loaded machine, and the client would then reuse a connection the server is closing (ECONNRESET).
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 32));
    let r = await post("\x08\x96\x01garbage-not-protobuf\xff\xff", { "content-type": "application/x-protobuf" });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as any).error.message, /protobuf/);
    r = await post("{not json", { "content-type": "application/json" });
    assert.equal(r.status, 400);
    r = await post("{}", { "content-type": "text/plain" });
    assert.equal(r.status, 415);
    r = await post(JSON.stringify({ resourceSpans: "nope" }), { "content-type": "application/json" });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as any).error.message, /resourceSpans/);
    const good = {
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      name: "ok",
      startTimeUnixNano: "1700000000000000000",
      endTimeUnixNano: "1700000000500000000",
    };
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                good,
                { ...good, spanId: "xyz", name: "bad id" },
                { ...good, spanId: "eee19b7ec3c1b175", startTimeUnixNano: { evil: true } },
              ],
            },
          ],
        },
      ],
    };
    r = await post(JSON.stringify(body), { "content-type": "application/json" });
    assert.equal(r.status, 200);
    const partial = (await r.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    assert.equal(partial.partialSuccess.rejectedSpans, 2);
    assert.match(partial.partialSuccess.errorMessage, /spanId/);
    // gzip bodies (exporters with compression on), and a gzip bomb is refused, not inflated.
    r = await post(
      gzipSync(
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...good, spanId: "eee19b7ec3c1b176" }] }] }] }),
      ),
      { "content-type": "application/json", "content-encoding": "gzip" },
    );
    assert.equal(r.status, 200);
    r = await post(bomb, {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(r.status, 413);
    const detail = (await (
      await daemon.fetch(`/hotpath/traces/5b8efff798038103d269b633813fc60c`)
    ).json()) as TraceDetail;
    assert.equal(detail.spans.length, 2);
    // Unauthenticated OTLP is refused like every other route.
    const anon = await fetch(`${daemon.url}/v1/traces`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(anon.status, 401);
  });

  it("admin import endpoint: a file's bytes in, trace ids out; malformed → 400 naming line and field; bad params refused", async () => {
    const line = (ts: unknown) =>
      JSON.stringify({
        type: "assistant",
        uuid: "u",
        sessionId: "sess",
        timestamp: ts,
        message: { id: "m", content: [] },
      });
    let r = await daemon.fetch("/hotpath/traces/import?name=session.jsonl", {
      method: "POST",
      body: `${line("2026-01-01T00:00:00Z")}\n`,
    });
    assert.equal(r.status, 200);
    const ok = (await r.json()) as { format: string; traceIds: string[]; spanCount: number };
    assert.equal(ok.format, "claude-code");
    assert.equal(ok.traceIds.length, 1);
    r = await daemon.fetch("/hotpath/traces/import?name=broken.jsonl", {
      method: "POST",
      body: `${line("2026-01-01T00:00:00Z")}\n${line(42)}\n`,
    });
    assert.equal(r.status, 400);
    const err = ((await r.json()) as any).error;
    assert.match(err.message, /broken\.jsonl:2: timestamp/);
    r = await daemon.fetch("/hotpath/traces/import?name=../../etc/passwd", { method: "POST", body: "{}" });
    assert.equal(r.status, 400);
    r = await daemon.fetch("/hotpath/traces/import?name=x.json", {
      method: "POST",
      body: new Uint8Array([0xff, 0xfe, 0x00]),
    });
    assert.equal(r.status, 400);
    r = await daemon.fetch("/hotpath/traces/not-a-trace-id");
    assert.equal(r.status, 400);
    r = await daemon.fetch(`/hotpath/traces/${"0".repeat(32)}`);
    assert.equal(r.status, 404);
    r = await daemon.fetch("/hotpath/traces?limit=-5");
    assert.equal(r.status, 400);
  });
});
