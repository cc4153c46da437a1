// A Claude Code upload parsed as its blocks arrive gives what parseTraceFile gives the whole text, or nothing (then
// the whole text is parsed as before): never a different result.
import assert from "node:assert/strict";
import { streamedParse } from "../../../daemon/traces/import/stream.js";
import { parseTraceFile } from "../../../daemon/traces/importers/index.js";
import { readFileSync } from "node:fs";
import { generateClaudeSession, generateOtlpRequests, repeatedClaudeSession } from "../../bench/_trace-generators.js";
import { skipWithoutFixture, traceFixture } from "../../support/trace-fixtures.js";

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

  it("a session of real records (tool output not ASCII throughout): the same traces, whatever the block size", function () {
    // Claude Code's Read output numbers lines with "→" (3 bytes): blocks and the parse's 32 KB pieces cut such
    // characters all through the file, where the generated session has one non-ASCII prompt.
    const file = traceFixture("claude-code", "session-3fe1b6bc.jsonl");
    skipWithoutFixture(this, file, "claude-code/session-3fe1b6bc.jsonl");
    const real = repeatedClaudeSession(readFileSync(file, "utf8"), 3, 0);
    const whole = JSON.stringify(parseTraceFile("s.jsonl", real));
    for (const size of [4095, 65_537, 1 << 20])
      assert.equal(JSON.stringify(streamed("s.jsonl", real, size)), whole, `blocks of ${size}`);
  });

  it("a file that fails once streaming fails as the whole text's parse fails, without the file's bytes kept", () => {
    /** What the whole text's parse throws: its message, or "not UTF-8" (the worker decodes the whole text first). */
    const wholeError = (bytes: Buffer) => {
      try {
        parseTraceFile("s.jsonl", new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      } catch (e) {
        return e instanceof TypeError ? "not UTF-8" : (e as Error).message;
      }
      return "no error";
    };
    const streamedError = (bytes: Buffer, size: number) => {
      const s = streamedParse("s.jsonl");
      let kept = true;
      for (let i = 0; i < bytes.length; i += size) {
        s.push(bytes.subarray(i, i + size));
        if (i > 200_000) kept &&= s.needsWholeFile;
      }
      assert.equal(kept, false, "the bytes are not needed once it streams");
      try {
        s.end();
      } catch (e) {
        return e instanceof TypeError ? "not UTF-8" : (e as Error).message;
      }
      return "no error";
    };
    const lines = session.split("\n");
    const at = (n: number, text: string) => [...lines.slice(0, n), text, ...lines.slice(n)].join("\n");
    const notUtf8 = (text: string, n: number) => {
      const b = Buffer.from(text);
      const cut = b.indexOf("\n", Math.floor((b.length * n) / 10));
      return Buffer.concat([b.subarray(0, cut), Buffer.from([0xc3, 0x28]), b.subarray(cut)]);
    };
    // A tool result nested past JSON.stringify's stack (JSON.parse reads it): a refusal naming the line either way.
    const resultAt = lines.findIndex((l, i) => i > 1000 && l.includes('"tool_result"'));
    const record = JSON.parse(lines[resultAt]);
    record.message.content.find((b: { type: string }) => b.type === "tool_result").content = "\u0000deep";
    const deep = JSON.stringify(record).replace('"\\u0000deep"', `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`);
    const cases: [string, Buffer][] = [
      ["a tool result nested past the stack", Buffer.from(lines.map((l, i) => (i === resultAt ? deep : l)).join("\n"))],
      ["a line that is not JSON", Buffer.from(at(900, `{"type": "user", oops`))],
      ["a record that is not an object", Buffer.from(at(1200, `[1, 2]`))],
      ["a user record without a uuid", Buffer.from(at(1500, lines[1].replace(/"uuid":"[^"]*",/, "")))],
      ["bytes that are not UTF-8, late", notUtf8(session, 8)],
      ["a bad line, then bytes that are not UTF-8", notUtf8(at(900, "{oops"), 9)],
      ["a last character cut short", Buffer.concat([Buffer.from(session), Buffer.from([0xe2, 0x9c])])],
    ];
    for (const [what, bytes] of cases) {
      const expected = wholeError(bytes);
      assert.notEqual(expected, "no error", what);
      for (const size of [4096, 65_537, 1 << 20])
        assert.equal(streamedError(bytes, size), expected, `${what}, ${size}`);
    }
  });

  it("spans handed out while they are built are the trace's, never changed after; a failure after them is the file's", () => {
    const push = (s: ReturnType<typeof streamedParse>, text: string) => {
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += 65_536) s.push(bytes.subarray(i, i + 65_536));
    };
    const s = streamedParse("s.jsonl");
    push(s, session);
    const seen: string[] = []; // each span as it was when first handed out
    let atLeast = -1;
    const parsed = s.end((spans, expected) => {
      atLeast = expected;
      for (let i = seen.length; i < spans.length; i++) seen.push(JSON.stringify(spans[i]));
    })!;
    assert.equal(JSON.stringify(parsed), JSON.stringify(parseTraceFile("s.jsonl", session)));
    const spans = parsed.traces[0].spans;
    assert.deepEqual(
      seen,
      spans.map((x) => JSON.stringify(x)),
    );
    assert.ok(atLeast > spans.length / 2 && atLeast <= spans.length, `${atLeast} of ${spans.length}`);

    // The session's last call has an input nested deeper than JSON.stringify goes: found while its span is built,
    // after the other spans were handed out — the whole text's parse fails the same way.
    const depth = 200_000;
    const record = {
      type: "assistant",
      uuid: "deep",
      parentUuid: null,
      timestamp: "2026-03-09T10:00:00.000Z",
      message: {
        id: "msg_deep",
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_deep", name: "Bash", input: 0 }],
      },
    };
    const deep = JSON.stringify(record).replace('"input":0', `"input":${"[".repeat(depth)}${"]".repeat(depth)}`);
    const bad = `${session}\n${deep}\n`;
    const message = new RegExp(
      `s\\.jsonl:${bad.split("\n").indexOf(deep) + 1}: tool_use toolu_deep: input: nested too deeply`,
    );
    const t = streamedParse("s.jsonl");
    push(t, bad);
    let handed = 0;
    assert.throws(() => t.end((built) => (handed = built.length)), message);
    assert.ok(handed > spans.length / 2, `${handed} spans handed out before the failure`);
    assert.throws(() => parseTraceFile("s.jsonl", bad), message);
  });

  it("a byte order mark only at the file's start is dropped, as decoding the whole text drops it", () => {
    const bom = "\ufeff";
    const lines = session.split("\n");
    // U+FEFF inside a value, where a block or a decoded piece starts.
    const inside = lines.map((l, i) => (i === 700 ? l.replace('"timestamp"', `"note":"${bom}x","timestamp"`) : l));
    const text = bom + inside.join("\n");
    const whole = JSON.stringify(parseTraceFile("s.jsonl", new TextDecoder().decode(Buffer.from(text))));
    const start = Buffer.from(text).indexOf(Buffer.from(bom), 3);
    for (const size of [start, 32 * 1024, 4096, 1 << 20])
      assert.equal(JSON.stringify(streamed("s.jsonl", text, size)), whole, `blocks of ${size}`);
  });

  it("leaves to the whole-text parse what it cannot tell the same way: other formats, names, long first lines", () => {
    const record = `${session.split("\n")[1].replace(/}$/, "")}, "note": ${JSON.stringify("x".repeat(70_000))}}`;
    assert.equal(streamed("s.jsonl", `${record}\n${session}`, 65_536), undefined, "a first line longer than the head");
    assert.equal(streamed("upload", session, 65_536), undefined, "not named .jsonl");
    const otlp = generateOtlpRequests(600, 100, "3a".repeat(16))
      .map((r) => JSON.stringify(r))
      .join("\n");
    assert.equal(streamed("o.jsonl", otlp, 65_536), undefined, "OTLP JSON Lines");
    // A first line that is not JSON, in a file detection still gives to Claude Code: the whole text's error.
    const garbled = Buffer.from([0xff, 0xfe]).toString("latin1") + session;
    assert.throws(() => parseTraceFile("s.jsonl", garbled), /s\.jsonl:1: not valid JSON/);
    assert.throws(
      () => streamed("s.jsonl", garbled, 65_536),
      (e: Error) => {
        assert.throws(() => parseTraceFile("s.jsonl", garbled), { message: e.message });
        return true;
      },
    );
  });

  it("an OTLP/JSON array (any other name) as it arrives: parseTraceFile's traces, or left to it", () => {
    const text = JSON.stringify(generateOtlpRequests(3000, 512, "4b".repeat(16))).replace(/line 1/g, "línea ✓ 😀 1");
    const whole = JSON.stringify(parseTraceFile("export.json", text));
    for (const size of [7, 65_537, 1 << 20]) {
      const s = streamedParse("export.json");
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
      assert.ok(s.needsWholeFile, "the blocks are kept (a file it gives up on is read whole)");
      assert.equal(JSON.stringify(s.end()), whole, `blocks of ${size}`);
    }
    // One request (not an array), bytes that are not UTF-8, a refused span: left to the whole text's parse.
    assert.equal(streamed("export.json", JSON.stringify(generateOtlpRequests(50, 50)[0]), 4096), undefined);
    const notUtf8 = Buffer.concat([
      Buffer.from(text.slice(0, 5000)),
      Buffer.from([0xff]),
      Buffer.from(text.slice(5000)),
    ]);
    const s = streamedParse("export.json");
    s.push(notUtf8);
    assert.equal(s.end(), undefined);
    assert.equal(streamed("export.json", text.replace('"spanId":"', '"spanId":"zz'), 65_536), undefined);
  });
});
