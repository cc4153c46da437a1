import assert from "node:assert/strict";
import { PromptError } from "../../../daemon/audit/sections/chat.js";
import { parseSpanPrompt } from "../../../daemon/audit/sections/span.js";
import { ablate } from "../../../daemon/audit/sections/ablate.js";
import type { Span } from "../../../daemon/traces/span.js";

const base: Span = {
  traceId: "t",
  spanId: "s",
  name: "chat",
  kind: "llm",
  startNs: 1,
  endNs: 2,
  status: "ok",
  attributes: {},
};

describe("audit: a recorded call as a prompt", () => {
  it("takes semconv parts and flat tool definitions, keeping the recorded user message as the input", () => {
    const doc = parseSpanPrompt({
      ...base,
      attributes: {
        "gen_ai.system_instructions": JSON.stringify([
          { type: "text", content: "# Role\nHelp.\n\n# Style\nBe brief." },
        ]),
        "gen_ai.input.messages": JSON.stringify([{ role: "user", parts: [{ type: "text", content: "hello" }] }]),
        "gen_ai.tool.definitions": JSON.stringify([
          { name: "lookup", description: "find", parameters: { type: "object" } },
          { bogus: true },
        ]),
        "gen_ai.request.temperature": 0.2,
      },
    });
    assert.equal(doc.format, "span");
    assert.deepEqual(
      doc.sections.map((s) => s.id),
      ["s1", "s2", "tool:lookup"],
    );
    assert.deepEqual(doc.request, { temperature: 0.2 });
    const v = ablate(doc, new Set(["s1"]));
    assert.deepEqual(v.messages, [
      { role: "system", content: "# Style\nBe brief." },
      { role: "user", content: "hello" },
    ]);
    assert.equal(
      doc.source.slice(doc.sections[2].range.start, doc.sections[2].range.end),
      JSON.stringify(doc.tools[0], null, 2),
    );
    assert.deepEqual(ablate(doc, new Set(), "other").messages.at(-1), { role: "user", content: "other" });
  });

  it("refuses spans that are not LLM calls or recorded no prompt", () => {
    assert.throws(
      () => parseSpanPrompt({ ...base, kind: "tool" }),
      (e: Error) => e instanceof PromptError && /tool span/.test(e.message),
    );
    assert.throws(() => parseSpanPrompt(base), /no system prompt and no tools/);
    assert.throws(
      () => parseSpanPrompt({ ...base, attributes: { "gen_ai.input.messages": "{not json" } }),
      /no system prompt/,
    );
  });
});
