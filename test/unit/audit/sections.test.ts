import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ablate } from "../../../daemon/audit/sections/ablate.js";
import { detectFormat, parsePrompt, PromptError } from "../../../daemon/audit/sections/index.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/audit/${name}`, import.meta.url), "utf8");

describe("audit sections", () => {
  it("splits Markdown by headings, with heading paths, and keeps a '#' inside a code fence in its section", () => {
    const text = [
      "Intro paragraph.",
      "",
      "# Role",
      "You help.",
      "",
      "## Limits",
      "```sh",
      "# not a heading",
      "```",
      "",
      "# Style",
      "Short.",
    ].join("\n");
    const doc = parsePrompt(text);
    assert.equal(doc.format, "markdown");
    assert.deepEqual(
      doc.sections.map((s) => [s.kind, s.title]),
      [
        ["paragraph", "Intro paragraph."],
        ["heading", "Role"],
        ["heading", "Role › Limits"],
        ["heading", "Style"],
      ],
    );
    assert.match(doc.sections[2].text, /# not a heading/);
    // Sections tile the text: concatenated, they are the whole prompt.
    assert.equal(doc.sections.map((s) => text.slice(s.range.start, s.range.end)).join(""), text);
  });

  it("splits two or more few-shot examples under a heading into their own sections", () => {
    const doc = parsePrompt(fixture("support.md"), { fileName: "support.md" });
    const titles = doc.sections.map((s) => `${s.kind}:${s.title}`);
    assert.deepEqual(titles, [
      "heading:Role",
      "heading:Opening hours",
      "heading:Tone",
      "heading:History",
      "heading:History › Examples",
      "example:History › Examples › Example 1: Q: When do you open? A: At 7 am.",
      "example:History › Examples › Example 2: Q: Are you open on Sunday? A: No, we are closed …",
    ]);
  });

  it("gives line/character ranges that address exactly the section in the file", () => {
    const text = fixture("support.md");
    const doc = parsePrompt(text, { fileName: "support.md" });
    const lines = text.split("\n");
    const tone = doc.sections.find((s) => s.title === "Tone")!;
    assert.equal(lines[tone.range.startLine], "# Tone");
    assert.equal(tone.range.startCharacter, 0);
    assert.equal(lines[tone.range.endLine], "# History"); // ends where the next section begins
  });

  it("splits XML-like tags (nested same-name tags stay inside their parent) and paragraphs between them", () => {
    const text = [
      "Preface line.",
      "",
      '<rules name="core">',
      "<rules>inner</rules>",
      "Do this.",
      "</rules>",
      "<examples>",
      "<example>a</example>",
      "</examples>",
      "Trailing paragraph.",
    ].join("\n");
    const doc = parsePrompt(text);
    assert.equal(doc.format, "xml");
    assert.deepEqual(
      doc.sections.map((s) => [s.kind, s.title]),
      [
        ["paragraph", "Preface line."],
        ["tag", "<rules> core"],
        ["example", "<examples>"],
        ["paragraph", "Trailing paragraph."],
      ],
    );
    assert.match(doc.sections[1].text, /<rules>inner<\/rules>\nDo this\.\n<\/rules>$/);
  });

  it("a self-closing tag at a line start opens no block", () => {
    // It used to open one that ran to the end of a later <x>…</x> pair, swallowing the text between.
    const doc = parsePrompt("<x />\n\nKeep this.\n\n<x>a</x>\n", { fileName: "p.xml" });
    assert.deepEqual(
      doc.sections.map((s) => [s.kind, s.text]),
      [
        ["paragraph", "<x />"],
        ["paragraph", "Keep this."],
        ["tag", "<x>a</x>"],
      ],
    );
  });

  it("splits prompts of many unclosed tags, headings or paragraphs in time linear in their size", function () {
    // Each unclosed tag searched the rest of the text, each heading and each gap walked every line, and every section's
    // range counted lines from the top: 20,000 lines of `<a>` (80 KB) held the daemon's event loop 82 s, 20,000
    // headings and 100,000 paragraphs minutes; 200,000 paragraphs overflowed push(...) (a 500). Bounds far above the
    // linear cost (~1 s each at load 20) and far below the old one.
    this.timeout(120_000);
    for (const [text, sections] of [
      ["<a>\n".repeat(20_000), 1],
      ["# h\n".repeat(20_000), 20_000],
      ["<b>\n# h\n".repeat(10_000), 10_001],
      ["p\n\n".repeat(200_000), 200_000],
    ] as const) {
      const started = performance.now();
      const doc = parsePrompt(text, { fileName: "p.md" });
      const ms = performance.now() - started;
      assert.equal(doc.sections.length, sections);
      assert.equal(doc.sections.at(-1)!.range.endLine, text.split("\n").length - 1);
      assert.ok(ms < 20_000, `${JSON.stringify(text.slice(0, 8))}…: ${Math.round(ms)} ms`);
    }
  });

  it("splits plain text into paragraphs and bullet groups", () => {
    const doc = parsePrompt("You are terse.\n\n- one\n- two\n  continued\n\nExample: input → output\n");
    assert.equal(doc.format, "text");
    assert.deepEqual(
      doc.sections.map((s) => s.kind),
      ["paragraph", "bullets", "example"],
    );
  });

  it("reads a JSON chat: system text sections mapped through JSON escapes, earlier turns as examples, each tool", () => {
    const source = fixture("triage-markdown.json");
    const doc = parsePrompt(source, { fileName: "triage-markdown.json" });
    assert.equal(doc.format, "chat-json");
    assert.equal(doc.inputMessage, 1);
    assert.deepEqual(
      doc.sections.filter((s) => s.kind === "tool").map((s) => s.id),
      ["tool:record_label", "tool:search_kb", "tool:escalate"],
    );
    const history = doc.sections.find((s) => s.title === "Company history")!;
    // The range covers the JSON-escaped text in the file: decoding it gives back the section.
    const raw = source.slice(history.range.start, history.range.end);
    assert.equal(JSON.parse(`"${raw}"`).trim(), history.text);
    const tool = doc.sections.find((s) => s.id === "tool:search_kb")!;
    assert.equal(JSON.parse(source.slice(tool.range.start, tool.range.end)).function.name, "search_kb");
    assert.deepEqual(doc.request.tool_choice, { type: "function", function: { name: "record_label" } });

    const few = parsePrompt(fixture("triage-fewshot.json"), { fileName: "triage-fewshot.json" });
    const turns = few.sections.filter((s) => s.kind === "turn");
    assert.deepEqual(
      turns.map((t) => t.target),
      [
        { kind: "messages", messages: [1, 2] },
        { kind: "messages", messages: [3, 4] },
      ],
    );
  });

  it("ablates exactly the removed sections and puts the test input in place of the final user message", () => {
    const doc = parsePrompt(fixture("triage-fewshot.json"), { fileName: "triage-fewshot.json" });
    const turn = doc.sections.find((s) => s.kind === "turn")!;
    const bullets = doc.sections.find((s) => s.kind === "bullets")!;
    const v = ablate(doc, new Set([turn.id, bullets.id, "tool:record_label"]), "New ticket");
    assert.equal(v.messages.length, doc.messages.length - 2);
    assert.deepEqual(v.messages.at(-1), { role: "user", content: "New ticket" });
    assert.doesNotMatch(v.messages[0].content as string, /Stay polite/);
    assert.match(v.messages[0].content as string, /Read the ticket carefully/);
    assert.equal(v.tools, undefined);

    const md = parsePrompt(fixture("support.md"), { fileName: "support.md" });
    const all = ablate(md, new Set(md.sections.map((s) => s.id)));
    assert.deepEqual(all.messages, [{ role: "user", content: "" }]);
    const some = ablate(md, new Set([md.sections[3].id]), "When do you open?");
    assert.equal(some.messages[0].role, "system");
    assert.doesNotMatch(some.messages[0].content as string, /founded/);
    assert.doesNotMatch(some.messages[0].content as string, /\n\n\n/);
    assert.deepEqual(some.messages[1], { role: "user", content: "When do you open?" });
  });

  it("quick-fix deletions leave a valid file that is the prompt without that section", () => {
    for (const name of ["triage-markdown.json", "triage-fewshot.json", "triage-xml.json"]) {
      const source = fixture(name);
      const doc = parsePrompt(source, { fileName: name });
      for (const s of doc.sections) {
        const edited = source.slice(0, s.deleteRange.start) + source.slice(s.deleteRange.end);
        const after = parsePrompt(edited, { fileName: name });
        const expected = ablate(doc, new Set([s.id]));
        const tidy = (m: { content?: unknown }) =>
          typeof m.content === "string" ? m.content.replace(/\n{3,}/g, "\n\n").trim() : m.content;
        assert.deepEqual(after.messages.map(tidy), expected.messages.map(tidy), `${name} ${s.id}`);
        assert.deepEqual(
          after.tools.map((t) => t.function.name),
          (expected.tools ?? []).map((t) => t.function.name),
          `${name} ${s.id}`,
        );
      }
    }
    const md = fixture("support.md");
    for (const s of parsePrompt(md, { fileName: "support.md" }).sections) {
      const edited = md.slice(0, s.deleteRange.start) + md.slice(s.deleteRange.end);
      assert.ok(!edited.includes(s.text) && edited.length === md.length - (s.deleteRange.end - s.deleteRange.start));
    }
  });

  it("refuses empty, oversized, non-JSON and non-chat prompts with messages that say what is wrong", () => {
    assert.throws(
      () => parsePrompt("   \n"),
      (e: Error) => e instanceof PromptError && /empty/.test(e.message),
    );
    assert.throws(() => parsePrompt("x".repeat(1_000_001)), /limit is 1000000/);
    assert.throws(() => parsePrompt("{ nope", { fileName: "p.json" }), /not valid JSON/);
    assert.throws(
      () => parsePrompt('{"messages": [{"role": "wizard", "content": "hi"}]}', { fileName: "p.json" }),
      /not a JSON chat/,
    );
    assert.throws(() => parsePrompt("[]", { fileName: "p.json" }), /at least one message/);
  });

  it("detects formats from the file name or the content", () => {
    assert.equal(detectFormat("[]", "a.json"), "chat-json");
    assert.equal(detectFormat('[{"role":"user","content":"x"}]'), "chat-json");
    assert.equal(detectFormat("plain words"), "text");
    assert.equal(detectFormat("<a>x</a>"), "xml");
    assert.equal(detectFormat("no heading", "a.md"), "markdown");
  });

  it("survives hostile input: unclosed tags, deep nesting, a huge single line", () => {
    const nested = `${"<a>".repeat(500)}x${"</a>".repeat(500)}`;
    assert.equal(parsePrompt(nested).sections.length, 1);
    assert.equal(parsePrompt("<open>\nnever closed\n\nnext").sections.length, 2);
    assert.equal(parsePrompt("y".repeat(200_000)).sections.length, 1);
  });
});
