// Schema limits: sizes for every route (checked first, before the cache key walks the body), values the local engine
// cannot enforce only where it enforces them.
import assert from "node:assert/strict";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { checkRequestSchemas, toolParameters } from "../../../daemon/engine/schema-limits.js";
import { InputLimitError } from "../../../daemon/limits.js";

const withSchema = (schema: Record<string, unknown>): ChatCompletionRequest => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  response_format: { type: "json_schema", json_schema: { name: "s", schema } },
});
const limitOf = (f: () => void) => {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof InputLimitError, String(e));
    return e.limit;
  }
};

describe("schema limits", () => {
  it("refuses sizes past the limits, naming them", () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string" }]));
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ properties: props(20_000) }))),
      "schemaProperties",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ properties: props(5_000) }))),
      undefined,
    );
    const e = Array.from({ length: 100_000 }, (_, i) => `v${i}`);
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ enum: e }), { sizesOnly: true })),
      "schemaEnumValues",
    );
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 20; i++) deep = { type: "array", items: deep };
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(deep))),
      "schemaDepth",
    );
    // Every subschema counts where the local engine compiles the schema: a million anyOf branches within every other
    // limit are refused; 5,000 properties with items are not. Cloud routes (sizesOnly) are held to OpenAI's limits only.
    const branches = (n: number) => ({ anyOf: Array.from({ length: n }, () => ({ type: "null" })) });
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(branches(1_000_000)))),
      "schemaNodes",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(branches(20_000)), { sizesOnly: true })),
      undefined,
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(branches(10_001)))),
      "schemaNodes",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(branches(10_000)))),
      undefined,
    );
    const withItems = Object.fromEntries(
      Array.from({ length: 5_000 }, (_, i) => [`p${i}`, { type: "array", items: { type: "string" } }]),
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ type: "object", properties: withItems }))),
      undefined,
    );
    const long = { properties: { [`k${"x".repeat(130_000)}`]: { type: "string" } } };
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(long))),
      "schemaChars",
    );
  });

  it("refuses more repetitions than the grammar should spell out (minLength 1,000,000 held the event loop ~1 s), locally only", () => {
    const str = (bounds: Record<string, number>) => ({ type: "string", ...bounds });
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(str({ minLength: 1_000_000 })))),
      "schemaRepetitions",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(str({ maxLength: 20_001 })))),
      "schemaRepetitions",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(str({ minLength: 10, maxLength: 20_000 })))),
      undefined,
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(str({ minLength: 1_000_000 })), { sizesOnly: true })),
      undefined,
    );
    // Summed over the request: two arrays of 10,001 items each.
    const twoArrays = {
      type: "object",
      properties: { a: { type: "array", minItems: 10_001 }, b: { type: "array", maxItems: 10_000, items: str({}) } },
    };
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema(twoArrays))),
      "schemaRepetitions",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ type: "array", minItems: 3, maxItems: 5 }))),
      undefined,
    );
  });

  it("a tool's ceiling past the limit (Claude Code's 524,288-character script) is dropped for the grammar, not refused; a minimum that large is", () => {
    const tool = (parameters: Record<string, unknown>): ChatCompletionRequest => ({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "run", parameters } }],
    });
    const script = {
      type: "object",
      properties: {
        script: { type: "string", maxLength: 524_288 },
        tags: { type: "array", maxItems: 1_000_000, items: { type: "string", maxLength: 40 } },
        maxLength: { type: "number", enum: [524_288], default: { maxLength: 524_288 } },
      },
    };
    assert.equal(
      limitOf(() => checkRequestSchemas(tool(script))),
      undefined,
    );
    assert.deepEqual(toolParameters(script), {
      type: "object",
      properties: {
        script: { type: "string" },
        tags: { type: "array", items: { type: "string", maxLength: 40 } },
        maxLength: { type: "number", enum: [524_288], default: { maxLength: 524_288 } },
      },
    });
    assert.equal(
      limitOf(() => checkRequestSchemas(tool({ type: "string", minLength: 524_288 }))),
      "schemaRepetitions",
    );
    // A response format is the caller's explicit contract: its ceiling is enforced, so still refused.
    assert.equal(
      limitOf(() => checkRequestSchemas(withSchema({ type: "string", maxLength: 524_288 }))),
      "schemaRepetitions",
    );
  });

  it("refuses enum/const values that are objects only where the local engine enforces them", () => {
    const objectConst = withSchema({ properties: { a: { const: { b: 1 } } } });
    assert.equal(
      limitOf(() => checkRequestSchemas(objectConst)),
      "schemaValue",
    );
    assert.equal(
      limitOf(() => checkRequestSchemas(objectConst, { sizesOnly: true })),
      undefined,
    );
  });
});
