// Streamed text frames cut from one serialised chunk are byte for byte what serialising each chunk whole gives.
import assert from "node:assert/strict";
import { sseFrame, textDeltaFrames } from "../../../daemon/server/sse.js";

const chunk = (model: string) => (text: string) => ({
  id: "cmpl-1",
  object: "text_completion",
  created: 1,
  model,
  choices: [{ index: 0, text, finish_reason: null, logprobs: null }],
});

const texts = [
  "",
  "a",
  " the",
  '"quoted"',
  "back\\slash",
  "line\nbreak\r\t",
  "é中😀",
  "\u0000delta\u0000",
  "\u2028\u2029",
  "\ud800",
];

describe("server: SSE text delta frames", () => {
  for (const model of ["bench", 'we"ird\u0000', "\u0000delta\u0000", ""]) {
    it(`match whole-chunk serialisation (model ${JSON.stringify(model)})`, () => {
      const frame = textDeltaFrames(chunk(model));
      for (const text of texts) assert.equal(frame(text), sseFrame(chunk(model)(text)), JSON.stringify(text));
    });
  }

  it("match for a chat chunk with the text nested in delta", () => {
    const chat = (content: string) => ({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 2,
      model: "m",
      system_fingerprint: "hotpath",
      choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
      usage: null,
    });
    const frame = textDeltaFrames(chat);
    for (const text of texts) assert.equal(frame(text), sseFrame(chat(text)));
  });
});
