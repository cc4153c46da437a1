// Who owned the time, per format, on minimal record-level fixtures written from each format's documentation (the dev
// fixtures hold no question, plan review, refusal, escalation or compaction; fixture-based cases are in
// test/integration/traces/fixture-analysis.test.ts).
import assert from "node:assert/strict";
import type { TimeOwner } from "../../../daemon/api.js";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { parseTraceFile } from "../../../daemon/traces/importers/index.js";
import type { Span } from "../../../daemon/traces/span.js";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join("\n");

function imported(name: string, text: string): Span[] {
  const { traces } = parseTraceFile(name, text);
  assert.equal(traces.length, 1);
  return traces[0].spans;
}

function owners(spans: Span[]): Record<TimeOwner, number> {
  const a = analyzeTrace(spans);
  const sum = Object.values(a.criticalPath.byKind).reduce((x, y) => x + y, 0);
  assert.deepEqual(Object.keys(a.criticalPath.byKind).sort(), ["compaction", "gap", "human", "idle", "llm", "tool"]);
  assert.ok(Math.abs(sum - a.criticalPath.durationMs) < 1e-6, `owners sum ${sum} ≠ ${a.criticalPath.durationMs}`);
  return a.criticalPath.byKind;
}

// ── Claude Code: records as ~/.claude/projects/<project>/<session>.jsonl writes them ──
let uuid = 0;
const base = { sessionId: "s-1", isSidechain: false, userType: "external", cwd: "/repo", version: "2.1.7" };
const user = (s: number, content: unknown, extra: object = {}) => ({
  ...base,
  type: "user",
  uuid: `u${++uuid}`,
  timestamp: iso(s),
  message: { role: "user", content },
  ...extra,
});
const assistant = (s: number, id: string, content: object[]) => ({
  ...base,
  type: "assistant",
  uuid: `a${++uuid}`,
  timestamp: iso(s),
  message: {
    id,
    role: "assistant",
    model: "claude-sonnet-4-5",
    content,
    usage: { input_tokens: 10, output_tokens: 5 },
  },
});
const toolUse = (id: string, name: string, input: object) => ({ type: "tool_use", id, name, input });
const result = (s: number, id: string, content: string, extra: object = {}, isError = false) =>
  user(s, [{ type: "tool_result", tool_use_id: id, content, is_error: isError }], extra);

describe("traces/time owners: Claude Code records", () => {
  it("an AskUserQuestion waiting 19 minutes is the person's time, not the tool's", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "set up the release"),
        assistant(5, "m1", [
          toolUse("q1", "AskUserQuestion", {
            questions: [{ question: "Which branch?", options: [{ label: "main" }] }],
          }),
        ]),
        result(5 + 19 * 60, "q1", "User has answered your questions: Which branch?=main", {
          toolUseResult: { questions: [], answers: { "Which branch?": "main" } },
        }),
        assistant(5 + 19 * 60 + 4, "m2", [{ type: "text", text: "Releasing from main." }]),
      ]),
    );
    const by = owners(spans);
    assert.equal(by.human, 19 * 60 * 1000);
    assert.equal(by.tool, 0);
    const a = analyzeTrace(spans);
    assert.equal(a.hotspots[0].kind, "human");
    assert.match(a.hotspots[0].why, /AskUserQuestion.*waited for the person/);
  });

  it("plan review (ExitPlanMode) and a refused permission prompt are the person's; the refusal is a denial", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "plan the migration"),
        assistant(3, "m1", [toolUse("p1", "ExitPlanMode", { plan: "1. dump 2. migrate" })]),
        result(123, "p1", "User has approved your plan. You can now start coding.", {
          toolUseResult: { plan: "1. dump 2. migrate" },
        }),
        assistant(125, "m2", [toolUse("b1", "Bash", { command: "rm -rf build" })]),
        result(
          185,
          "b1",
          "The user doesn't want to proceed with this tool use. The tool use was rejected.",
          { toolUseResult: "User rejected tool use" },
          true,
        ),
        user(185, [{ type: "text", text: "[Request interrupted by user for tool use]" }]),
      ]),
    );
    const by = owners(spans);
    assert.equal(by.human, 120_000 + 60_000);
    const refused = spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "b1")!;
    assert.equal(refused.attributes["hotpath.tool.denied"], true);
    assert.equal(refused.status, "error");
  });

  it("a compact_boundary is compaction time, and the summary after it is no user prompt (the wait before it is not idle)", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "refactor the parser"),
        assistant(10, "m1", [toolUse("r1", "Read", { file_path: "/repo/src/parser.ts" })]),
        result(11, "r1", "export function parse() {}"),
        {
          ...base,
          type: "system",
          subtype: "compact_boundary",
          uuid: "c1",
          parentUuid: null,
          logicalParentUuid: "u3",
          timestamp: iso(98),
          content: "Conversation compacted",
          compactMetadata: { trigger: "auto", preTokens: 155025 },
        },
        user(98.5, [{ type: "text", text: "This session is being continued from a previous conversation…" }], {
          isCompactSummary: true,
          isVisibleInTranscriptOnly: true,
        }),
        assistant(104, "m2", [{ type: "text", text: "Continuing." }]),
      ]),
    );
    const by = owners(spans);
    assert.equal(by.compaction, 87_500);
    assert.equal(by.idle, 0);
    const c = spans.find((s) => s.attributes["hotpath.time_owner"] === "compaction")!;
    assert.equal(c.attributes["hotpath.compaction.pre_tokens"], 155025);
    const next = spans.find((s) => s.attributes["gen_ai.response.id"] === "m2")!;
    assert.equal(next.attributes["hotpath.user_prompt"], undefined);
    assert.equal(next.startNs, c.endNs);
  });

  it("the wait before a typed message is idle, also before the first one; meta records and command output are not typed", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "<command-name>/clear</command-name>"),
        user(0, "<local-command-stdout></local-command-stdout>"),
        user(600, "fix the flaky test"),
        assistant(610, "m1", [toolUse("r1", "Skill", { skill: "testing" })]),
        result(611, "r1", "Launching skill: testing"),
        user(611, [{ type: "text", text: "Base directory for this skill: /skills/testing" }], { isMeta: true }),
        assistant(620, "m2", [{ type: "text", text: "Done." }]),
        user(3000, "thanks, now the docs"),
        assistant(3010, "m3", [{ type: "text", text: "On it." }]),
      ]),
    );
    const by = owners(spans);
    // 0 → 600 s (before typing), 620 → 3000 s (before the next message); the skill body is Claude Code's, not the person's.
    assert.equal(by.idle, 600_000 + 2_380_000);
    const m2 = spans.find((s) => s.attributes["gen_ai.response.id"] === "m2")!;
    assert.equal(m2.attributes["hotpath.user_prompt"], undefined);
  });

  it("calls of one response start when it finished streaming: read-only ones together, a writer after them", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "look around"),
        assistant(2, "m1", [toolUse("g1", "Grep", { pattern: "TODO", path: "/repo/src" })]),
        assistant(4, "m1", [toolUse("g2", "Read", { file_path: "/repo/README.md" })]),
        assistant(6, "m1", [toolUse("e1", "Edit", { file_path: "/repo/NOTES.md", old_string: "a", new_string: "b" })]),
        result(6.2, "g1", "src/a.ts:1: TODO"),
        result(6.3, "g2", "# Readme"),
        result(7, "e1", "ok"),
        assistant(9, "m2", [{ type: "text", text: "done" }]),
      ]),
    );
    const at = (id: string) => spans.find((s) => s.attributes["gen_ai.tool.call.id"] === id)!;
    assert.equal(at("g1").startNs, (T0 + 6000) * 1e6, "not at its own record (2 s): the response was still streaming");
    assert.equal(at("g2").startNs, (T0 + 6000) * 1e6);
    assert.equal(at("e1").startNs, (T0 + 6300) * 1e6, "a writer runs after the read-only batch returned");
    // Issued together: nothing to group.
    assert.deepEqual(analyzeTrace(spans).parallelGroups, []);
  });

  // Claude Code writes no record when the person approves a permission prompt (anthropics/claude-code#43187,
  // #58198: only refusals and hook denials appear). What it records is how long calls ran: bash_progress records
  // (elapsedTimeSeconds, whole seconds) while a command runs, and toolUseResult.durationMs / totalDurationMs.
  const progress = (s: number, toolId: string, data: object) => ({
    ...base,
    type: "progress",
    uuid: `p${++uuid}`,
    timestamp: iso(s),
    toolUseID: toolId,
    parentToolUseID: toolId,
    data,
  });
  it("an approved permission prompt: the wait before the command ran (by its bash_progress) is the person's", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "run the migration"),
        assistant(2, "m1", [toolUse("b1", "Bash", { command: "npm run migrate" })]),
        // Approved at ~92 s; the command then ran ~30 s, reporting progress as it went.
        progress(95, "b1", { type: "bash_progress", output: "", fullOutput: "", elapsedTimeSeconds: 3, totalLines: 0 }),
        progress(110, "b1", {
          type: "bash_progress",
          output: "",
          fullOutput: "",
          elapsedTimeSeconds: 18,
          totalLines: 4,
        }),
        result(122, "b1", "migrated 12 tables", { toolUseResult: { stdout: "migrated 12 tables", stderr: "" } }),
        assistant(125, "m2", [{ type: "text", text: "Done." }]),
      ]),
    );
    const by = owners(spans);
    const wait = spans.find((s) => s.name === "permission Bash")!;
    assert.equal(wait.attributes["hotpath.time_owner"], "human");
    assert.equal(wait.attributes["gen_ai.tool.call.id"], "b1");
    // Running since at least 95 - (3 + 1) = 91 s: 89 s waited from when it could start (2 s), 31 s ran.
    assert.equal(by.human, 89_000);
    assert.equal(by.tool, 31_000);
    const tool = spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "b1" && s.kind === "tool")!;
    assert.equal(tool.startNs, wait.endNs);
    assert.equal(tool.attributes["hotpath.tool.permission_wait_ms"], 89_000);
    const a = analyzeTrace(spans);
    assert.equal(a.hotspots[0].kind, "human");
    assert.match(a.hotspots[0].why, /permission prompt: Bash/);
  });

  it("a recorded run time (durationMs) shorter than the call's interval leaves the rest to the person; hooks and short gaps do not", () => {
    const spans = imported(
      "s.jsonl",
      jsonl([
        user(0, "fetch the spec"),
        assistant(1, "m1", [toolUse("w1", "WebFetch", { url: "https://example.com/spec", prompt: "summarise" })]),
        result(41, "w1", "The spec says …", {
          toolUseResult: { code: 200, durationMs: 1500, url: "https://example.com/spec" },
        }),
        // Within 2 s of its recorded run time: bookkeeping, not a prompt.
        assistant(43, "m2", [toolUse("g1", "Glob", { pattern: "**/*.md" })]),
        result(45, "g1", "README.md", { toolUseResult: { filenames: ["README.md"], durationMs: 400, numFiles: 1 } }),
        // A hook ran for this call: its wait may be the hook's.
        assistant(46, "m3", [toolUse("w2", "WebFetch", { url: "https://example.com/b", prompt: "summarise" })]),
        progress(47, "w2", { type: "hook_progress", hookEvent: "PreToolUse", hookName: "PreToolUse:WebFetch" }),
        result(76, "w2", "B says …", { toolUseResult: { code: 200, durationMs: 1000, url: "https://example.com/b" } }),
        assistant(78, "m4", [{ type: "text", text: "Summary." }]),
      ]),
    );
    const waits = spans.filter((s) => s.name.startsWith("permission "));
    assert.deepEqual(
      waits.map((s) => [s.attributes["gen_ai.tool.call.id"], (s.endNs - s.startNs) / 1e6]),
      [["w1", 38_500]],
    );
    assert.equal(owners(spans).human, 38_500);
  });
});

// ── Codex: rollout lines {timestamp, type, payload} as ~/.codex/sessions/…/rollout-*.jsonl writes them ──
const line = (s: number, type: string, payload: object) => ({ timestamp: iso(s), type, payload });
const meta = line(0, "session_meta", {
  id: "019e0000-0000-7000-8000-000000000001",
  cwd: "/repo",
  originator: "codex_cli_rs",
});

describe("traces/time owners: Codex rollouts", () => {
  it("an escalated command's wait for approval is the person's; the command itself runs for its exec duration", () => {
    const spans = imported(
      "rollout.jsonl",
      jsonl([
        meta,
        line(0, "event_msg", { type: "task_started", turn_id: "t1" }),
        line(0, "event_msg", { type: "user_message", message: "install deps" }),
        line(4, "response_item", {
          type: "function_call",
          name: "exec_command",
          call_id: "call_1",
          arguments: JSON.stringify({
            cmd: "npm install",
            sandbox_permissions: "require_escalated",
            justification: "Allow network access for npm install?",
          }),
        }),
        line(304, "event_msg", {
          type: "exec_command_end",
          call_id: "call_1",
          exit_code: 0,
          duration: { secs: 20, nanos: 0 },
          aggregated_output: "added 10 packages",
        }),
        line(304, "response_item", { type: "function_call_output", call_id: "call_1", output: "added 10 packages" }),
        line(310, "response_item", {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Installed." }],
        }),
        line(310, "event_msg", { type: "task_complete", turn_id: "t1" }),
      ]),
    );
    const by = owners(spans);
    assert.equal(by.human, 280_000);
    assert.equal(by.tool, 20_000);
    const approval = spans.find((s) => s.name === "approval exec_command")!;
    assert.match(String(approval.attributes["hotpath.time_owner.why"]), /Allow network access/);
  });

  it("a declined command is the person's time and a denial", () => {
    const spans = imported(
      "rollout.jsonl",
      jsonl([
        meta,
        line(0, "event_msg", { type: "user_message", message: "clean up" }),
        line(3, "response_item", {
          type: "function_call",
          name: "exec_command",
          call_id: "c2",
          arguments: JSON.stringify({ cmd: "git reset --hard", sandbox_permissions: "require_escalated" }),
        }),
        line(93, "response_item", {
          type: "function_call_output",
          call_id: "c2",
          output: "exec command rejected by user",
        }),
        line(95, "response_item", {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Left it." }],
        }),
      ]),
    );
    const by = owners(spans);
    assert.equal(by.human, 90_000);
    assert.equal(
      spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "c2")!.attributes["hotpath.tool.denied"],
      true,
    );
  });

  it("a model span never runs across a user message; the wait for it is idle; compaction is its own time", () => {
    const spans = imported(
      "rollout.jsonl",
      jsonl([
        meta,
        line(0, "event_msg", { type: "user_message", message: "summarise the repo" }),
        line(0, "response_item", {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "summarise the repo" }],
        }),
        line(10, "response_item", {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "It is a CLI." }],
        }),
        // 58 minutes later the person writes again; the answer after it is a new model call.
        line(10 + 58 * 60, "event_msg", { type: "user_message", message: "and the tests?" }),
        line(10 + 58 * 60, "response_item", {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "and the tests?" }],
        }),
        line(10 + 58 * 60 + 30, "compacted", { message: "summary of the conversation", replacement_history: [] }),
        line(10 + 58 * 60 + 30, "event_msg", { type: "context_compacted" }),
        line(10 + 58 * 60 + 40, "response_item", {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Mocha." }],
        }),
      ]),
    );
    const llm = spans.filter((s) => s.kind === "llm" && s.attributes["hotpath.time_owner"] === undefined);
    assert.equal(llm.length, 2);
    for (const s of llm) assert.ok((s.endNs - s.startNs) / 1e9 <= 10, "no model span covers the idle hour");
    const by = owners(spans);
    assert.equal(by.idle, 58 * 60 * 1000);
    assert.equal(by.compaction, 30_000);
    assert.equal(by.llm, 20_000);
  });
});

describe("traces/time owners: other formats", () => {
  it("kv-cache replay: think time before a request carrying only the person's text is idle", () => {
    const conv = {
      id: "conv-1",
      block_size: 64,
      requests: [
        { t: 0, type: "s", model: "m", in: 100, out: 10, hash_ids: [1, 2], input_types: ["text"], api_time: 5 },
        {
          t: 8,
          type: "s",
          model: "m",
          in: 120,
          out: 10,
          hash_ids: [1, 2, 3],
          input_types: ["tool_result"],
          think_time: 3,
          api_time: 4,
        },
        {
          t: 612,
          type: "s",
          model: "m",
          in: 140,
          out: 10,
          hash_ids: [1, 2, 3, 4],
          input_types: ["text"],
          think_time: 600,
          api_time: 6,
        },
      ],
    };
    const by = owners(imported("trace.json", JSON.stringify(conv)));
    assert.equal(by.idle, 600_000);
    assert.equal(by.tool, 3000);
  });

  it("OTLP/OpenInference: a tool that asks a person (LangChain's `human`) is the person's time", () => {
    const otlp = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "b7ad6b7169203331",
                  name: "agent",
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000100000000000",
                  attributes: [{ key: "openinference.span.kind", value: { stringValue: "AGENT" } }],
                },
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "c7ad6b7169203331",
                  parentSpanId: "b7ad6b7169203331",
                  name: "human",
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000090000000000",
                  attributes: [
                    { key: "openinference.span.kind", value: { stringValue: "TOOL" } },
                    { key: "tool.name", value: { stringValue: "human" } },
                    { key: "input.value", value: { stringValue: "Which region?" } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const by = owners(imported("t.json", JSON.stringify(otlp)));
    assert.equal(by.human, 90_000);
  });
});
