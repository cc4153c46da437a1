// Token counts made in the worker thread (large texts) are the counts the event loop would have made: same BPE, same
// long-run slicing, for both encodings, on prose, code, JSON, emoji and pathological runs; the audit's sections and
// findings come out the same from pre-counted texts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePrompt } from "../../../daemon/audit/sections/index.js";
import { findings, sectionDtos, staticTexts } from "../../../daemon/audit/static.js";
import { countTexts, INLINE_COUNT_CHARS, withCounts } from "../../../daemon/audit/token-count.js";
import { estimateCounter, openaiCounter, type TokenCounter } from "../../../daemon/audit/tokens.js";

/** Varied text no one tuned for: this repository's own sources and docs, cut into pieces of many sizes. */
function corpus(): string[] {
  const files = ["daemon/audit/static.ts", "docs/security.md", "package.json", "README.md"];
  const all = files.map((f) => readFileSync(join(process.cwd(), f), "utf8")).join("\n");
  const out: string[] = ["", "x", "Be brief.", "日本語のテキストと絵文字 🎉🚀 mixed with English.".repeat(300)];
  for (let size = 7, at = 0; at < all.length; size = Math.min(size * 3, 40_000)) {
    out.push(all.slice(at, at + size));
    at += size;
  }
  out.push("a".repeat(83_000), "!?".repeat(5_000), " \n\t".repeat(3_000), "\u{1F600}".repeat(700) + "z".repeat(300));
  out.push(all); // one large text on its own
  return out;
}

describe("token counts off the event loop", function () {
  this.timeout(120_000);
  const texts = corpus();

  it("the texts are large enough to go to the worker", () => {
    assert.ok(texts.reduce((n, t) => n + t.length, 0) > 10 * INLINE_COUNT_CHARS);
  });

  for (const counter of [estimateCounter(), openaiCounter("gpt-4o"), openaiCounter("gpt-4")] as TokenCounter[]) {
    it(`${counter.tokenizer}: the worker's counts equal the inline counts, text by text`, async () => {
      const inWorker = await countTexts(counter, texts);
      assert.deepEqual(
        inWorker,
        texts.map((t) => counter.count(t)),
      );
    });
  }

  it("requests counted at once each get their own counts", async () => {
    const counter = estimateCounter();
    const batches = [texts.slice(0, 10), texts.slice(10), texts.slice(3, 20).reverse()];
    const counted = await Promise.all(batches.map((b) => countTexts(counter, b)));
    counted.forEach((c, i) =>
      assert.deepEqual(
        c,
        batches[i].map((t) => counter.count(t)),
      ),
    );
  });

  it("a prompt's sections and findings are the same from pre-counted texts", async () => {
    // Repeated sentences across sections so the duplicate-sentence finding (which counts a sentence) has work.
    const shared = "Always answer in the language the user wrote in, unless they ask for another one.";
    const body = texts.slice(4, 14).join("\n");
    const prompt = `# Role\n${shared}\n${body}\n\n# Rules\n${shared}\n- keep it short\n\n# Examples\n## One\n${body}\n## Two\nshort\n## Three\n${body.slice(0, 900)}\n`;
    const doc = parsePrompt(prompt, { fileName: "prompt.md" });
    for (const counter of [estimateCounter(), openaiCounter("gpt-4o")] as TokenCounter[]) {
      const pre = await withCounts(counter, staticTexts(doc));
      assert.deepEqual(sectionDtos(doc, pre), sectionDtos(doc, counter));
      const expected = findings(doc, counter);
      assert.ok(expected.some((f) => f.kind === "duplicate-sentence"));
      assert.deepEqual(findings(doc, pre), expected);
    }
  });
});
