// A waiting import worker's warm-up (workers.ts): a new thread's first import runs on code V8 has not compiled yet
// (0.2–0.5 s of a 100k-span Claude Code import's wall against later ones on reused workers). A spare that waits runs
// the import's code once on a small generated trace while the daemon is idle: a Claude Code session (JSONL, parsed as
// its blocks arrive) and OTLP/JSON requests, each parsed, packed into rows, written and read back from a database in
// this thread's memory (never the user's file), and the parsed spans analysed.
import { openDb } from "../../db.js";
import { parseTraceFile } from "../importers/index.js";
import type { ParsedTrace } from "../importers/format.js";
import { TraceStore } from "../store.js";
import { analyzeParsed } from "./analyzed.js";
import { forEachPackedRow, packSpans } from "./rows.js";
import { streamedParse } from "./stream.js";

/**
 * Spans of the warm-up's Claude Code session and OTLP requests: enough for V8 to optimise the per-span loops; the
 * analysis is most of the warm-up's CPU (it grows faster than the spans).
 */
export const WARM_UP_SPANS = { claudeCode: 2000, otlp: 1000 };

/** Runs the warm-up (synchronously, on this thread); throws what the import code throws (it should not). */
export function warmUpImport(maxAttributeChars: number): void {
  const db = openDb(":memory:");
  try {
    const store = new TraceStore(db, { maxAttributeChars });
    for (const [name, text] of [
      ["warm-up.jsonl", claudeSession(WARM_UP_SPANS.claudeCode)],
      ["warm-up.json", otlpRequests(WARM_UP_SPANS.otlp)],
    ]) {
      // As the parse role does: streamed in blocks (the Claude Code session), else the whole text.
      const bytes = Buffer.from(text);
      const streamed = streamedParse(name);
      for (let i = 0; i < bytes.length; i += 1 << 16) streamed.push(bytes.subarray(i, i + (1 << 16)));
      const parsed = streamed.end() ?? parseTraceFile(name, text);
      write(store, db, parsed.traces, maxAttributeChars);
      // The parse thread's analysis; the stored spans are read back (the store thread does that for a trace it had).
      analyzeParsed(parsed.traces, maxAttributeChars);
      for (const t of parsed.traces) store.getSpans(t.spans[0].traceId);
    }
  } finally {
    db.close();
  }
}

/** As the store role writes: packed rows, one transaction. */
function write(store: TraceStore, db: ReturnType<typeof openDb>, traces: ParsedTrace[], maxChars: number): void {
  db.exec("BEGIN IMMEDIATE");
  const writer = store.importWriter(traces.reduce((n, t) => n + t.spans.length, 0));
  for (const t of traces) {
    for (let i = 0; i < t.spans.length; i += 1024)
      forEachPackedRow(packSpans(t.spans, i, Math.min(t.spans.length, i + 1024), maxChars), writer.packedRow);
    writer.endTrace({ source: t.source, origin: t.origin, name: t.name });
  }
  db.exec("COMMIT");
  writer.close();
}

/** A Claude Code session: model responses with 1–3 tool calls each (reads, greps, shell, edits) and their results. */
function claudeSession(targetSpans: number): string {
  const lines: string[] = [];
  let t = Date.parse("2026-01-01T00:00:00Z");
  let uuid = 0;
  let parent: string | null = null;
  const ts = () => new Date((t += 100 + ((uuid * 7919) % 900))).toISOString();
  const push = (o: object) => {
    lines.push(JSON.stringify({ uuid: `u${uuid}`, parentUuid: parent, sessionId: "warm-up", timestamp: ts(), ...o }));
    parent = `u${uuid++}`;
  };
  push({ type: "user", message: { role: "user", content: "warm up" } });
  for (let r = 1, spans = 1; spans + 2 <= targetSpans; r++) {
    const calls = Math.min(1 + (r % 3), targetSpans - spans - 1);
    for (let c = 0; c < calls; c++) {
      const kind = (r + c) % 4;
      const name = ["Read", "Grep", "Bash", "Edit"][kind];
      const input =
        kind === 0 || kind === 3
          ? {
              file_path: `/repo/src/m${(r * 3 + c) % 50}.ts`,
              ...(kind === 3 ? { old_string: "a", new_string: "b" } : {}),
            }
          : kind === 1
            ? { pattern: `handler${r % 20}`, path: "src" }
            : { command: `ls src/m${r % 50}` };
      push({
        type: "assistant",
        message: {
          id: `msg_${r}`,
          model: "warm-up-model",
          role: "assistant",
          content: [{ type: "tool_use", id: `toolu_${r}_${c}`, name, input }],
          usage: {
            input_tokens: 10,
            cache_read_input_tokens: 1000 + r,
            cache_creation_input_tokens: 20,
            output_tokens: 50,
          },
        },
      });
    }
    for (let c = 0; c < calls; c++) {
      const content = `src/m${(r + c) % 50}.ts:1: handler${r}\n`.repeat(2);
      push({
        type: "user",
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${r}_${c}`, content }] },
      });
    }
    spans += 1 + calls;
  }
  lines.push("");
  return lines.join("\n");
}

/** OTLP/JSON export requests (an array, as a file of them): chat and tool spans under one root. */
function otlpRequests(totalSpans: number): string {
  const requests: object[] = [];
  const t0 = 1.77e18;
  for (let i = 0; i < totalSpans; i += 500) {
    const spans: object[] = [];
    for (let j = i; j < Math.min(totalSpans, i + 500); j++) {
      const tool = j % 3 !== 0;
      const attributes = tool
        ? [
            { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
            { key: "gen_ai.tool.name", value: { stringValue: j % 2 ? "read_file" : "search" } },
            { key: "gen_ai.tool.call.arguments", value: { stringValue: `{"path":"src/f${j % 100}.ts"}` } },
          ]
        : [
            { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
            { key: "gen_ai.request.model", value: { stringValue: "warm-up-model" } },
            { key: "gen_ai.usage.input_tokens", value: { intValue: String(100 + j) } },
          ];
      spans.push({
        traceId: "0a".repeat(16),
        spanId: (j + 1).toString(16).padStart(16, "0"),
        parentSpanId: j === 0 ? undefined : "0000000000000001",
        name: tool ? "execute_tool" : "chat warm-up-model",
        kind: 1,
        startTimeUnixNano: String(t0 + j * 1e9),
        endTimeUnixNano: String(t0 + j * 1e9 + 8e8),
        attributes,
        status: { code: 1 },
      });
    }
    requests.push({
      resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "warm-up" }, spans }] }],
    });
  }
  return JSON.stringify(requests);
}
