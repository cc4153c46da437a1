// Every importer on the shared fixtures (counts from each SOURCE.md), re-import idempotence, and malformed input.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { openDb, type Db } from "../../../daemon/db.js";
import { importPath, importText, ImportError } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { skipWithoutFixture, traceFixture } from "../../support/trace-fixtures.js";

function count(spans: Span[], kind: string) {
  return spans.filter((s) => s.kind === kind).length;
}

/** One OTLP/JSON span: a fixed trace and span id, name "x", 1–2 ns; `over` replaces fields (undefined drops one). */
const otlpSpan = (over: Record<string, unknown> = {}) => ({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  name: "x",
  startTimeUnixNano: "1",
  endTimeUnixNano: "2",
  ...over,
});
/** An OTLP/JSON export of these spans (one resource, one scope). */
const otlpExport = (...spans: object[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

describe("traces/importers", () => {
  let db: Db;
  let store: TraceStore;
  beforeEach(() => {
    db = openDb(":memory:");
    store = new TraceStore(db);
  });
  afterEach(() => db.close());

  describe("on real agent logs", function () {
    it("Claude Code session: 76 tool calls (Bash 38, Edit 18, Read 10, Glob 8, Write 1, Skill 1), one trace", function () {
      const file = traceFixture("claude-code", "session-3fe1b6bc.jsonl");
      skipWithoutFixture(this, file, "claude-code/session-3fe1b6bc.jsonl");
      const [r] = importPath(store, file);
      assert.equal(r.format, "claude-code");
      assert.equal(r.traceIds.length, 1);
      const spans = store.getSpans(r.traceIds[0]);
      const tools = spans.filter((s) => s.kind === "tool");
      assert.equal(tools.length, 76);
      const byName: Record<string, number> = {};
      for (const t of tools)
        byName[String(t.attributes["gen_ai.tool.name"])] = (byName[String(t.attributes["gen_ai.tool.name"])] ?? 0) + 1;
      assert.deepEqual(byName, { Bash: 38, Edit: 18, Read: 10, Glob: 8, Write: 1, Skill: 1 });
      // 12 assistant messages hold more than one tool_use (already-parallel batches).
      const batches = spans.filter(
        (s) => s.kind === "llm" && ((s.attributes["hotpath.tool_call_ids"] as string[] | undefined)?.length ?? 0) > 1,
      );
      assert.equal(batches.length, 12);
      assert.ok(
        tools.every((t) => t.endNs >= t.startNs && typeof t.attributes["gen_ai.tool.call.result"] === "string"),
      );
    });

    it("Claude Code session with a subagent: 14 + 20 tool calls, the subagent nested under its Task call", function () {
      const file = traceFixture("claude-code", "incremental-subagents", "turn-2.jsonl");
      skipWithoutFixture(this, file, "claude-code/incremental-subagents/turn-2.jsonl");
      const [r] = importPath(store, file);
      const spans = store.getSpans(r.traceIds[0]);
      const task = spans.find((s) => s.attributes["gen_ai.tool.name"] === "Task")!;
      assert.ok(task.attributes["gen_ai.tool.call.id"]?.toString().endsWith("fuyQ7yLV"));
      const sub = spans.find((s) => s.kind === "agent" && s.parentSpanId === task.spanId)!;
      assert.ok(sub, "subagent span under the Task tool span");
      const subTools = spans.filter((s) => s.kind === "tool" && s.parentSpanId === sub.spanId);
      const mainTools = spans.filter((s) => s.kind === "tool" && s.parentSpanId !== sub.spanId);
      assert.equal(mainTools.length, 14);
      assert.equal(subTools.length, 20);
      // Tool calls of one model response share one LLM span although parentUuid chains them.
      const batch = spans.filter(
        (s) => s.kind === "llm" && ((s.attributes["hotpath.tool_call_ids"] as string[] | undefined)?.length ?? 0) > 1,
      );
      assert.equal(batch.length, 2 + 5);
    });

    it("importing the claude-code directory does not import the subagent file a second time", function () {
      const dir = traceFixture("claude-code");
      skipWithoutFixture(this, dir, "claude-code/");
      const results = importPath(store, dir);
      assert.equal(results.length, 2);
      assert.equal(store.listTraces().length, 2);
    });

    it("Codex rollout: 105 recorded tool calls = 51 tool spans + 54 write_stdin polls folded into their commands", function () {
      const dir = traceFixture("codex");
      skipWithoutFixture(this, dir, "codex/");
      const [r] = importPath(store, dir);
      assert.equal(r.format, "codex");
      const spans = store.getSpans(r.traceIds[0]);
      const tools = spans.filter((s) => s.kind === "tool");
      const polls = tools.reduce((n, t) => n + Number(t.attributes["hotpath.codex.polls"] ?? 0), 0);
      assert.equal(tools.length, 51);
      assert.equal(polls, 54);
      assert.equal(tools.length + polls, 105);
      assert.equal(tools.filter((t) => t.attributes["hotpath.duration_source"] === "exec_command_end").length, 43);
      // exec_command_end.duration is the command's time: idx 8's sed ran 5.088 s although its output came after 1.2 s.
      const first = tools.find((t) => t.attributes["gen_ai.tool.call.id"] === "call_Y2p6KmqwoTtpi6atpDPuxC5M")!;
      assert.equal(Math.round((first.endNs - first.startNs) / 1e6), 5088);
      assert.equal(first.attributes["hotpath.codex.polls"], 1);
    });

    it("OTLP JSON (OpenInference, base64 ids, parents across flush documents): span counts by kind", function () {
      const file = traceFixture("otlp-openinference", "quo_tav_agent.json");
      skipWithoutFixture(this, file, "otlp-openinference/quo_tav_agent.json");
      const [r] = importPath(store, file);
      assert.equal(r.format, "otlp-json");
      const spans = store.getSpans(r.traceIds[0]);
      assert.equal(spans.length, 29);
      assert.deepEqual(
        {
          agent: count(spans, "agent"),
          chain: count(spans, "chain"),
          llm: count(spans, "llm"),
          tool: count(spans, "tool"),
          other: count(spans, "other"),
        },
        { agent: 10, chain: 6, llm: 6, tool: 2, other: 5 },
      );
      assert.ok(spans.every((s) => /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId)));
      const search = spans.find((s) => s.attributes["gen_ai.tool.name"] === "tavily_search")!;
      assert.match(String(search.attributes["gen_ai.tool.call.arguments"]), /latest AI trends 2024/);
      const llm = spans.filter((s) => s.kind === "llm");
      assert.ok(llm.every((s) => typeof s.attributes["gen_ai.request.model"] === "string"));
    });

    it("OTLP JSON: smol deep research, 8 spans, 6 o1 LLM calls", function () {
      const file = traceFixture("otlp-openinference", "smol_deep_research_agent.json");
      skipWithoutFixture(this, file, "otlp-openinference/smol_deep_research_agent.json");
      const spans = store.getSpans(importPath(store, file)[0].traceIds[0]);
      assert.equal(spans.length, 8);
      assert.equal(count(spans, "llm"), 6);
    });

    it("OpenAI Agents SDK export (6 spans: 3 agent + 3 response) and the OTel Python dump of the same run (6 spans)", function () {
      const sdk = traceFixture("openai-agents", "logs", "traces_2025-06-29_00-23-37.json");
      const otel = traceFixture("openai-agents", "logs", "otel_traces_2025-06-29_00-23-24.json");
      skipWithoutFixture(this, sdk, "openai-agents/logs/traces_….json");
      skipWithoutFixture(this, otel, "openai-agents/logs/otel_traces_….json");
      const [a] = importPath(store, sdk);
      assert.equal(a.format, "openai-agents");
      const spans = store.getSpans(a.traceIds[0]);
      assert.equal(spans.length, 6);
      assert.equal(count(spans, "agent"), 3);
      assert.equal(count(spans, "llm"), 3);
      assert.equal(a.traceIds[0], "98b1922f8dc0455daf6191f1167901de");
      const [b] = importPath(store, otel);
      assert.equal(b.format, "otel-python-json");
      const ospans = store.getSpans(b.traceIds[0]);
      assert.equal(ospans.length, 6);
      // Same execution: OTel search_agent starts 1 ms before the SDK's SearchAgent span.
      const searchOtel = ospans.find((s) => s.name === "search_agent")!;
      const searchSdk = spans.find((s) => s.name === "SearchAgent")!;
      assert.ok(Math.abs(searchOtel.startNs - searchSdk.startNs) < 5e6);
    });

    it("kv-cache-tester traces import with prefix block hashes", function () {
      const dir = traceFixture("kv-cache-replay", "traces");
      skipWithoutFixture(this, dir, "kv-cache-replay/traces");
      const results = importPath(store, dir);
      assert.ok(results.length >= 3);
      for (const r of results) {
        assert.equal(r.format, "kv-cache-replay");
        const doc = JSON.parse(readFileSync(r.file, "utf8")) as { requests: unknown[] };
        const llm = store.getSpans(r.traceIds[0]).filter((s) => s.kind === "llm");
        assert.equal(llm.length, doc.requests.length);
      }
    });

    it("re-importing a file (and a whole directory) never duplicates", function () {
      const dir = traceFixture();
      skipWithoutFixture(this, dir, "fixtures/traces");
      importPath(store, dir);
      const spans = store.countSpans();
      const traces = store.listTraces({ limit: 1000 }).length;
      importPath(store, dir);
      assert.equal(store.countSpans(), spans);
      assert.equal(store.listTraces({ limit: 1000 }).length, traces);
    });

    it("Hotpath export → import round trip keeps ids, spans and attributes", function () {
      const file = traceFixture("claude-code", "incremental-subagents", "turn-2.jsonl");
      skipWithoutFixture(this, file, "claude-code turn-2");
      const [r] = importPath(store, file);
      const before = store.getSpans(r.traceIds[0]);
      const text = [...store.exportJsonl()].join("\n");
      const db2 = openDb(":memory:");
      const store2 = new TraceStore(db2);
      const res = importText(store2, "export.jsonl", text);
      assert.equal(res.format, "hotpath");
      assert.deepEqual(store2.getSpans(r.traceIds[0]), before);
      assert.equal(store2.getTrace(r.traceIds[0])?.source, "import:claude-code");
      db2.close();
    });
  });

  describe("on malformed and hostile input", () => {
    const claudeLine = (over: Record<string, unknown> = {}) =>
      JSON.stringify({
        type: "assistant",
        uuid: "u1",
        parentUuid: null,
        sessionId: "s1",
        timestamp: "2026-01-01T00:00:00.000Z",
        message: { id: "m1", model: "claude", content: [{ type: "text", text: "hi" }] },
        ...over,
      });

    function expectImportError(name: string, text: string, line: number | undefined, field: RegExp | undefined) {
      assert.throws(
        () => importText(store, name, text),
        (e: unknown) => {
          assert.ok(e instanceof ImportError, String(e));
          assert.equal(e.line, line);
          if (field) assert.match(e.field ?? "", field);
          assert.match(e.message, new RegExp(name.replace(/\./g, "\\.")));
          assert.match(e.message, /nothing from this file was imported/);
          return true;
        },
      );
      assert.equal(store.countSpans(), 0, "nothing of the file is stored");
    }

    it("a bad JSON line names the file and line; earlier good lines are not stored", () => {
      expectImportError(
        "s.jsonl",
        `${claudeLine()}\n${claudeLine({ uuid: "u2" })}\n{"type": "user", oops\n`,
        3,
        undefined,
      );
    });

    it("wrong types name the field", () => {
      expectImportError("s.jsonl", `${claudeLine()}\n${claudeLine({ timestamp: 12345 })}\n`, 2, /^timestamp$/);
      expectImportError(
        "s.jsonl",
        `${claudeLine({ message: { id: "m", content: [{ type: "tool_use", id: 7, name: "Bash" }] } })}\n`,
        1,
        /content\[0\]\.id/,
      );
      // Records are walked as they parse, but a line that is not JSON anywhere in the file is still the error named.
      expectImportError(
        "s.jsonl",
        `${claudeLine({ message: { id: "m", content: [{ type: "tool_use", id: 7, name: "Bash" }] } })}\n${claudeLine({ uuid: "u2" })}\n{"type": "user", oops\n`,
        3,
        undefined,
      );
      const codex = `{"timestamp":"2026-05-11T08:27:17.490Z","type":"session_meta","payload":{"id":"x"}}\n{"timestamp":"2026-05-11T08:27:18Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c","duration":{"secs":"five","nanos":0}}}\n`;
      expectImportError("rollout.jsonl", codex, 2, /payload\.duration\.secs/);
      expectImportError(
        "t.json",
        otlpExport(otlpSpan({ startTimeUnixNano: "abc", endTimeUnixNano: "1" })),
        undefined,
        /startTimeUnixNano/,
      );
      expectImportError("t.json", otlpExport(otlpSpan({ traceId: "zz", name: undefined })), undefined, /traceId/);
    });

    it("an unknown format is refused with the formats it could be", () => {
      expectImportError("notes.json", JSON.stringify({ hello: "world" }), undefined, undefined);
      expectImportError("empty.jsonl", "", undefined, undefined);
    });

    it("a 10 MB line imports, with the giant attribute cut to the store's limit", () => {
      const huge = "x".repeat(10 * 1024 * 1024);
      const text = [
        claudeLine({
          message: {
            id: "m1",
            model: "claude",
            content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }],
          },
        }),
        JSON.stringify({
          type: "user",
          uuid: "u2",
          parentUuid: "u1",
          sessionId: "s1",
          timestamp: "2026-01-01T00:00:01.000Z",
          message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: huge }] },
        }),
      ].join("\n");
      const r = importText(store, "big.jsonl", text);
      const tool = store.getSpans(r.traceIds[0]).find((s) => s.kind === "tool")!;
      const result = String(tool.attributes["gen_ai.tool.call.result"]);
      assert.ok(result.length < 300 * 1024, `kept ${result.length} chars`);
      assert.match(result, /truncated/);
    });

    it("huge attributes from OTLP are capped by the store", () => {
      const small = new TraceStore(db, { maxAttributeChars: 2048 });
      const otlp = otlpExport(
        otlpSpan({ attributes: [{ key: "input.value", value: { stringValue: "y".repeat(1_000_000) } }] }),
      );
      const r = importText(small, "t.json", otlp);
      const s = small.getSpans(r.traceIds[0])[0];
      assert.ok(String(s.attributes["input.value"]).length < 2100);
    });

    it("a value nested past the stack anywhere in a file is the file's error (generated placements, every format)", function () {
      this.timeout(120_000);
      // JSON.parse reads any depth; what stringifies or walks a value afterwards recurses. Placements are drawn (seeded)
      // from every value of small documents of each format, and of the shared fixtures when present: the importer
      // either imports the file or refuses it with an ImportError naming it, and stores nothing then — never a
      // RangeError (the daemon's 500).
      const ts = "2026-01-01T00:00:0";
      const docs: [string, string][] = [
        [
          "s.jsonl",
          [
            claudeLine({
              message: {
                id: "m1",
                model: "claude",
                content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls", opts: { a: [1] } } }],
                usage: { input_tokens: 3, output_tokens: 2 },
              },
            }),
            JSON.stringify({
              type: "user",
              uuid: "u2",
              parentUuid: "u1",
              sessionId: "s1",
              timestamp: `${ts}1.000Z`,
              message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: { out: "x" } }] },
              toolUseResult: { stdout: "x", stderr: "" },
            }),
          ].join("\n"),
        ],
        [
          "rollout.jsonl",
          [
            { type: "session_meta", payload: { id: "x", cwd: "/w" } },
            { type: "response_item", payload: { type: "function_call", name: "shell", call_id: "c", arguments: "{}" } },
            { type: "response_item", payload: { type: "function_call_output", call_id: "c", output: { a: 1 } } },
            { type: "event_msg", payload: { type: "token_count", info: { total_token_usage: { input_tokens: 1 } } } },
          ]
            .map((r, i) => JSON.stringify({ timestamp: `${ts}${i}.000Z`, ...r }))
            .join("\n"),
        ],
        [
          "t.json",
          otlpExport(
            otlpSpan({
              attributes: [
                { key: "input.value", value: { kvlistValue: { values: [{ key: "a", value: { intValue: "1" } }] } } },
              ],
              events: [{ name: "e", timeUnixNano: "1", attributes: [{ key: "k", value: { stringValue: "v" } }] }],
            }),
          ),
        ],
        [
          "agents.json",
          JSON.stringify({
            traces: [
              {
                object: "trace",
                id: "trace_1",
                workflow_name: "w",
                spans: [
                  {
                    object: "trace.span",
                    id: "span_1",
                    trace_id: "trace_1",
                    parent_id: null,
                    started_at: "2025-06-29T07:23:37.642071+00:00",
                    ended_at: "2025-06-29T07:23:47.261761+00:00",
                    span_data: { type: "agent", name: "A", tools: ["t"], output_type: "str" },
                    error: { message: "m", data: { a: 1 } },
                  },
                ],
              },
            ],
          }),
        ],
        [
          "otel.json",
          JSON.stringify({
            spans: [
              {
                name: "n",
                context: { trace_id: "bf386626acbcb551618d51dc42d956ec", span_id: "43749cea77ff2c5d" },
                parent_id: null,
                start_time: 1751181827263243000,
                end_time: 1751181833056021000,
                status: { status_code: "UNSET" },
                attributes: { agent: "A", input: { q: ["x"] } },
                events: [{ name: "e", timestamp: 1751181827263243000, attributes: { r: { a: 1 } } }],
              },
            ],
          }),
        ],
      ];
      const shared = traceFixture();
      if (shared)
        for (const f of readdirSync(shared, { recursive: true, encoding: "utf8" }))
          if (/\.jsonl?$/.test(f)) docs.push([basename(f), readFileSync(join(shared, f), "utf8")]);

      let seed = 17;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
      const depth = 100_000;
      const nests = [`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`, `${"[".repeat(depth)}1${"]".repeat(depth)}`];
      const placesIn = (v: unknown, path: (string | number)[], out: (string | number)[][]) => {
        if (path.length) out.push(path);
        if (Array.isArray(v)) v.forEach((x, i) => placesIn(x, [...path, i], out));
        else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) placesIn(x, [...path, k], out);
      };
      let refused = 0;
      let imported = 0;
      for (const [name, text] of docs) {
        const records = name.endsWith(".jsonl") ? text.split("\n").filter(Boolean) : [text];
        for (let n = 0; n < 12; n++) {
          const at = Math.floor(random() * records.length);
          const record = JSON.parse(records[at]);
          const places: (string | number)[][] = [];
          placesIn(record, [], places);
          const place = places[Math.floor(random() * places.length)];
          let holder = record;
          for (const step of place.slice(0, -1)) holder = holder[step];
          holder[place[place.length - 1]] = "\u0000deep";
          const nest = nests[n % 2];
          const variant = [...records];
          variant[at] = JSON.stringify(record).replace('"\\u0000deep"', nest);
          assert.ok(variant[at].length > nest.length, "the nest was placed");
          const where = `${name} at ${place.join(".")} (${n % 2 ? "arrays" : "objects"})`;
          try {
            const r = importText(store, name, variant.join("\n"));
            imported++;
            for (const id of r.traceIds) store.deleteTrace(id);
          } catch (e) {
            assert.ok(e instanceof ImportError, `${where}: ${String(e)}`);
            assert.match(e.message, new RegExp(name.replace(/\./g, "\\.")), where);
            assert.equal(store.countSpans(), 0, `${where}: nothing of the file is stored`);
            refused++;
          }
        }
      }
      assert.ok(refused > 0 && imported > 0, `${refused} refused, ${imported} imported`);
    });

    it("parent cycles and missing parents import and analyze", () => {
      const mk = (spanId: string, parentSpanId: string) =>
        otlpSpan({ spanId, parentSpanId, name: spanId, startTimeUnixNano: "1000", endTimeUnixNano: "2000" });
      const otlp = otlpExport(
        mk("00000000000000a1", "00000000000000a2"),
        mk("00000000000000a2", "00000000000000a1"),
        mk("00000000000000a3", "00000000000000ff"),
      );
      const r = importText(store, "cyc.json", otlp);
      assert.equal(store.getSpans(r.traceIds[0]).length, 3);
    });
  });
});
