// The OpenAI Responses API on a local model, driven by the official clients: the `openai` SDK's responses.create /
// responses.stream (store, previous_response_id, GET/DELETE). Nothing here is Hotpath's own client code.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { readSpans } from "../../fixtures/agents/capture.js";
import { AGENT_MODEL_PARAMS, generatedModelPath } from "../../fixtures/models.js";

describe("agents: OpenAI SDKs on the Responses API", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;
  let openai: OpenAI;

  before(async () => {
    const model = generatedModelPath(AGENT_MODEL_PARAMS);
    daemon = await startDaemon({
      args: ["--model", `agent=${model}`, "--context-size", "8192", "--sequences", "2"],
      waitForModels: ["agent"],
    });
    openai = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
  });
  after(async () => {
    await daemon?.dispose();
  });

  it("responses.create: a stored Response, continued by previous_response_id, read back and deleted", async () => {
    const first = await openai.responses.create({
      model: "agent",
      instructions: "Be brief.",
      input: "Say hi",
      max_output_tokens: 24,
    });
    assert.match(first.id, /^resp_/);
    assert.equal(first.object, "response");
    assert.equal(typeof first.output_text, "string");
    assert.ok(first.usage && first.usage.input_tokens > 0 && first.usage.output_tokens > 0);
    assert.equal(typeof first.usage.input_tokens_details.cached_tokens, "number");

    const second = await openai.responses.create({
      model: "agent",
      previous_response_id: first.id,
      input: [{ role: "user", content: "Again" }],
      max_output_tokens: 24,
    });
    assert.equal(second.previous_response_id, first.id);
    // The continuation carried the first exchange: its prompt is longer than the first one's.
    assert.ok(
      second.usage!.input_tokens > first.usage.input_tokens,
      `${second.usage!.input_tokens} > ${first.usage.input_tokens}`,
    );

    const got = await openai.responses.retrieve(first.id);
    assert.deepEqual(got.output, first.output);
    const items = await openai.responses.inputItems.list(second.id);
    assert.ok(items.data.length >= 3, "the stored conversation: first input, first output, second input");
    await openai.responses.delete(first.id);
    await assert.rejects(openai.responses.retrieve(first.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
    await assert.rejects(
      openai.responses.create({
        model: "agent",
        previous_response_id: "resp_unknown",
        input: "x",
        max_output_tokens: 4,
      }),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
  });

  it("responses.stream: the SDK assembles the documented event sequence into the final Response", async () => {
    const stream = openai.responses.stream({ model: "agent", input: "Tell me something", max_output_tokens: 20 });
    const seen: string[] = [];
    let deltas = "";
    for await (const e of stream) {
      seen.push(e.type);
      if (e.type === "response.output_text.delta") deltas += e.delta;
    }
    const final = await stream.finalResponse();
    assert.equal(seen[0], "response.created");
    assert.ok(["response.completed", "response.incomplete"].includes(seen[seen.length - 1]));
    assert.equal(final.output_text, deltas);
    const span = (await readSpans(daemon.dataDir))
      .filter((s) => s.attributes["hotpath.endpoint"] === "responses")
      .pop();
    assert.equal(span?.attributes["hotpath.route"], "local:agent");
    assert.equal(span?.attributes["hotpath.stream"], true);
  });
});
