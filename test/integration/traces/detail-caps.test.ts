// GET /hotpath/traces/:id?attributeChars=N&argumentChars=M: a trace's detail with long attributes cut where it is
// made (daemon/traces/view-caps.ts), on the daemon's thread (a small trace) and on an import worker (a large one):
// the same spans as the whole detail, each attribute as capAttribute cuts it, and bad caps refused.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AttributeCaps, TraceDetail } from "../../../daemon/api.js";
import { ANALYSIS_INLINE_SPANS } from "../../../daemon/server/routes/traces.js";
import { capSpanAttributes, VIEW_ATTRIBUTE_CAPS } from "../../../daemon/traces/view-caps.js";
import { DaemonClient } from "../../../extension/client.js";
import { generateClaudeSession } from "../../bench/_trace-generators.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

/** A Claude Code session with a tool result of `resultChars` and a Write whose content makes `argumentChars` of input. */
function sessionWithLongText(resultChars: number, argumentChars: number): string {
  const at = (s: number) => new Date(Date.parse("2026-03-01T10:00:00Z") + s * 1000).toISOString();
  const base = { sessionId: "caps-session", parentUuid: null };
  const records = [
    { ...base, type: "user", uuid: "u0", timestamp: at(0), message: { role: "user", content: "write the file" } },
    {
      ...base,
      type: "assistant",
      uuid: "u1",
      timestamp: at(1),
      message: {
        id: "msg_1",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [
          {
            type: "tool_use",
            id: "toolu_1",
            name: "Write",
            input: { file_path: "/a.ts", content: "w".repeat(argumentChars) },
          },
          { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "npm test" } },
        ],
      },
    },
    {
      ...base,
      type: "user",
      uuid: "u2",
      timestamp: at(3),
      message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
    },
    {
      ...base,
      type: "user",
      uuid: "u3",
      timestamp: at(9),
      message: {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_2",
            content: `${"line of test output\n".repeat(resultChars / 20)}`,
          },
        ],
      },
    },
  ];
  return `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
}

describe("traces: a detail with long attributes cut (?attributeChars)", function () {
  this.timeout(120_000);
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon?.dispose());

  async function imported(name: string, text: string): Promise<string> {
    const res = await daemon.fetch(`/hotpath/traces/import?name=${name}`, { method: "POST", body: text });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { traceIds: string[] }).traceIds[0];
  }
  async function detail(id: string, query = ""): Promise<TraceDetail> {
    const res = await daemon.fetch(`/hotpath/traces/${id}${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as TraceDetail;
  }
  /** The whole detail cut as the rule says, against the daemon's cut detail: the same spans, values and caps. */
  async function assertCut(id: string, caps: AttributeCaps, query: string): Promise<TraceDetail> {
    const whole = await detail(id);
    assert.equal(whole.attributeCaps, undefined);
    const cut = await detail(id, query);
    assert.deepEqual(cut.attributeCaps, caps);
    capSpanAttributes(whole.spans, caps);
    assert.deepEqual(cut, { ...whole, attributeCaps: caps });
    return cut;
  }

  it("a small trace (read on the daemon's thread): a long tool result and a long argument cut, the rest whole", async () => {
    const id = await imported("caps.jsonl", sessionWithLongText(10_000, 250_000));
    const cut = await assertCut(id, VIEW_ATTRIBUTE_CAPS, "?attributeChars=4000&argumentChars=200000");
    const tool = (name: string) => cut.spans.find((s) => s.name === `execute_tool ${name}`)!.attributes;
    const output = "line of test output\n".repeat(500);
    assert.equal(tool("Bash")["gen_ai.tool.call.result"], `${output.slice(0, 4000)}… (6000 more characters)`);
    assert.match(String(tool("Write")["gen_ai.tool.call.arguments"]), /… \(\d+ more characters\)$/);
    assert.equal(tool("Bash")["gen_ai.tool.call.arguments"], '{"command":"npm test"}');
    // argumentChars left out: arguments are cut to attributeChars too.
    await assertCut(id, { chars: 50, argumentChars: 50 }, "?attributeChars=50");
  });

  it("a large trace (read on an import worker): the same rule", async () => {
    const spans = 3 * ANALYSIS_INLINE_SPANS;
    const id = await imported("big.jsonl", generateClaudeSession(spans).replaceAll("bench-session", "caps-big"));
    const cut = await assertCut(id, { chars: 100, argumentChars: 30 }, "?attributeChars=100&argumentChars=30");
    assert.equal(cut.spans.length, spans);
  });

  it("a real Claude Code session (../shared, where present) cut by the daemon as the extension cut it", async function () {
    const file = join(import.meta.dirname, "../../../../shared/fixtures/traces/claude-code/session-3fe1b6bc.jsonl");
    if (!existsSync(file)) this.skip();
    const id = await imported("real.jsonl", readFileSync(file, "utf8"));
    const client = new DaemonClient(daemon.url, () => daemon.token);
    const cut = await client.trace(id, VIEW_ATTRIBUTE_CAPS);
    const whole = await client.trace(id);
    capSpanAttributes(whole.spans, VIEW_ATTRIBUTE_CAPS);
    assert.deepEqual(cut, { ...whole, attributeCaps: VIEW_ATTRIBUTE_CAPS });
    assert.ok(JSON.stringify(cut).length < JSON.stringify(await client.trace(id)).length, "something was cut");
  });

  it("refuses caps that are not whole numbers of 1 or more, an argument cap alone, a cap given twice", async () => {
    const id = await imported("caps2.jsonl", sessionWithLongText(100, 100).replaceAll("caps-session", "caps-bad"));
    for (const [query, says] of [
      ["?attributeChars=0", /attributeChars/],
      ["?attributeChars=-5", /attributeChars/],
      ["?attributeChars=abc", /attributeChars/],
      ["?attributeChars=1.5", /attributeChars/],
      ["?attributeChars=99999999999", /attributeChars/],
      ["?argumentChars=100", /give attributeChars too/],
      ["?attributeChars=10&attributeChars=20", /more than once/],
    ] as const) {
      const res = await daemon.fetch(`/hotpath/traces/${id}${query}`);
      assert.equal(res.status, 400, query);
      const body = (await res.json()) as { error: { message: string } };
      assert.match(body.error.message, says, query);
    }
  });
});
