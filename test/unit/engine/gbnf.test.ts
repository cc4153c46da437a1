// Schema → grammar off the event loop: the worker writes the same GBNF node-llama-cpp writes on the main thread, and
// the event loop keeps turning while a large schema converts.
import assert from "node:assert/strict";
import { getLlama } from "node-llama-cpp";
import { gbnfForSchema } from "../../../daemon/engine/grammar/gbnf.js";

const largest = {
  type: "object",
  properties: Object.fromEntries(
    Array.from({ length: 5000 }, (_, j) => [`p${j}`, j % 3 ? { type: "string" } : { enum: ["a", j, null] }]),
  ),
  required: ["p0", "p7"],
};

describe("grammar worker (JSON schema → GBNF)", function () {
  this.timeout(120_000);

  it("writes the grammar llama.createGrammarForJsonSchema writes, for the largest accepted schema", async () => {
    const llama = await getLlama({ gpu: false });
    const direct = await llama.createGrammarForJsonSchema(largest as never);
    const viaWorker = await gbnfForSchema(JSON.stringify(largest));
    assert.ok(viaWorker === direct.grammar, "the worker's grammar differs from node-llama-cpp's");
    const [p2, p10] = ['"\\"p2\\""', '"\\"p10\\""'].map((p) => viaWorker.indexOf(p));
    assert.ok(p2 > 0 && p10 > p2, "properties keep the schema's order (p2 before p10, not sorted)");
  });

  it("converts off the event loop: a timer set before a large conversion fires before it finishes", async () => {
    let turned = false;
    const timer = setTimeout(() => (turned = true), 0);
    const gbnf = await gbnfForSchema(JSON.stringify({ ...largest, required: ["p1"] }));
    clearTimeout(timer);
    assert.ok(gbnf.length > 100_000);
    assert.ok(turned, "the event loop did not turn while the schema converted");
  });

  it("refuses a schema the converter cannot turn into a grammar, in words the pipeline maps to 400", async () => {
    await assert.rejects(gbnfForSchema("{not json"), /JSON schema cannot be turned into a grammar/);
  });
});
