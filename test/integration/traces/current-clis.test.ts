// The importers on session files the current agent CLIs wrote (test/fixtures/traces/README.md): Claude Code 2.1.332
// (api-request records, a background agent and its notification) and Codex 0.171.0 (a command's run as an
// item_completed event). What each record says is read from the files themselves, not restated here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDb, type Db } from "../../../daemon/db.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { importPath } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/traces");
const records = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const msNs = (iso: string) => Date.parse(iso) * 1e6;

describe("traces/importers on the current CLIs' own session files", () => {
  let db: Db;
  let store: TraceStore;
  beforeEach(() => {
    db = openDb(":memory:");
    store = new TraceStore(db);
  });
  afterEach(() => db.close());

  function imported(file: string): { spans: Span[]; traceId: string } {
    const results = importPath(store, file);
    assert.equal(results.length, 1);
    assert.equal(results[0].traceIds.length, 1);
    const traceId = results[0].traceIds[0];
    return { spans: store.getSpans(traceId), traceId };
  }

  describe("Claude Code 2.1.332: a session that launched a background agent", () => {
    const dir = join(FIXTURES, "claude-code-2.1.332", "background-agent");
    const session = "deb26b3c-a875-4b5b-8f1f-7e1c89081d04";
    const main = join(dir, `${session}.jsonl`);
    const mainRecords = records(main);

    it("each model call starts at its request's api-request record; the notification's turn is no prompt", () => {
      const { spans } = imported(main);
      const sent = new Map(mainRecords.filter((r) => r.type === "api-request").map((r) => [r.id, msNs(r.timestamp)]));
      const agent = spans.find((s) => s.name === "invoke_agent claude-code")!;
      const calls = spans
        .filter((s) => s.kind === "llm" && s.parentSpanId === agent.spanId)
        .sort((a, b) => a.startNs - b.startNs);
      const refs = [...new Set(mainRecords.filter((r) => r.type === "assistant").map((r) => r.requestRef))];
      assert.deepEqual(
        calls.map((c) => c.startNs),
        refs.map((r) => sent.get(r)),
      );
      const prompt = mainRecords.find((r) => r.type === "user" && typeof r.message.content === "string")!;
      assert.equal(calls[0].attributes["hotpath.user_prompt"], prompt.message.content);
      assert.equal(calls[0].attributes["hotpath.user_prompt.at_ns"], prompt.sentAtMs * 1e6, "when the person sent it");
      const notification = mainRecords.find(
        (r) => r.type === "user" && /^<task-notification>/.test(r.message.content),
      )!;
      assert.ok(notification, "the fixture holds the notification");
      assert.equal(calls.at(-1)!.attributes["hotpath.user_prompt"], undefined);
    });

    it("the background agent lies beside the session, launched by the Task call, and its wait is on the path", () => {
      const { spans, traceId } = imported(main);
      const launch = mainRecords.find((r) => r.type === "user" && r.toolUseResult?.status === "async_launched")!;
      const agentId = launch.toolUseResult.agentId;
      const session = spans.find((s) => s.name === "invoke_agent claude-code")!;
      const agent = spans.find((s) => s.name === `invoke_agent subagent ${agentId}`)!;
      const taskCall = spans.find(
        (s) => s.kind === "tool" && s.attributes["gen_ai.tool.call.id"] === launch.message.content[0].tool_use_id,
      )!;
      assert.equal(agent.parentSpanId, session.spanId);
      assert.equal(agent.attributes["hotpath.agent.async"], true);
      assert.equal(agent.attributes["hotpath.agent.launched_by"], taskCall.spanId);
      assert.equal(taskCall.endNs, msNs(launch.timestamp), "the call ended when it returned");
      assert.ok(agent.endNs > taskCall.endNs);
      const agentCall = spans.find((s) => s.kind === "llm" && s.parentSpanId === agent.spanId)!;
      assert.equal(
        agentCall.attributes["hotpath.user_prompt"],
        undefined,
        "the agent's prompt is the session's, not a person's",
      );
      const analysis = analyzeTrace(spans, traceId);
      assert.ok(analysis.criticalPath.spanIds.includes(agentCall.spanId));
      assert.equal(analysis.criticalPath.byKind.idle, 0);
    });
  });

  describe("Codex 0.171.0: a command run recorded as item_completed", () => {
    const file = join(
      FIXTURES,
      "codex-0.171.0",
      "rollout-2026-12-06T15-26-04-01a24bf6-5510-7b81-82b2-f7a0f6175073.jsonl",
    );
    const done = records(file).find(
      (r) => r.payload?.type === "item_completed" && r.payload.item?.type === "CommandExecution",
    )!;

    it("the tool span is the command's run: its duration, ending when it completed, with its exit code and output", () => {
      const { spans, traceId } = imported(file);
      const tool = spans.find((s) => s.kind === "tool")!;
      const { item, completed_at_ms } = done.payload;
      const durationNs = item.duration.secs * 1e9 + item.duration.nanos;
      assert.equal(tool.attributes["gen_ai.tool.call.id"], item.id);
      assert.equal(tool.endNs, completed_at_ms * 1e6);
      assert.equal(tool.startNs, completed_at_ms * 1e6 - durationNs);
      assert.equal(tool.attributes["hotpath.duration_source"], "item_completed");
      assert.equal(tool.attributes["process.exit.code"], item.exit_code);
      assert.equal(tool.attributes["gen_ai.tool.call.result"], item.aggregated_output);
      // Between the call and the command's start Codex was setting it up: the agent's time, not the tool's.
      const call = spans.find(
        (s) => s.kind === "llm" && (s.attributes["hotpath.tool_call_ids"] as string[] | undefined)?.includes(item.id),
      )!;
      assert.ok(tool.startNs - call.endNs > 50e6, `${(tool.startNs - call.endNs) / 1e6} ms of set-up`);
      const analysis = analyzeTrace(spans, traceId);
      assert.equal(analysis.hotspots[0].spanId, tool.spanId, "the command is the top hotspot");
    });

    it("a command that returned early and was polled is one span of its whole run, the poll folded into it", () => {
      const polled = join(
        FIXTURES,
        "codex-0.171.0",
        "rollout-2026-12-06T15-49-51-01a24c0c-1b84-70a3-8023-4883e84a8b43.jsonl",
      );
      const lines = records(polled);
      const poll = lines.find((r) => r.payload?.type === "function_call" && r.payload.name === "write_stdin")!;
      const ended = lines.find(
        (r) => r.payload?.type === "item_completed" && r.payload.item?.type === "CommandExecution",
      )!;
      const { spans } = imported(polled);
      const tools = spans.filter((s) => s.kind === "tool");
      assert.equal(tools.length, 1, "the write_stdin poll is no span of its own");
      const [command] = tools;
      assert.equal(command.attributes["gen_ai.tool.call.id"], ended.payload.item.id);
      assert.equal(command.attributes["hotpath.codex.polls"], 1);
      assert.equal(command.endNs, ended.payload.completed_at_ms * 1e6);
      assert.ok(command.startNs < msNs(poll.timestamp), "it ran from before the poll to its end");
      assert.equal(command.attributes["gen_ai.tool.call.result"], ended.payload.item.aggregated_output);
    });
  });
});
