// A query text too long to embed on the event loop matches exactly only (the embedder's tokenizer is quadratic).
import assert from "node:assert/strict";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { requestKey, SEMANTIC_QUERY_MAX_CHARS } from "../../../daemon/cache/key.js";

const ask = (content: string): ChatCompletionRequest => ({
  model: "m",
  temperature: 0,
  messages: [{ role: "user", content }],
});

describe("cache key: long query texts", () => {
  it("match exactly only past SEMANTIC_QUERY_MAX_CHARS, saying why; shorter ones stay semantic", () => {
    assert.equal(requestKey(ask("What is 2+2?"), "local:m").match, "semantic");
    assert.equal(requestKey(ask("x".repeat(SEMANTIC_QUERY_MAX_CHARS)), "local:m").match, "semantic");
    const long = requestKey(ask("x".repeat(279_000)), "local:m");
    assert.equal(long.match, "exact");
    assert.match(long.exactReason ?? "", /over 2000 characters \(279000\)/);
    const completion = requestKey({ model: "m", prompt: "y".repeat(10_000), temperature: 0 }, "local:m");
    assert.equal(completion.match, "exact");
  });
});
