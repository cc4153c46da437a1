// Flat span exports (Phoenix / OpenInference) and Langfuse trace exports, end to end through the store and the
// analysis, on record-level fixtures written from each tool's documented shapes; then malformed, oversized and
// hostile input.
import assert from "node:assert/strict";
import { openDb, type Db } from "../../../daemon/db.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { importText, ImportError, parseTraceFile } from "../../../daemon/traces/importers/index.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const TRACE = "6e0c63257de34c92bf9efcd03927272e";
const iso = (s: number) => new Date(Date.parse("2026-02-03T09:00:00Z") + s * 1000).toISOString();

/** Phoenix REST `GET /v1/projects/{id}/spans` page: an agent, an LLM asking for two tools, the tools, a final LLM. */
function phoenixSpans() {
  const span = (
    id: string,
    parent: string | null,
    name: string,
    kind: string,
    start: number,
    end: number,
    attributes: { llm?: Record<string, unknown> } & Record<string, unknown>,
  ) => ({
    id: `U3Bhbjo${id}`,
    name,
    context: { trace_id: TRACE, span_id: id },
    span_kind: kind,
    parent_id: parent,
    start_time: iso(start),
    end_time: iso(end),
    status_code: "OK",
    status_message: "",
    attributes,
    events: [],
  });
  return [
    span("a000000000000001", null, "agent", "AGENT", 0, 40, { input: { value: "weather in Paris and Rome?" } }),
    span("a000000000000002", "a000000000000001", "ChatOpenAI", "LLM", 0, 3, {
      llm: {
        model_name: "gpt-4o",
        token_count: { prompt: 120, completion: 30 },
        output_messages: [
          {
            message: {
              role: "assistant",
              tool_calls: [
                { tool_call: { id: "call_paris", function: { name: "get_weather", arguments: '{"city":"Paris"}' } } },
                { tool_call: { id: "call_rome", function: { name: "get_weather", arguments: '{"city":"Rome"}' } } },
              ],
            },
          },
        ],
      },
    }),
    span("a000000000000003", "a000000000000001", "get_weather", "TOOL", 3, 13, {
      tool: { name: "get_weather" },
      tool_call: { id: "call_paris" },
      input: { value: '{"city":"Paris"}' },
      output: { value: "18C cloudy" },
    }),
    span("a000000000000004", "a000000000000001", "get_weather", "TOOL", 13, 23, {
      tool: { name: "get_weather" },
      tool_call: { id: "call_rome" },
      input: { value: '{"city":"Rome"}' },
      output: { value: "24C sunny" },
    }),
    span("a000000000000005", "a000000000000001", "ChatOpenAI", "LLM", 23, 40, { llm: { model_name: "gpt-4o" } }),
  ];
}

/** The same spans as `get_spans_dataframe().to_json(orient="records")` writes them: flattened columns, epoch ms. */
function dataframeRecords() {
  return phoenixSpans().map((s) => {
    const flat: Record<string, unknown> = {
      name: s.name,
      span_kind: s.span_kind,
      parent_id: s.parent_id,
      start_time: Date.parse(s.start_time),
      end_time: Date.parse(s.end_time),
      status_code: s.status_code,
      "context.span_id": s.context.span_id,
      "context.trace_id": s.context.trace_id,
    };
    const walk = (o: unknown, prefix: string) => {
      if (o && typeof o === "object" && !Array.isArray(o))
        for (const [k, v] of Object.entries(o)) walk(v, prefix ? `${prefix}.${k}` : k);
      else flat[`attributes.${prefix}`] = o;
    };
    walk(s.attributes.llm ? { llm: { ...s.attributes.llm, output_messages: undefined } } : s.attributes, "");
    if (s.attributes.llm && "output_messages" in s.attributes.llm)
      flat["attributes.llm.output_messages"] = s.attributes.llm.output_messages;
    return flat;
  });
}

describe("traces/importers: flat span exports and Langfuse", () => {
  let db: Db;
  let store: TraceStore;
  beforeEach(() => {
    db = openDb(":memory:");
    store = new TraceStore(db);
  });
  afterEach(() => db.close());

  for (const [shape, text] of [
    ["Phoenix REST page {data: [...]}", () => JSON.stringify({ data: phoenixSpans(), next_cursor: null })],
    ["a JSON array of span records", () => JSON.stringify(phoenixSpans())],
    [
      "JSON Lines of span records",
      () =>
        phoenixSpans()
          .map((s) => JSON.stringify(s))
          .join("\n"),
    ],
    ["a dataframe export (flattened columns, epoch ms)", () => JSON.stringify(dataframeRecords())],
  ] as const) {
    it(`imports ${shape}: kinds, ids, tool call ids on both sides, and the analysis`, () => {
      const r = importText(store, shape.includes("Lines") ? "spans.jsonl" : "spans.json", text());
      assert.equal(r.format, "flat-spans");
      assert.deepEqual(r.traceIds, [TRACE]);
      const spans = store.getSpans(TRACE);
      assert.deepEqual(spans.map((s) => s.kind).sort(), ["agent", "llm", "llm", "tool", "tool"]);
      const llm = spans.find((s) => s.spanId === "a000000000000002")!;
      assert.deepEqual(llm.attributes["hotpath.tool_call_ids"], ["call_paris", "call_rome"]);
      assert.equal(llm.attributes["gen_ai.request.model"], "gpt-4o");
      assert.equal(llm.attributes["gen_ai.usage.input_tokens"], 120);
      const paris = spans.find((s) => s.spanId === "a000000000000003")!;
      assert.equal(paris.attributes["gen_ai.tool.call.id"], "call_paris");
      assert.equal(paris.attributes["gen_ai.tool.call.result"], "18C cloudy");
      assert.equal(paris.parentSpanId, "a000000000000001");
      assert.equal(paris.endNs - paris.startNs, 10e9);
      const a = analyzeTrace(spans, TRACE);
      assert.equal(a.durationMs, 40_000);
      assert.equal(a.criticalPath.byKind.tool, 20_000);
      // One response asked for both; they ran one after the other: an independent group saving 10 s.
      assert.equal(a.parallelGroups.length, 1);
      assert.equal(a.parallelGroups[0].confidence, "independent");
      assert.deepEqual(a.parallelGroups[0].toolCallIds, ["call_paris", "call_rome"]);
      assert.equal(a.projectedSavingMs, 10_000);
    });
  }

  it("imports a Langfuse trace export: observations by type, generation tool calls, tool call ids, the trace as root", () => {
    const trace = {
      id: "lf-trace-1",
      timestamp: iso(0),
      name: "support-agent",
      sessionId: "sess-9",
      input: { question: "refund order 42?" },
      observations: [
        {
          id: "o1",
          traceId: "lf-trace-1",
          type: "GENERATION",
          name: "plan",
          startTime: iso(0),
          endTime: iso(4),
          completionStartTime: iso(1),
          model: "gpt-4o-mini",
          usageDetails: { input: 300, output: 40 },
          output: {
            role: "assistant",
            tool_calls: [
              { id: "call_a", type: "function", function: { name: "lookup_order", arguments: '{"id":42}' } },
            ],
          },
          level: "DEFAULT",
          parentObservationId: null,
        },
        {
          id: "o2",
          traceId: "lf-trace-1",
          type: "TOOL",
          name: "lookup_order",
          startTime: iso(4),
          endTime: iso(9),
          input: { id: 42 },
          output: { status: "delivered" },
          metadata: { tool_call_id: "call_a" },
          level: "DEFAULT",
          parentObservationId: null,
        },
        {
          id: "o3",
          traceId: "lf-trace-1",
          type: "GENERATION",
          name: "answer",
          startTime: iso(9),
          endTime: iso(15),
          model: "gpt-4o-mini",
          usage: { input: 350, output: 80, unit: "TOKENS" },
          output: "Yes, refundable.",
          level: "ERROR",
          statusMessage: "content filter",
          parentObservationId: null,
        },
        {
          id: "o4",
          traceId: "lf-trace-1",
          type: "EVENT",
          name: "feedback",
          startTime: iso(15),
          endTime: null,
          level: "DEFAULT",
          parentObservationId: "o3",
        },
      ],
      scores: [],
    };
    const r = importText(store, "trace.json", JSON.stringify(trace));
    assert.equal(r.format, "langfuse");
    const spans = store.getSpans(r.traceIds[0]);
    assert.equal(spans.length, 5);
    const root = spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(root.name, "support-agent");
    assert.equal(root.kind, "agent");
    const plan = spans.find((s) => s.name === "plan")!;
    assert.equal(plan.kind, "llm");
    assert.deepEqual(plan.attributes["hotpath.tool_call_ids"], ["call_a"]);
    assert.equal(plan.attributes["gen_ai.usage.input_tokens"], 300);
    assert.equal(plan.attributes["hotpath.timings.ttft_ms"], 1000);
    const tool = spans.find((s) => s.kind === "tool")!;
    assert.equal(tool.attributes["gen_ai.tool.call.id"], "call_a");
    assert.equal(tool.attributes["gen_ai.tool.call.arguments"], '{"id":42}');
    assert.equal(spans.find((s) => s.name === "answer")!.status, "error");
    assert.equal(
      spans.find((s) => s.name === "feedback")!.parentSpanId,
      spans.find((s) => s.name === "answer")!.spanId,
    );
    const a = analyzeTrace(spans);
    assert.equal(a.durationMs, 15_000);
    assert.equal(a.criticalPath.byKind.llm + a.criticalPath.byKind.tool, 15_000);
    // The same file as {trace, observations} and as a list of traces imports the same ids.
    const again = importText(
      store,
      "t2.json",
      JSON.stringify({ trace: { ...trace, observations: undefined }, observations: trace.observations }),
    );
    assert.deepEqual(again.traceIds, r.traceIds);
    assert.deepEqual(importText(store, "t3.json", JSON.stringify([trace])).traceIds, r.traceIds);
  });

  describe("malformed, oversized and hostile input", () => {
    const refuse = (name: string, text: string, pattern: RegExp) => {
      assert.throws(
        () => importText(store, name, text),
        (e: unknown) => e instanceof ImportError && pattern.test(e.message),
      );
      assert.equal(store.listTraces().length, 0, "nothing of a refused file is stored");
    };

    it("flat spans: a record without a trace id, a bad time, a non-object record, bad JSON Lines", () => {
      const good = phoenixSpans();
      refuse(
        "s.json",
        JSON.stringify([good[0], { ...good[1], start_time: "yesterday-ish" }]),
        /\[1\]\.start_time: expected an ISO-8601 time/,
      );
      refuse("s.json", JSON.stringify([good[0], 42]), /\[1\]\.\(record\): expected a span object/);
      refuse(
        "s.json",
        JSON.stringify([good[0], { ...good[1], context: { span_id: "a000000000000009" } }]),
        /context\.trace_id/,
      );
      refuse("s.jsonl", `${JSON.stringify(good[0])}\n{"context": oops\n`, /s\.jsonl:2: not valid JSON/);
      refuse(
        "s.json",
        JSON.stringify([
          good[0],
          { ...good[1], context: { trace_id: TRACE, span_id: "zz not an id !!" }, parent_id: 17 },
        ]),
        /parent_id/,
      );
    });

    it("flat spans: deep nesting, 100k attributes and prototype keys stay bounded and inert", () => {
      const depth = 20_000;
      const deepJson = `${'{"d":'.repeat(depth)}{"leaf":"x"}${"}".repeat(depth)}`;
      const many: Record<string, number> = {};
      for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
      const hostile = JSON.parse(`{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}`);
      const rec = { ...phoenixSpans()[0], attributes: { deep: "DEEP", many, hostile } };
      const r = importText(store, "s.json", JSON.stringify([rec]).replace('"DEEP"', deepJson));
      const [s] = store.getSpans(r.traceIds[0]);
      assert.ok(Object.keys(s.attributes).length <= 4096 + 16);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.ok(Object.keys(s.attributes).some((k) => k.startsWith("deep.d.d")));
    });

    it("Langfuse: an observation without an id or with a bad time names the field; nothing stored", () => {
      const t = {
        id: "t",
        timestamp: iso(0),
        observations: [{ id: "o1", type: "SPAN", startTime: iso(0), endTime: iso(1) }],
      };
      refuse(
        "t.json",
        JSON.stringify({ ...t, observations: [...t.observations, { type: "SPAN", startTime: iso(0) }] }),
        /observations\[1\]\.id/,
      );
      refuse(
        "t.json",
        JSON.stringify({ ...t, observations: [{ id: "o1", type: "SPAN", startTime: "not a time" }] }),
        /observations\[0\]\.startTime/,
      );
      refuse("t.json", JSON.stringify({ ...t, id: 7 }), /unrecognised trace format|\bid\b/);
    });

    it("Langfuse: 200,000 observations parse without overflowing the stack", function () {
      this.timeout(60_000);
      const observations = Array.from({ length: 200_000 }, (_, i) => ({
        id: `o${i}`,
        type: "SPAN",
        name: "step",
        startTime: iso(i),
        endTime: iso(i + 1),
      }));
      const { traces } = parseTraceFile("big.json", JSON.stringify({ id: "big", timestamp: iso(0), observations }));
      assert.equal(traces[0].spans.length, 200_001);
    });
  });
});
