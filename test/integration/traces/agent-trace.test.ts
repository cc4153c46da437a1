// ACCEPTANCE: an agent instrumented with the OpenTelemetry JS SDK, exporting to Hotpath, shows up as one trace whose
// LLM spans (requests through Hotpath, joined by traceparent) and tool spans (from the SDK) share one trace id.
import assert from "node:assert/strict";
import { context, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { TraceAnalysis, TraceDetail } from "../../../daemon/api.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";

describe("traces: an OTel-instrumented agent calling models through Hotpath", function () {
  let daemon: TestDaemon;
  before(
    async () =>
      (daemon = await startDaemon({
        args: ["--model", `chat=${chatModelPath()}`, "--threads", "1"],
        waitForModels: ["chat"],
      })),
  );
  after(async () => daemon?.dispose());

  it("LLM spans through Hotpath and the SDK's tool spans share one trace id, parented under the agent span", async () => {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ "service.name": "sdk-agent" }),
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({
            url: `${daemon.url}/v1/traces`,
            headers: { authorization: `Bearer ${daemon.token}` },
          }),
        ),
      ],
    });
    const tracer = provider.getTracer("agent");
    const propagator = new W3CTraceContextPropagator();
    const agent = tracer.startSpan("invoke_agent helper", { attributes: { "gen_ai.operation.name": "invoke_agent" } });
    const inAgent = trace.setSpan(context.active(), agent);
    const llmCall = async (content: string) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      propagator.inject(inAgent, headers, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
      const res = await daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "chat", messages: [{ role: "user", content }], max_tokens: 4, temperature: 0 }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.json();
    };
    await llmCall("Once upon a time");
    for (const file of ["a.ts", "b.ts"]) {
      const tool = tracer.startSpan(
        `execute_tool read_file`,
        {
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "read_file",
            "gen_ai.tool.call.arguments": JSON.stringify({ path: file }),
            "gen_ai.tool.call.result": "ok",
          },
        },
        inAgent,
      );
      await new Promise((r) => setTimeout(r, 10));
      tool.end();
    }
    await llmCall("The end");
    agent.end();
    await provider.forceFlush();
    await provider.shutdown();

    const traceId = agent.spanContext().traceId;
    const detail = (await (await daemon.fetch(`/hotpath/traces/${traceId}`)).json()) as TraceDetail;
    const llm = detail.spans.filter((s) => s.kind === "llm");
    const tools = detail.spans.filter((s) => s.kind === "tool");
    assert.equal(llm.length, 2, "both requests through Hotpath are in the agent's trace");
    assert.equal(tools.length, 2);
    for (const s of [...llm, ...tools]) {
      assert.equal(s.traceId, traceId);
      assert.equal(s.parentSpanId, agent.spanContext().spanId);
    }
    assert.ok(
      llm.every((s) => s.requestId),
      "the LLM spans are the daemon's own request spans",
    );
    const analysis = (await (await daemon.fetch(`/hotpath/traces/${traceId}/analysis`)).json()) as TraceAnalysis;
    assert.equal(analysis.spanCount, 5);
    assert.deepEqual(new Set(analysis.criticalPath.spanIds), new Set([...llm, ...tools].map((s) => s.spanId)));
    // The two reads ran one after another with no data flow between them.
    assert.equal(analysis.parallelGroups.length, 1);
    assert.equal(analysis.parallelGroups[0].spanIds.length, 2);
  });
});
