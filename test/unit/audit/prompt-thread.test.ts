// A request's audit prompt past 16 KB is read on a worker (daemon/audit/prompt-thread.ts): the same document and facts
// as reading it inline, limits refused there, and the worker stops once idle so its heap goes back (#15).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LIMITS } from "../../../daemon/limits.js";
import {
  IDLE_STOP_MS,
  INLINE_PROMPT_CHARS,
  promptFactsOffLoop,
  promptWorkerStarted,
  readPrompt,
} from "../../../daemon/audit/prompt-thread.js";
import { PromptError } from "../../../daemon/audit/sections/index.js";

/** This repository's docs (text nobody shaped for this test). */
const prose = ["docs/security.md", "README.md"].map((f) => readFileSync(f, "utf8")).join("\n\n");

describe("audit prompts read off the event loop", function () {
  this.timeout(120_000);

  it("the worker's document and facts are the inline ones, for Markdown and a JSON chat", async () => {
    const chat = JSON.stringify({
      messages: [
        { role: "system", content: prose.slice(0, 60_000) },
        { role: "user", content: "q" },
        { role: "assistant", content: "a" },
        { role: "user", content: "{{input}}" },
      ],
    });
    for (const [source, fileName] of [
      [prose, "prompt.md"],
      [chat, "prompt.json"],
    ]) {
      assert.ok(source.length > INLINE_PROMPT_CHARS);
      assert.deepEqual(await promptFactsOffLoop(source, { fileName }), readPrompt(source, { fileName }));
    }
  });

  it("refuses there what parsePrompt refuses, and more sections than promptSections", async () => {
    await assert.rejects(promptFactsOffLoop("{".repeat(20_000), { fileName: "p.json" }), PromptError);
    await assert.rejects(
      promptFactsOffLoop("# h\n".repeat(LIMITS.promptSections + 1), { fileName: "p.md" }),
      new RegExp(`promptSections = ${LIMITS.promptSections}`),
    );
  });

  it("the worker stops after being idle, and a later prompt starts it again", async () => {
    await promptFactsOffLoop(prose, { fileName: "prompt.md" });
    assert.equal(promptWorkerStarted(), true);
    await new Promise((r) => setTimeout(r, IDLE_STOP_MS + 1500));
    assert.equal(promptWorkerStarted(), false, "the idle worker still holds its heap");
    assert.ok((await promptFactsOffLoop(prose, { fileName: "prompt.md" })).doc.sections.length > 10);
  });
});
