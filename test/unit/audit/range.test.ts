// Section ranges (line/character) from a line index built once per source: the same positions the scan from the top
// gave, and linear in the size of the prompt (the scan per offset was quadratic: ~0.4 s per MB of prompt, issue #15).
import assert from "node:assert/strict";
import { parsePrompt } from "../../../daemon/audit/sections/index.js";
import { positionOf, rangeOf } from "../../../daemon/audit/sections/range.js";

/** The position as the scan from the top computed it. */
function scanned(source: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

describe("audit section ranges", () => {
  it("give the positions the scan from the top gave, at every offset of several sources", () => {
    const sources = ["", "a", "\n", "\n\n", "ab\ncd\n", "x\r\ny\n\nz", "# h\n\npara\n" + "line\n".repeat(50) + "end"];
    for (const source of sources)
      for (let offset = 0; offset <= source.length; offset++)
        assert.deepEqual(positionOf(source, offset), scanned(source, offset), `${JSON.stringify(source)} @ ${offset}`);
    // Alternating sources (the index is rebuilt for each).
    assert.deepEqual(rangeOf("a\nb", 0, 3), {
      start: 0,
      end: 3,
      startLine: 0,
      startCharacter: 0,
      endLine: 1,
      endCharacter: 1,
    });
    assert.deepEqual(rangeOf("\n\nc", 2, 3), {
      start: 2,
      end: 3,
      startLine: 2,
      startCharacter: 0,
      endLine: 2,
      endCharacter: 1,
    });
  });

  it("a 1 MB prompt of 3,800 paragraphs is split without scanning the text per section", () => {
    const source = ("para ".repeat(50) + "\n\n").repeat(3800);
    const started = process.cpuUsage();
    const doc = parsePrompt(source, { fileName: "p.txt" });
    const used = process.cpuUsage(started);
    assert.ok(doc.sections.length > 1000, `${doc.sections.length} sections`);
    for (const s of doc.sections.filter((_, i) => i % 97 === 0)) {
      const a = scanned(source, s.range.start);
      assert.deepEqual([s.range.startLine, s.range.startCharacter], [a.line, a.character]);
    }
    console.log(`      ${doc.sections.length} sections in ${((used.user + used.system) / 1000).toFixed(0)} ms CPU`);
  });
});
