// The span's output is folded from the answer's events at hand (foldChat), the client's unstreamed answer from the
// live stream (collectChat): both must give the same completion.
import assert from "node:assert/strict";
import { collectChat, foldChat, type ChatEvent } from "../../../daemon/chat.js";

async function* live(events: ChatEvent[]): AsyncIterable<ChatEvent> {
  for (const e of events) yield e;
}

const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } };
const meta = { id: "chatcmpl-1", model: "m", created: 1 };

describe("pipeline: folding an answer's events", () => {
  const cases: [string, ChatEvent[]][] = [
    [
      "text",
      [
        { type: "text", text: "Hello, " },
        { type: "text", text: "world" },
        { type: "done", finishReason: "stop", usage, model: "upstream-model" },
      ],
    ],
    [
      "tool calls in deltas, out of order, without text",
      [
        { type: "tool_call_delta", index: 1, id: "b", name: "second", arguments: '{"x"' },
        { type: "tool_call_delta", index: 0, id: "a", name: "first", arguments: "{}" },
        { type: "tool_call_delta", index: 1, arguments: ":1}" },
        { type: "done", finishReason: "tool_calls", usage },
      ],
    ],
    ["nothing but the end", [{ type: "done", finishReason: "length", usage }]],
  ];
  for (const [what, events] of cases)
    it(`foldChat equals collectChat: ${what}`, async () => {
      assert.deepEqual(foldChat(events, meta), await collectChat(live(events), meta));
    });

  it("tool calls keep their index order and their joined arguments; a text-less message has null content", () => {
    const c = foldChat(cases[1][1], meta);
    assert.equal(c.choices[0].message.content, null);
    assert.deepEqual(
      c.choices[0].message.tool_calls?.map((t) => [t.id, t.function.name, t.function.arguments]),
      [
        ["a", "first", "{}"],
        ["b", "second", '{"x":1}'],
      ],
    );
  });

  it("refuses events without a final one, as collectChat does", async () => {
    const events: ChatEvent[] = [{ type: "text", text: "cut off" }];
    assert.throws(() => foldChat(events, meta), /without a final event/);
    await assert.rejects(collectChat(live(events), meta), /without a final event/);
  });
});
