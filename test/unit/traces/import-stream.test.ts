// A Claude Code upload parsed as its blocks arrive gives what parseTraceFile gives the whole text, or nothing (then
// the whole text is parsed as before): never a different result.
import assert from "node:assert/strict";
import { streamedParse } from "../../../daemon/traces/import/stream.js";
import { parseTraceFile } from "../../../daemon/traces/importers/index.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/_trace-generators.js";

/** The file's bytes in blocks of `size` (cutting lines and multi-byte characters). */
function streamed(name: string, text: string, size: number) {
  const bytes = Buffer.from(text);
  const s = streamedParse(name);
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  return s.end();
}

describe("traces/import/stream: parsing a Claude Code upload as it arrives", () => {
  const session = generateClaudeSession(2000).replace(/refactor the module/g, "refactor the módule ✓ 😀");

  it("the same traces as parsing the whole text, whatever the block size", () => {
    const whole = JSON.stringify(parseTraceFile("s.jsonl", session));
    for (const size of [7, 4096, 65_537, 1 << 20])
      assert.equal(JSON.stringify(streamed("s.jsonl", session, size)), whole, `blocks of ${size}`);
    // A file shorter than the head, byte by byte.
    const short = session.split("\n").slice(0, 40).join("\n");
    assert.equal(JSON.stringify(streamed("s.jsonl", short, 1)), JSON.stringify(parseTraceFile("s.jsonl", short)));
    // Blank lines, CRLF and leading whitespace count as the whole-text parse counts them.
    const odd = `\n  ${session.split("\n").join("\r\n\n")}`;
    assert.equal(JSON.stringify(streamed("s.jsonl", odd, 9999)), JSON.stringify(parseTraceFile("s.jsonl", odd)));
  });

  it("leaves to the whole-text parse what it cannot tell the same way: bad lines, other formats, names, long first lines", () => {
    const bad = `${session}{"type": "user", oops\n${session}`;
    assert.equal(streamed("s.jsonl", bad, 65_536), undefined);
    assert.throws(() => parseTraceFile("s.jsonl", bad), /s\.jsonl:\d+: not valid JSON/);
    const record = `${session.split("\n")[1].replace(/}$/, "")}, "note": ${JSON.stringify("x".repeat(70_000))}}`;
    assert.equal(streamed("s.jsonl", `${record}\n${session}`, 65_536), undefined, "a first line longer than the head");
    assert.equal(streamed("upload", session, 65_536), undefined, "not named .jsonl");
    const otlp = generateOtlpRequests(600, 100, "3a".repeat(16))
      .map((r) => JSON.stringify(r))
      .join("\n");
    assert.equal(streamed("o.jsonl", otlp, 65_536), undefined, "OTLP JSON Lines");
    assert.equal(
      streamed("s.jsonl", Buffer.from([0xff, 0xfe]).toString("latin1") + session, 65_536)?.format,
      undefined,
    );
  });
});
