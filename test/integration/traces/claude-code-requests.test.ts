// Claude Code 2.1.3xx writes an `api-request` record when it sends a request (its id, its time) and names it in each
// assistant record of the answer (`requestRef`): a model call starts then, not at the last input before it — the time
// between is Claude Code's own (building the request, hooks). The records here have the shape the pinned CLI writes
// (test/integration/agents/claude-code.test.ts imports a real one); older transcripts, without them, read as before.
import assert from "node:assert/strict";
import { openDb, type Db } from "../../../daemon/db.js";
import { importText } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { claudeCodeRecords } from "../../support/claude-code-records.js";

const SESSION = "db24094a-482d-4950-8a14-4b58b047a7da";
const { at, ns, user, apiRequest, assistant } = claudeCodeRecords(Date.UTC(2026, 11, 6, 14, 35, 5), SESSION);

const toolUse = [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "echo hotpath-tool-ran" } }];
const toolResult = (ms: number) =>
  user(ms, [{ type: "tool_result", tool_use_id: "toolu_1", content: "hotpath-tool-ran" }]);

/** A session: prompt at 0, call 1 sent at 80 and answered at 150, the tool until 250, call 2 sent at 280, done at 300. */
function session(over: { ref1?: string; ref2?: string; sent1?: unknown; sent2?: unknown } = {}): object[] {
  return [
    { type: "queue-operation", operation: "enqueue", timestamp: at(-5), sessionId: SESSION, content: "Run echo" },
    user(0, "Run echo hotpath-tool-ran with Bash."),
    over.sent1 ?? apiRequest("req-1", 80),
    assistant(150, "msg_01A", "ref1" in over ? over.ref1 : "req-1", toolUse),
    toolResult(250),
    over.sent2 ?? apiRequest("req-2", 280),
    assistant(300, "msg_01B", "ref2" in over ? over.ref2 : "req-2", [{ type: "text", text: "Done." }]),
    { type: "cost-state", sessionId: SESSION, totalAPIDuration: 90, totalDuration: 320 },
  ];
}

describe("traces/importers: Claude Code's api-request records", () => {
  let db: Db;
  let store: TraceStore;
  beforeEach(() => {
    db = openDb(":memory:");
    store = new TraceStore(db);
  });
  afterEach(() => db.close());

  function calls(records: object[]): Span[] {
    const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const r = importText(store, `${SESSION}.jsonl`, text);
    assert.equal(r.format, "claude-code");
    return store
      .getSpans(r.traceIds[0])
      .filter((s) => s.kind === "llm")
      .sort((a, b) => a.startNs - b.startNs);
  }

  it("a model call starts when its request was sent, and ends at its answer's last record", () => {
    const llm = calls(session());
    assert.deepEqual(
      llm.map((s) => [s.startNs, s.endNs]),
      [
        [ns(80), ns(150)],
        [ns(280), ns(300)],
      ],
    );
  });

  it("without the records (older Claude Code) a call starts at the input before it, as before", () => {
    const records = session({ ref1: undefined, ref2: undefined }).filter(
      (r) => (r as { type: string }).type !== "api-request",
    );
    assert.deepEqual(
      calls(records).map((s) => [s.startNs, s.endNs]),
      [
        [ns(0), ns(150)],
        [ns(250), ns(300)],
      ],
    );
  });

  it("a reference to no request, a send stamped after the answer, or an unreadable record: that call as before", () => {
    assert.equal(calls(session({ ref1: "req-unknown" }))[0].startNs, ns(0));
    assert.equal(calls(session({ sent1: apiRequest("req-1", 160) }))[0].startNs, ns(0), "sent after it was answered");
    for (const bad of [
      apiRequest(42, 80),
      apiRequest("req-1", "not a time"),
      apiRequest("req-1", 12_345), // sent after it was answered
      { type: "api-request" },
      { type: "api-request", id: "req-1", timestamp: null },
    ]) {
      const llm = calls(session({ sent1: bad }));
      assert.equal(llm[0].startNs, ns(0), JSON.stringify(bad));
      assert.equal(llm[1].startNs, ns(280), "the other call keeps its own send time");
    }
  });
});
