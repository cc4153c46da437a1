// Variants of issue #15's finding classes found by a second, independent probe of the built daemon: each case here
// crashed the daemon, held its event loop for seconds, or let a request past the Host check.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { rawRequest } from "../../fixtures/raw-http.js";

/** Sends raw bytes and returns the status line's code (0: the connection closed without an answer). */
function rawStatus(url: string, text: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), "127.0.0.1");
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on("error", () => resolve(0));
    socket.on("close", () => resolve(0));
    socket.write(text);
  });
}

describe("daemon: hostile input, second probe (issue #15)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;
  const messages = [{ role: "user", content: "hi" }];
  const healthy = async () => {
    const res = await rawRequest(daemon.url, { path: "/healthz", timeoutMs: 10_000 });
    assert.equal(res.status, 200, "the daemon stopped answering");
  };

  before(async function () {
    daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: ["chat"] });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(() => daemon?.dispose());

  it("a WebSocket upgrade whose target is no URL is refused, and the daemon lives on", async function () {
    // `//[` made `new URL` throw inside the upgrade listener: the process exited, before any Host or token check.
    for (const target of ["//[", "http://[", "//[::1"]) {
      const status = await rawStatus(
        daemon.url,
        `GET ${target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      assert.ok(status >= 400 && status < 500, `${target}: ${status}`);
      await healthy();
    }
  });

  it("two Host headers → 400; an absolute-form target names the host too (HTTP and WebSocket)", async function () {
    const head = (target: string, hosts: string[], extra = "") =>
      `GET ${target} HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join("")}Authorization: Bearer ${daemon.token}\r\n${extra}Connection: close\r\n\r\n`;
    const ws = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n`;
    // Node answered with the first Host and dropped the second.
    assert.equal(await rawStatus(daemon.url, head("/v1/models", ["localhost", "evil.com"])), 400);
    assert.equal(await rawStatus(daemon.url, head("/hotpath/events", ["localhost", "evil.com"], ws)), 400);
    assert.equal(await rawStatus(daemon.url, head("http://evil.com/v1/models", ["localhost"])), 403);
    assert.equal(await rawStatus(daemon.url, head("http://0x7f.1/v1/models", ["localhost"])), 403);
    assert.equal(await rawStatus(daemon.url, head("http://localhost:1/v1/models", ["localhost"])), 200);
    assert.equal(await rawStatus(daemon.url, head("/v1/models", ["127.000.000.001"])), 403);
  });

  it("tool definitions too long for the context are refused from their characters, before tokenizing", async function () {
    // 16 tools × 60,000-character descriptions rendered to ~1 MB of prompt that was tokenized on the event loop
    // (128 of them held every request for 13 s) only to be refused as too long.
    const tools = Array.from({ length: 16 }, (_, i) => ({
      type: "function",
      function: {
        name: `t${i}`,
        description: "d".repeat(60_000),
        parameters: { type: "object", properties: { a: { type: "string" } } },
      },
    }));
    for (const tool_choice of ["auto", "required"]) {
      const res = await rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: auth,
        body: JSON.stringify({ model: "chat", messages, max_tokens: 2, tools, tool_choice }),
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.error.code, "context_length_exceeded", res.text.slice(0, 300));
      assert.match(res.body.error.message, /characters/, `${tool_choice}: refused only after tokenizing`);
    }
    const anthropic = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/messages",
      headers: { "x-api-key": daemon.token, "content-type": "application/json" },
      body: JSON.stringify({
        model: "chat",
        max_tokens: 2,
        messages,
        tools: tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: {} })),
      }),
    });
    assert.equal(anthropic.status, 400, anthropic.text.slice(0, 300));
    assert.equal(anthropic.body.type, "error");
    assert.match(anthropic.body.error.message, /characters/);
  });

  it("/v1/messages whose turns hold nothing a model reads → 400 in Anthropic's shape (was a 500)", async function () {
    for (const turns of [
      [{ role: "user", content: [] }],
      [{ role: "user", content: [{ type: "document", source: { type: "text", data: "x" } }] }],
      [
        { role: "system", content: "s" },
        { role: "user", content: [] },
      ],
    ]) {
      const res = await rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/messages",
        headers: { "x-api-key": daemon.token, "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", max_tokens: 2, messages: turns }),
      });
      assert.equal(res.status, 400, `${JSON.stringify(turns)}: ${res.text.slice(0, 300)}`);
      assert.equal(res.body.type, "error");
      assert.equal(res.body.error.type, "invalid_request_error");
    }
  });

  it("OTLP/JSON: attribute values nested 100 deep are answered at once, bounded (was 18 s building strings)", async function () {
    let value: unknown = { stringValue: '"'.repeat(100) };
    for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value, { stringValue: "x" }] } };
    const span = (v: unknown) => ({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "b7ad6b7169203331",
                  name: "nested",
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000001000000000",
                  attributes: [{ key: "a", value: v }],
                },
              ],
            },
          ],
        },
      ],
    });
    const deep = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/traces",
      headers: auth,
      body: JSON.stringify(span(value)),
      timeoutMs: 30_000,
    });
    assert.equal(deep.status, 400, deep.text.slice(0, 300));
    assert.match(deep.body.error.message, /jsonDepth/);
    // Within the JSON depth limit, but nested enough that stringifying per level doubled the text each time.
    value = { stringValue: '"'.repeat(1000) };
    for (let i = 0; i < 16; i++) value = { arrayValue: { values: [value, { stringValue: "x" }] } };
    const res = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/traces",
      headers: auth,
      body: JSON.stringify(span(value)),
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.deepEqual(res.body, { partialSuccess: {} });
    const trace = await rawRequest(daemon.url, {
      path: "/hotpath/traces/0af7651916cd43dd8448eb211c80319c",
      headers: auth,
    });
    assert.equal(trace.status, 200, trace.text.slice(0, 300));
    const stored = trace.body.spans.find((s: { spanId: string }) => s.spanId === "b7ad6b7169203331").attributes.a;
    // Values past 8 levels are dropped; what is kept is one JSON text, its quotes escaped once (2,000 + structure).
    assert.equal(typeof stored, "string");
    assert.ok(stored.length < 3000, `the attribute is ${stored.length} characters`);
    assert.ok(JSON.parse(stored).length === 2);
    await healthy();
  });
});
