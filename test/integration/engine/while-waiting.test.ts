// ChatOptions.whileWaiting on a local model: the caller's work (the span's content) runs once, while the prompt is
// evaluated — before the first token is handed on — for plain chat and for chat with tools (LlamaChat's path).
import assert from "node:assert/strict";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { testEngine } from "../../fixtures/engine.js";
import { chatModelPath } from "../../fixtures/models.js";

describe("engine: the caller's work while a local model evaluates the prompt", function () {
  this.timeout(180_000);
  const engine = testEngine();
  before(() => engine.add([{ alias: "m", source: chatModelPath() }]));
  after(() => engine.dispose());

  const requests: [string, ChatCompletionRequest][] = [
    ["plain chat", { model: "m", messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 8 }],
    [
      "chat with tools",
      {
        model: "m",
        messages: [{ role: "user", content: "Once upon a time" }],
        max_tokens: 8,
        tools: [{ type: "function", function: { name: "look", parameters: { type: "object", properties: {} } } }],
      },
    ],
  ];
  for (const [name, request] of requests) {
    it(name, async () => {
      const backend = await engine.backend("m");
      const seen: string[] = [];
      const options = {
        signal: new AbortController().signal,
        priority: "interactive" as const,
        requestId: "req-test",
        whileWaiting: () => seen.push("caller's work"),
      };
      for await (const e of backend.chat(request, options)) seen.push(e.type);
      assert.equal(seen.filter((s) => s === "caller's work").length, 1, seen.join(" "));
      assert.ok(seen.indexOf("caller's work") < seen.findIndex((s) => s !== "caller's work"), seen.join(" "));
      assert.equal(seen.at(-1), "done");
    });
  }
});
