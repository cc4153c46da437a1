// Claude Code 2.1.3xx launches a subagent in the background: the Task call returns at once ("async_launched"), the
// session goes on, and the agent's end reaches it later as a <task-notification> message that starts its next turn.
// Records in the shape the pinned CLI writes (test/integration/agents/claude-code.test.ts runs the real one).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../../daemon/db.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { importPath } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { claudeCodeRecords } from "../../support/claude-code-records.js";

const SESSION = "deb26b3c-a875-4b5b-8f1f-7e1c89081d04";
const AGENT = "a820592fb26a9abd2";
const T0 = Date.UTC(2026, 11, 6, 14, 49, 55);
const { at, ns, user, apiRequest, assistant } = claudeCodeRecords(T0, SESSION);
const task = {
  type: "tool_use",
  id: "toolu_task1",
  name: "Task",
  input: { description: "List files", prompt: "Run ls and report.", subagent_type: "general-purpose" },
};

/** The session (prompt sent at −88 ms, written at 0) and its background agent (216–421 ms); notified at 500. */
function files(async: boolean): { main: object[]; sub: object[] } {
  const launched = async
    ? { isAsync: true, status: "async_launched", agentId: AGENT, description: "List files" }
    : { status: "completed", agentId: AGENT, totalDurationMs: 200 };
  const result = async
    ? `Async agent launched successfully.\nagentId: ${AGENT} (internal ID - do not mention to user.)\nThe agent is working in the background.`
    : `Listed the files.\nagentId: ${AGENT}`;
  const main = [
    {
      type: "queue-operation",
      operation: "enqueue",
      timestamp: at(-83),
      sessionId: SESSION,
      content: "Use a subagent to list files.",
    },
    user(0, "Use a subagent to list files.", { sentAtMs: T0 - 88 }),
    apiRequest("r1", 57),
    assistant(169, "msg_1", "r1", [task]),
    user(
      async ? 244 : 430,
      [{ type: "tool_result", tool_use_id: "toolu_task1", content: [{ type: "text", text: result }] }],
      { toolUseResult: launched },
    ),
    apiRequest("r2", async ? 348 : 440),
    assistant(async ? 378 : 460, "msg_2", "r2", [{ type: "text", text: async ? "Waiting for the agent." : "Done." }]),
  ];
  if (async)
    main.push(
      {
        type: "queue-operation",
        operation: "enqueue",
        timestamp: at(486),
        sessionId: SESSION,
        content: "<task-notification>",
      },
      user(
        500,
        `<task-notification>\n<task-id>${AGENT}</task-id>\n<tool-use-id>toolu_task1</tool-use-id>\n<status>completed</status>\n</task-notification>`,
      ),
      apiRequest("r3", 539),
      assistant(548, "msg_3", "r3", [{ type: "text", text: "The agent listed the files." }]),
    );
  const sub = [
    { ...user(216, "Run ls and report."), isSidechain: true, agentId: AGENT },
    apiRequest("s1", 351),
    { ...assistant(421, "msg_s1", "s1", [{ type: "text", text: "Two files." }]), isSidechain: true, agentId: AGENT },
  ];
  return { main, sub };
}

describe("traces/importers: Claude Code's background agents", () => {
  let db: Db;
  let store: TraceStore;
  let dir: string;
  beforeEach(() => {
    db = openDb(":memory:");
    store = new TraceStore(db);
    dir = mkdtempSync(join(tmpdir(), "hotpath-bg-agents-"));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function imported(async: boolean): { spans: Span[]; traceId: string } {
    const { main, sub } = files(async);
    const lines = (records: object[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    writeFileSync(join(dir, `${SESSION}.jsonl`), lines(main));
    mkdirSync(join(dir, SESSION, "subagents"), { recursive: true });
    writeFileSync(join(dir, SESSION, "subagents", `agent-${AGENT}.jsonl`), lines(sub));
    const [r] = importPath(store, join(dir, `${SESSION}.jsonl`));
    return { spans: store.getSpans(r.traceIds[0]), traceId: r.traceIds[0] };
  }
  const byName = (spans: Span[], name: string) => spans.find((s) => s.name === name)!;

  it("an agent launched in the background runs beside the session, not inside the call that returned", () => {
    const { spans } = imported(true);
    const main = byName(spans, "invoke_agent claude-code");
    const taskCall = byName(spans, "execute_tool Task");
    const agent = byName(spans, `invoke_agent subagent ${AGENT}`);
    assert.deepEqual([taskCall.startNs, taskCall.endNs], [ns(169), ns(244)], "the call: launch to its return");
    assert.equal(agent.parentSpanId, main.spanId);
    assert.deepEqual([agent.startNs, agent.endNs], [ns(216), ns(421)]);
    assert.equal(agent.attributes["hotpath.agent.async"], true);
    assert.equal(agent.attributes["hotpath.agent.launched_by"], taskCall.spanId);
    // The notification is Claude Code's, not the person's: the turn it starts is not a prompt.
    const last = spans
      .filter((s) => s.kind === "llm" && s.parentSpanId === main.spanId)
      .sort((a, b) => a.startNs - b.startNs)
      .at(-1)!;
    assert.equal(last.startNs, ns(539));
    assert.equal(last.attributes["hotpath.user_prompt"], undefined);
  });

  it("the wait for the notification lies on the agent: the critical path runs through it, and nobody was idle", () => {
    const { spans, traceId } = imported(true);
    const analysis = analyzeTrace(spans, traceId);
    const agentLlm = spans.find(
      (s) => s.kind === "llm" && s.attributes["hotpath.user_prompt"] === undefined && s.startNs === ns(351),
    )!;
    assert.ok(analysis.criticalPath.spanIds.includes(agentLlm.spanId), JSON.stringify(analysis.criticalPath.segments));
    assert.equal(analysis.criticalPath.byKind.idle, 0);
    // The prompt was sent 88 ms before its record, and its request 145 ms after: the agent's own time, not the person's.
    const first = analysis.criticalPath.segments![0];
    assert.deepEqual([first.kind, first.label, first.startNs, first.endNs], ["gap", "client", ns(0), ns(57)]);
  });

  it("a subagent the call waited for still nests under the call", () => {
    const { spans } = imported(false);
    const taskCall = byName(spans, "execute_tool Task");
    const agent = byName(spans, `invoke_agent subagent ${AGENT}`);
    assert.equal(agent.parentSpanId, taskCall.spanId);
    assert.equal(agent.attributes["hotpath.agent.async"], undefined);
  });
});
