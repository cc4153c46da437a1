// The cache key: what partitions the cache and what an exact match means.
import assert from "node:assert/strict";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { canonicalJson } from "../../../daemon/canonical.js";
import { requestKey } from "../../../daemon/cache/key.js";
import { admit } from "../../../daemon/cache/policy.js";
import { classifyWorkload } from "../../../daemon/cache/workload.js";
import { CacheConfigSchema } from "../../../daemon/config.js";

const base: ChatCompletionRequest = {
  model: "m",
  temperature: 0,
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: "What is 2+2?" },
  ],
};

describe("cache key", () => {
  it("canonical JSON sorts keys at every depth and drops undefined", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: 2 } }),
      '{"a":{"c":2,"d":[1,{"z":1}]},"b":1}',
    );
  });

  it("labels a key with the system prompt's first 60 characters, whitespace collapsed, without reading all of it", function () {
    const label = (system: string) =>
      requestKey({ ...base, messages: [{ role: "system", content: system }, base.messages[1]] }, "local:m").label;
    assert.equal(label("Be\n\n  terse,   always."), "local:m m · Be terse, always.");
    assert.equal(label(`${"a ".repeat(40)}`), `local:m m · ${"a ".repeat(30)}`);
    // Only a prefix is read (collapsing all 9 MB of a prompt held the event loop 15 s at load 18): same label.
    assert.equal(label("i ".repeat(100_000)), `local:m m · ${"i ".repeat(30)}`);
  });

  it("is the same for requests that differ only in key order, stream, user or metadata", () => {
    const k1 = requestKey(base, "local:m");
    const reordered = JSON.parse(
      JSON.stringify({ messages: base.messages, temperature: 0, model: "m" }),
    ) as ChatCompletionRequest;
    const k2 = requestKey({ ...reordered, stream: true, user: "u", metadata: { a: "b" } }, "local:m");
    assert.equal(k1.namespace, k2.namespace);
    assert.equal(k1.exactKey, k2.exactKey);
  });

  it("puts everything but the last user text into the namespace", () => {
    const ns = requestKey(base, "local:m").namespace;
    const other = (r: ChatCompletionRequest, route = "local:m") => requestKey(r, route).namespace;
    assert.notEqual(
      other({ ...base, messages: [{ role: "system", content: "You are verbose." }, base.messages[1]] }),
      ns,
    );
    assert.notEqual(other({ ...base, tools: [{ type: "function", function: { name: "f" } }] }), ns);
    assert.notEqual(other({ ...base, temperature: 0.2 }), ns);
    assert.notEqual(other({ ...base, seed: 1 }), ns);
    assert.notEqual(other({ ...base, top_p: 0.9 }), ns);
    assert.notEqual(other({ ...base, tool_choice: "required" }), ns);
    assert.notEqual(other({ ...base, response_format: { type: "json_object" } }), ns);
    assert.notEqual(other({ ...base, max_tokens: 5 }), ns);
    assert.notEqual(other(base, "openai:m"), ns);
    assert.notEqual(
      other({
        ...base,
        messages: [
          base.messages[0],
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          base.messages[1],
        ],
      }),
      ns,
    );
    // The last user text is not part of the namespace: paraphrases share it.
    assert.equal(other({ ...base, messages: [base.messages[0], { role: "user", content: "What's 2 plus 2?" }] }), ns);
  });

  it("uses the last user message as the query and marks unsafe shapes exact-only", () => {
    const k = requestKey(base, "r");
    assert.equal(k.queryText, "What is 2+2?");
    assert.equal(k.match, "semantic");
    assert.equal(k.deterministic, true);
    const tool = requestKey(
      {
        ...base,
        messages: [
          ...base.messages,
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "1", content: "4" },
        ],
      },
      "r",
    );
    assert.equal(tool.match, "exact");
    assert.match(tool.exactReason ?? "", /tool result/);
    const image = requestKey(
      {
        ...base,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what is this" },
              { type: "image_url", image_url: { url: "data:x" } },
            ],
          },
        ],
      },
      "r",
    );
    assert.equal(image.match, "exact");
    const prefill = requestKey(
      { ...base, messages: [...base.messages, { role: "assistant", content: "The answer is" }] },
      "r",
    );
    assert.equal(prefill.match, "exact");
    assert.equal(
      requestKey({ ...base, temperature: undefined }, "r").deterministic,
      false,
      "OpenAI's default temperature is 1",
    );
    assert.equal(requestKey({ ...base, temperature: 1, seed: 3 }, "r").deterministic, true);
  });

  it("admits by config and headers", () => {
    const config = CacheConfigSchema.parse({});
    const k = requestKey(base, "r");
    assert.deepEqual(admit(k, {}, config), { lookup: true, store: true });
    assert.equal(admit(k, { "x-hotpath-cache": "bypass" }, config).lookup, false);
    assert.equal(admit(k, { "cache-control": "no-store" }, config).store, false);
    assert.deepEqual(admit(k, { "cache-control": ["public", "no-cache"] }, config).lookup, false);
    assert.equal(admit(k, { "cache-control": "no-cache" }, config).store, true);
    const sampled = requestKey({ ...base, temperature: 0.8 }, "r");
    assert.equal(admit(sampled, {}, config).lookup, false);
    assert.equal(admit(sampled, {}, CacheConfigSchema.parse({ onlyDeterministic: false })).lookup, true);
    assert.equal(admit(k, {}, CacheConfigSchema.parse({ enabled: false })).lookup, false);
  });

  it("classifies workloads for TTLs", () => {
    const w = (
      instructions: string,
      query: string,
      extra: { header?: string; responseFormat?: string; hasTools?: boolean } = {},
    ) => classifyWorkload({ instructions, query, hasTools: false, ...extra });
    assert.equal(w("", "hi", { header: "code" }), "code");
    assert.equal(w("", "hi", { header: "nonsense" }), "conversation");
    assert.equal(w("Classify the sentiment of the review.", "Great food"), "classification");
    assert.equal(w("Extract the fields as JSON.", "Invoice 42"), "extraction");
    assert.equal(w("", "anything", { responseFormat: "json_schema" }), "extraction");
    assert.equal(w("", "Why does this function throw?"), "code");
    assert.equal(w("", "Tell me about otters."), "conversation");
  });

  it("validates the cache config section with defaults", () => {
    const c = CacheConfigSchema.parse({});
    assert.equal(c.ttlSeconds.classification, 30 * 24 * 3600);
    assert.equal(c.ttlSeconds.extraction, 7 * 24 * 3600);
    assert.equal(c.ttlSeconds.code, 24 * 3600);
    assert.equal(c.ttlSeconds.conversation, 3600);
    assert.equal(c.embedder, "use");
    assert.throws(() => CacheConfigSchema.parse({ threshold: 2 }));
    assert.throws(() => CacheConfigSchema.parse({ embedder: "word2vec" }));
  });
});
