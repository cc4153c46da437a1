// The trace panel reads a trace's summary (its name, for the panel's title) from the head of the detail's JSON, which
// goes on to the webview unparsed (extension/panels/detail-summary.ts).
import assert from "node:assert/strict";
import type { SpanDto, TraceSummaryDto } from "../../../daemon/api.js";
import { prng } from "../../../daemon/audit/stats.js";
import { detailBody, detailJsonHead, detailOf, VIEW_ATTRIBUTE_CAPS } from "../../../daemon/traces/view-caps.js";
import { detailSummary } from "../../../extension/panels/detail-summary.js";

const bytes = (text: string) => new TextEncoder().encode(text);

function summary(name: string | undefined, extra: Partial<TraceSummaryDto> = {}): TraceSummaryDto {
  return { traceId: "7a".repeat(16), name, source: "claude-code", startNs: 1, endNs: 2e18, spanCount: 3, ...extra };
}

const span = (name: string): SpanDto => ({
  traceId: "7a".repeat(16),
  spanId: "01",
  name,
  kind: "tool",
  startNs: 0,
  endNs: 1,
  status: "ok",
  attributes: { "gen_ai.tool.call.result": `{"trace":{"name":"not this"}} ${"x".repeat(5000)}` },
});

/** The detail as the daemon sends it: its summary in front of a body (view-caps.ts, routes/traces.ts). */
function daemonDetail(s: TraceSummaryDto, spans: SpanDto[] = [span("Read")]): Uint8Array {
  return bytes(detailJsonHead(s) + JSON.stringify(detailBody(spans, VIEW_ATTRIBUTE_CAPS)).slice(1));
}

describe("extension: a trace's summary from its detail's head", () => {
  it("reads the summary the daemon put in front, whatever its name holds", () => {
    for (const name of [
      "session 3fe1b6bc",
      'quotes " and \\ backslashes \\" and an escaped quote',
      "braces } { ] [ inside the name }}}",
      "ünïcödé, CJK 会话, emoji 🧪 and a lone surrogate \ud800 escaped by JSON",
      "control \u0000 \u001f characters and </script>",
      "",
      undefined,
    ]) {
      const s = summary(name, { origin: "file:/work/a \\ b.jsonl" });
      assert.deepEqual(detailSummary(daemonDetail(s)), JSON.parse(JSON.stringify(s)), JSON.stringify(name));
      // detailOf's JSON, which the daemon's thread writes for a small trace, is the same text.
      assert.deepEqual(
        detailSummary(bytes(JSON.stringify(detailOf(s, [span("x")], undefined)))),
        JSON.parse(JSON.stringify(s)),
      );
    }
  });

  it("reads generated names: random code points, JSON's escapes, brackets and quotes, any length", () => {
    const random = prng(17);
    const pool = ['"', "\\", "{", "}", "[", "]", ":", ",", "a", "é", "€", "𝄞", "\n", "\u2028", "\ud83d", "\udc00", " "];
    for (let n = 0; n < 500; n++) {
      const length = Math.floor(random() ** 2 * 3000);
      let name = "";
      for (let i = 0; i < length; i++)
        name +=
          random() < 0.6
            ? pool[Math.floor(random() * pool.length)]
            : String.fromCodePoint(Math.floor(random() * 0x2ffff));
      const s = summary(name);
      assert.deepEqual(detailSummary(daemonDetail(s)), JSON.parse(JSON.stringify(s)), `case ${n}`);
    }
  });

  it("says nothing of a detail that does not start with its summary, or is cut, or is not JSON", () => {
    const s = summary("a name");
    const whole = JSON.stringify(detailOf(s, [span("x")], undefined));
    const spansFirst = JSON.stringify({ spans: [span("x")], trace: s });
    for (const [what, text] of [
      ["spans first", spansFirst],
      ["spaced JSON", JSON.stringify(detailOf(s, [], undefined), null, 2)],
      ["cut inside the summary", whole.slice(0, whole.indexOf("a name") + 3)],
      ["empty", ""],
      ["the head alone", '{"trace":{'],
      ["not JSON inside", '{"trace":{"name": nope},"spans":[]}'],
      ["an error body", '{"error":{"message":"no trace"}}'],
      ["an unclosed string", '{"trace":{"name":"no end'],
    ] as const)
      assert.equal(detailSummary(bytes(text)), undefined, what);
    // A summary past the limit (not one the daemon writes) is not read.
    assert.equal(detailSummary(daemonDetail(summary("n".repeat(300_000)))), undefined, "too long");
  });
});
