// Issue #15: token counting must not hold the event loop. A large /hotpath/audit/sections text and a large
// count_tokens estimate (a route that cannot count: OpenAI's) are counted in a worker thread, so the real daemon keeps
// answering /healthz while they are counted — in the second half of the big request's flight, not only before the
// counting began — and the counts are the ones counting on the event loop gave.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AnthropicMessagesRequest } from "../../../daemon/api.js";
import { requestTexts } from "../../../daemon/audit/runner.js";
import { parsePrompt } from "../../../daemon/audit/sections/index.js";
import { sectionDtos } from "../../../daemon/audit/static.js";
import { counterForModelName } from "../../../daemon/audit/tokens.js";
import { chatRequestOf } from "../../../daemon/server/anthropic.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { answeredWhileInFlight } from "../../fixtures/in-flight.js";
import { rawRequest, type RawResponse } from "../../fixtures/raw-http.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";

/** Markdown prose from this repository's docs (text nobody shaped for this test), repeated to `chars`. */
function prose(chars: number): string {
  const docs = ["docs/security.md", "README.md", "daemon/audit/static.ts"]
    .map((f) => readFileSync(join(process.cwd(), f), "utf8"))
    .join("\n\n");
  let out = "";
  for (let i = 0; out.length < chars; i++) out += `\n\n# Part ${i}\n\n${docs}`;
  return out.slice(0, chars);
}

describe("daemon: token counting off the event loop (issue #15)", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;
  let oa: FakeUpstream;
  let auth: Record<string, string>;

  before(async function () {
    oa = await FakeUpstream.start("openai", "sk-holds-test");
    const dataDir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "hotpath-holds-"));
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(
      configFile,
      `router:\n  providers:\n    oa: { type: openai, baseURL: "${oa.baseURL}", apiKey: "env:HOLDS_OPENAI_KEY" }\n`,
    );
    daemon = await startDaemon({ dataDir, args: ["--config", configFile], env: { HOLDS_OPENAI_KEY: "sk-holds-test" } });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(async () => {
    await daemon?.dispose();
    await oa?.close();
  });

  /** /healthz one after another while the big request is counted. */
  const answersWhileCounting = (big: () => Promise<RawResponse>) => answeredWhileInFlight(daemon.url, big);

  it("audit sections over ~1 MB of text (its limit): /healthz answers while it is counted; the counts are unchanged", async () => {
    const text = prose(999_000);
    const res = await answersWhileCounting(() =>
      rawRequest(daemon.url, {
        method: "POST",
        path: "/hotpath/audit/sections",
        headers: auth,
        body: JSON.stringify({ text, fileName: "prompt.md" }),
        timeoutMs: 300_000,
      }),
    );
    assert.equal(res.status, 200, res.text.slice(0, 500));
    const expected = sectionDtos(parsePrompt(text, { fileName: "prompt.md" }), counterForModelName(""));
    assert.ok(expected.sections.length > 10);
    assert.equal(res.body.tokenizer, "estimate:cl100k_base");
    assert.equal(res.body.totalTokens, expected.totalTokens);
    assert.deepEqual(
      res.body.sections.map((s: { tokens: number }) => s.tokens),
      expected.sections.map((s) => s.tokens),
    );
  });

  it("count_tokens estimate over 4 MB of messages and tools: /healthz answers while it is counted; the count is unchanged", async () => {
    const text = prose(4_000_000);
    const body = {
      model: "oa:gpt-4o-mini",
      system: text.slice(0, 1_000_000),
      messages: [
        { role: "user", content: text.slice(1_000_000, 2_500_000) },
        { role: "assistant", content: [{ type: "text", text: "Short answer." }] },
        { role: "user", content: [{ type: "text", text: text.slice(2_500_000, 3_500_000) }] },
      ],
      tools: [{ name: "lookup", description: text.slice(3_500_000), input_schema: { type: "object" } }],
    };
    const res = await answersWhileCounting(() =>
      rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/messages/count_tokens",
        headers: { ...auth, "anthropic-version": "2023-06-01" },
        body: JSON.stringify(body),
        timeoutMs: 300_000,
      }),
    );
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.equal(res.headers["x-hotpath-token-count"], "estimate");
    assert.equal(res.headers["x-hotpath-tokenizer"], "openai:o200k_base");
    // What the route counted before this change, on this process's event loop: each text, plus message framing.
    const request = chatRequestOf({ ...body, max_tokens: 1 } as AnthropicMessagesRequest);
    const counter = counterForModelName("gpt-4o-mini");
    const expected = requestTexts(request).reduce((n, t) => n + counter.count(t), 0) + request.messages.length * 3 + 3;
    assert.equal(res.body.input_tokens, expected);
    assert.equal(oa.received.length, 0, "an estimate sends nothing upstream");
  });
});
