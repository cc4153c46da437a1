// Generated agent traces for the traces benchmarks and tests: a long Claude Code session (JSONL) and OTLP/JSON export
// requests, any size, deterministic. Kept apart from the benchmark so another checkout's code can be timed on the
// same bytes (`_traces-child.ts`) without loading this checkout's daemon.

/** A long Claude Code session: each model response issues 1–3 tool calls (reads, greps, edits, shell), ~1/3 of calls
 * use a file named in an earlier result. Spans = 1 agent + responses + tool calls. */
export function generateClaudeSession(targetSpans: number): string {
  const lines: string[] = [];
  let t = Date.parse("2026-03-01T10:00:00Z");
  let uuid = 0;
  let parent: string | null = null;
  let spans = 1;
  let r = 0;
  const ts = () => new Date((t += 50 + ((r * 7919) % 900))).toISOString();
  const push = (o: object) => lines.push(JSON.stringify(o));
  push({
    type: "user",
    uuid: `u${uuid}`,
    parentUuid: null,
    sessionId: "bench-session",
    timestamp: ts(),
    message: { role: "user", content: "refactor the module" },
  });
  parent = `u${uuid++}`;
  while (spans < targetSpans) {
    r++;
    const calls = Math.min(1 + (r % 3), targetSpans - spans - 1);
    if (calls <= 0) break;
    const msgId = `msg_${r}`;
    for (let c = 0; c < calls; c++) {
      const kind = (r + c) % 6;
      const file = `src/module${(r * 3 + c) % 500}/file${r % 97}.ts`;
      const input =
        kind === 0
          ? { file_path: `/repo/${file}` }
          : kind === 1
            ? { pattern: `handler${r % 50}`, path: "src" }
            : kind === 2
              ? { command: `ls src/module${r % 500}` }
              : kind === 3
                ? { command: `rg -n "fn${r}" src` }
                : kind === 4
                  ? {
                      file_path: `/repo/src/module${((r - 1) * 3) % 500}/file${(r - 1) % 97}.ts`,
                      old_string: "a",
                      new_string: "b",
                    }
                  : { command: "npm test" };
      const name = ["Read", "Grep", "Bash", "Bash", "Edit", "Bash"][kind];
      push({
        type: "assistant",
        uuid: `u${uuid}`,
        parentUuid: parent,
        sessionId: "bench-session",
        timestamp: ts(),
        message: {
          id: msgId,
          model: "claude-sonnet-4-5",
          role: "assistant",
          content: [{ type: "tool_use", id: `toolu_${r}_${c}`, name, input }],
          usage: {
            input_tokens: 10,
            cache_read_input_tokens: 20_000 + r * 10,
            cache_creation_input_tokens: 200,
            output_tokens: 120,
          },
        },
      });
      parent = `u${uuid++}`;
    }
    for (let c = 0; c < calls; c++) {
      const result =
        `src/module${(r * 3 + c + 1) % 500}/file${(r + 1) % 97}.ts:12: export function handler${r}() {}\n`.repeat(3) +
        "x".repeat(120);
      push({
        type: "user",
        uuid: `u${uuid}`,
        parentUuid: parent,
        sessionId: "bench-session",
        timestamp: ts(),
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${r}_${c}`, content: result }] },
      });
      parent = `u${uuid++}`;
    }
    spans += 1 + calls;
  }
  // One join: a file read from disk is one flat string, where `${joined}\n` would be a rope the parser flattens first.
  lines.push("");
  return lines.join("\n");
}

/**
 * A long Claude Code session made of a real one's records: `source` (a session's JSONL as Claude Code wrote it) `copies`
 * times over, each copy's ids (uuids, message, tool call and request ids) suffixed with the copy's number and its times
 * moved past the copy before, under session id `<its id>-<run>` (a trace of its own per run). Real records carry what
 * generateClaudeSession leaves out (tool results echoed in toolUseResult, thinking, cwd/version/gitBranch on every
 * record): ~10 KB per span against ~0.6 KB.
 */
export function repeatedClaudeSession(source: string, copies: number, run: number): string {
  const lines = source.split("\n").filter((l) => l.trim());
  const stamps = lines.flatMap((l) => [...l.matchAll(TIMESTAMP)].map((m) => Date.parse(m[1])));
  const period = Math.max(...stamps) - Math.min(...stamps) + 60_000;
  const out: string[] = [];
  for (let c = 0; c < copies; c++)
    for (const l of lines)
      out.push(
        l
          .replace(ID, (_m, key: string, id: string) => `"${key}":"${id}-c${c}"`)
          .replace(SESSION_ID, (_m, id: string) => `"sessionId":"${id}-${run}"`)
          .replace(
            TIMESTAMP,
            (_m, at: string) => `"timestamp":"${new Date(Date.parse(at) + c * period).toISOString()}"`,
          ),
      );
  out.push("");
  return out.join("\n");
}
// Keys as JSON.stringify writes them (no spaces): inside a string value a quote is escaped, so these match keys only.
const ID =
  /"(uuid|parentUuid|leafUuid|messageId|id|tool_use_id|toolUseID|parentToolUseID|requestId|sourceToolAssistantUUID)":"([^"\\]+)"/g;
const SESSION_ID = /"sessionId":"([^"\\]+)"/g;
const TIMESTAMP = /"timestamp":"([^"\\]+)"/g;

/** The same shape as OTLP/JSON export requests of 512 spans each (what a BatchSpanProcessor sends). */
export function generateOtlpRequests(totalSpans: number, perRequest = 512, traceId = "7a".repeat(16)): object[] {
  const out: object[] = [];
  const t0 = 1.77e18;
  for (let i = 0; i < totalSpans; i += perRequest) {
    const spans = [];
    for (let j = i; j < Math.min(totalSpans, i + perRequest); j++) {
      const tool = j % 3 !== 0;
      const attrs = tool
        ? [
            { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
            { key: "gen_ai.tool.name", value: { stringValue: j % 2 ? "read_file" : "search" } },
            { key: "gen_ai.tool.call.arguments", value: { stringValue: `{"path":"src/f${j % 1000}.ts"}` } },
            { key: "gen_ai.tool.call.result", value: { stringValue: `line ${j}: ${"y".repeat(100)}` } },
          ]
        : [
            { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
            { key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } },
            { key: "gen_ai.usage.input_tokens", value: { intValue: String(1000 + j) } },
          ];
      spans.push({
        traceId,
        spanId: (j + 1).toString(16).padStart(16, "0"),
        parentSpanId: j === 0 ? undefined : "0000000000000001",
        name: tool ? "execute_tool" : "chat gpt-4o",
        kind: 1,
        startTimeUnixNano: String(t0 + j * 1e9),
        endTimeUnixNano: String(t0 + j * 1e9 + 8e8),
        attributes: attrs,
        status: { code: 1 },
      });
    }
    out.push({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "bench" } }] },
          scopeSpans: [{ scope: { name: "bench" }, spans }],
        },
      ],
    });
  }
  return out;
}
