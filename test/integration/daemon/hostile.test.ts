// Issue #15's findings as regression tests against the real daemon binary: each case here was a 500, a frozen event
// loop, a file written by a request, or a Host check passed by a name a DNS-rebinding page could own.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { rawRequest } from "../../fixtures/raw-http.js";

const deepArray = (n: number) => "[".repeat(n) + "]".repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

function assertOpenAIError(body: any, code?: string) {
  assert.equal(typeof body?.error?.message, "string", JSON.stringify(body));
  assert.equal(typeof body.error.type, "string");
  assert.ok("code" in body.error && "param" in body.error, "code and param present");
  if (code) assert.equal(body.error.code, code, JSON.stringify(body));
}
function assertAnthropicError(body: any, type?: string) {
  assert.equal(body?.type, "error", JSON.stringify(body));
  assert.equal(typeof body.error?.message, "string");
  if (type) assert.equal(body.error.type, type);
}

describe("daemon: hostile and heavy input (issue #15)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;
  const post = (path: string, body: string | object, headers: Record<string, string> = {}) =>
    rawRequest(daemon.url, {
      method: "POST",
      path,
      headers: { ...auth, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const messages = [{ role: "user", content: "hi" }];

  before(async function () {
    daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: ["chat"] });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(() => daemon?.dispose());
  afterEach(async function () {
    const res = await post("/v1/chat/completions", { model: "chat", messages, max_tokens: 2 });
    assert.equal(res.status, 200, `the daemon stopped answering chats: ${res.text}`);
  });

  it("JSON nested 10,000 deep → 400 naming the limit, wherever it is", async function () {
    const cases: [string, string][] = [
      [
        "/v1/chat/completions",
        `{"model":"chat","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deepObject(10_000)}}}]}`,
      ],
      [
        "/v1/chat/completions",
        `{"model":"chat","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deepObject(10_000)}}}}`,
      ],
      [
        "/v1/messages",
        `{"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":${deepObject(10_000)}}]}`,
      ],
      ["/hotpath/audit/run", `{"spec":{"promptText":"x","inputs":[{"user":"x","expect":${deepArray(10_000)}}]}}`],
    ];
    for (const [path, body] of cases) {
      const res = await post(path, body);
      assert.equal(res.status, 400, `${path}: ${res.status} ${res.text.slice(0, 300)}`);
      const message = path === "/v1/messages" ? res.body.error.message : res.body.error.message;
      assert.match(message, /jsonDepth/);
    }
    // Section text is a string: the JSON chat inside it is measured before it is parsed.
    const text = await post("/hotpath/audit/sections", { text: deepArray(10_000), fileName: "chat.json" });
    assert.equal(text.status, 400, text.text.slice(0, 300));
    assert.match(text.body.error.message, /jsonDepth/);
    const shallow = await post("/hotpath/audit/sections", { text: deepArray(10_000) });
    assert.ok(shallow.status < 500, shallow.text.slice(0, 300));
  });

  it("a 100,000-value enum is refused at once and /healthz keeps answering", async function () {
    const schema = {
      type: "object",
      properties: { v: { enum: Array.from({ length: 100_000 }, (_, i) => `value-${i}`) } },
    };
    const healthMs: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) {
        healthMs.push((await rawRequest(daemon.url, { path: "/healthz" })).ms);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const res = await post("/v1/chat/completions", {
      model: "chat",
      messages,
      max_tokens: 5,
      response_format: { type: "json_schema", json_schema: { name: "x", schema } },
    });
    done = true;
    await probe;
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assertOpenAIError(res.body, "limit_exceeded");
    assert.match(res.body.error.message, /schemaEnumValues = 1000/);
    // Bounded only when the machine is not shared with heavier work (then latency measures the neighbours).
    if (loadavg()[0] <= 2 * cpus().length)
      assert.ok(Math.max(...healthMs) < 1000, `/healthz took ${Math.max(...healthMs)} ms while the schema was handled`);
    // The largest accepted enum still works.
    const ok = {
      type: "object",
      properties: { v: { enum: Array.from({ length: 1000 }, (_, i) => `v${i}`) } },
      required: ["v"],
    };
    const accepted = await post("/v1/chat/completions", {
      model: "chat",
      messages,
      max_tokens: 20,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: ok } },
    });
    assert.equal(accepted.status, 200, accepted.text.slice(0, 300));
  });

  it("const/enum of an object or array is refused clearly; of primitives it is enforced", async function () {
    for (const schema of [
      { const: { a: 1 } },
      { enum: [{ a: 1 }, 2] },
      { type: "object", properties: { x: { const: [1] } } },
    ]) {
      const res = await post("/v1/chat/completions", {
        model: "chat",
        messages,
        max_tokens: 5,
        response_format: { type: "json_schema", json_schema: { name: "x", schema } },
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assertOpenAIError(res.body, "unsupported_schema");
      assert.match(res.body.error.message, /enum\/const value that is an? (object|array)/);
    }
    const ok = await post("/v1/chat/completions", {
      model: "chat",
      messages,
      max_tokens: 10,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { enum: ["yes", 2, null] } } },
    });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    assert.ok(
      ['"yes"', "2", "null"].includes(ok.body.choices[0].message.content.trim()),
      ok.body.choices[0].message.content,
    );
  });

  it("128 tools × 100 properties → 400 naming the limit; 128 × 30 overflowing the context → context_length_exceeded", async function () {
    const tools = (props: number) =>
      Array.from({ length: 128 }, (_, i) => ({
        type: "function",
        function: {
          name: `t${i}`,
          parameters: {
            type: "object",
            properties: Object.fromEntries(
              Array.from({ length: props }, (_, j) => [`p${j}`, { type: "string", description: "a field" }]),
            ),
          },
        },
      }));
    const big = await post("/v1/chat/completions", { model: "chat", messages, max_tokens: 5, tools: tools(100) });
    assert.equal(big.status, 400, big.text.slice(0, 300));
    assertOpenAIError(big.body, "limit_exceeded");
    for (const tool_choice of ["auto", "required"]) {
      const res = await post("/v1/chat/completions", {
        model: "chat",
        messages,
        max_tokens: 5,
        tools: tools(30),
        tool_choice,
      });
      assert.equal(res.status, 400, `${tool_choice}: ${res.text.slice(0, 300)}`);
      assertOpenAIError(res.body, "context_length_exceeded");
    }
    const tooMany = await post("/v1/chat/completions", { model: "chat", messages, tools: [...tools(1), ...tools(1)] });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /limit tools = 128/);
  });

  it("a model name over the limit → 400 naming it on every endpoint, and the cache records nothing for it", async function () {
    const model = "x".repeat(600_000);
    for (const [path, body] of [
      ["/v1/chat/completions", { model, messages }],
      ["/v1/completions", { model, prompt: "hi" }],
      ["/v1/embeddings", { model, input: "hi" }],
      ["/v1/responses", { model, input: "hi" }],
      ["/v1/messages", { model, max_tokens: 5, messages }],
    ] as const) {
      const res = await post(path, body);
      assert.equal(res.status, 400, `${path}: ${res.text.slice(0, 200)}`);
      assert.match(res.text, /limit modelName = 500/, path);
    }
    const stats = await rawRequest(daemon.url, { method: "GET", path: "/hotpath/cache/stats", headers: auth });
    assert.equal(stats.status, 200);
    for (const ns of stats.body.namespaces)
      assert.ok(ns.model.length <= 500, `a namespace for a ${ns.model.length}-character model`);
  });

  it("input longer than the context: OpenAI's context_length_exceeded, Anthropic's shape on /v1/messages, fast", async function () {
    const longText = "word ".repeat(1_000_000); // 5 MB
    const embeddings = await post("/v1/embeddings", { model: "chat", input: longText });
    assert.equal(embeddings.status, 400, embeddings.text.slice(0, 300));
    assertOpenAIError(embeddings.body, "context_length_exceeded");
    assert.equal(embeddings.body.error.param, "input");
    assert.ok(embeddings.ms < 5000, `refusing took ${embeddings.ms} ms`);
    const justOver = await post("/v1/embeddings", { model: "chat", input: ["fine", "word ".repeat(5000)] });
    assert.equal(justOver.status, 400, justOver.text.slice(0, 300));
    assert.equal(justOver.body.error.param, "input.1");
    const chat = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: longText }] });
    assert.equal(chat.status, 400);
    assertOpenAIError(chat.body, "context_length_exceeded");
    const anthropic = await post("/v1/messages", {
      model: "chat",
      max_tokens: 5,
      messages: [{ role: "user", content: longText }],
    });
    assert.equal(anthropic.status, 400);
    assertAnthropicError(anthropic.body, "invalid_request_error");
    assert.match(anthropic.body.error.message, /context/);
    const completion = await post("/v1/completions", { model: "chat", prompt: longText });
    assert.equal(completion.status, 400);
    assertOpenAIError(completion.body, "context_length_exceeded");
  });

  it("logprobs, top_logprobs and logit_bias are refused when asked for, accepted when they ask for nothing", async function () {
    for (const extra of [{ logprobs: true }, { logprobs: true, top_logprobs: 3 }, { logit_bias: { "50256": -100 } }]) {
      const res = await post("/v1/chat/completions", { model: "chat", messages, max_tokens: 2, ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.match(res.body.error.message, /not supported by Hotpath/);
    }
    const legacy = await post("/v1/completions", { model: "chat", prompt: "Once", max_tokens: 2, logprobs: 2 });
    assert.equal(legacy.status, 400);
    const none = await post("/v1/chat/completions", {
      model: "chat",
      messages,
      max_tokens: 2,
      logprobs: false,
      top_logprobs: 0,
      logit_bias: {},
    });
    assert.equal(none.status, 200, none.text);
  });

  it("malformed percent-escapes in a path → 400", async function () {
    for (const path of [
      "/hotpath/traces/%E0%A4%A",
      "/v1/models/%E0%A4%A",
      "/hotpath/audit/%E0%A4%A",
      "/hotpath/traces/%",
      "/hotpath/traces/%ZZ/analysis",
    ]) {
      const res = await rawRequest(daemon.url, { path, headers: auth });
      assert.equal(res.status, 400, `${path}: ${res.status} ${res.text}`);
      assertOpenAIError(res.body, "invalid_path");
    }
  });

  it("Host is exactly a loopback name with an optional port, on HTTP and the WebSocket", async function () {
    const refused = [
      "[::1].evil.com",
      "evil.com#.localhost",
      "[::1]:80.evil.com",
      "localhost.evil.com",
      "evil.com/.localhost",
      "localhost.",
      "127.0.0.1.nip.io",
    ];
    for (const host of refused) {
      const res = await rawRequest(daemon.url, { path: "/v1/models", headers: { ...auth, host } });
      assert.equal(res.status, 403, host);
      assertOpenAIError(res.body, "forbidden_host");
    }
    for (const host of ["localhost", "localhost:8642", "127.0.0.1:1", "[::1]:8642", "app.localhost"]) {
      assert.equal(
        (await rawRequest(daemon.url, { path: "/v1/models", headers: { ...auth, host } })).status,
        200,
        host,
      );
    }
    const wsUrl = `${daemon.url.replace("http", "ws")}/hotpath/events?token=${daemon.token}`;
    for (const host of ["[::1].evil.com", "evil.com#.localhost"]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers: { host } });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
        ws.on("error", () => undefined);
      });
      assert.equal(status, 403, host);
    }
  });

  it("Host/Origin refusals on /v1/messages come in Anthropic's error shape", async function () {
    const body = JSON.stringify({ model: "chat", max_tokens: 5, messages });
    const host = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/messages",
      headers: { ...auth, host: "evil.example" },
      body,
    });
    assert.equal(host.status, 403);
    assertAnthropicError(host.body, "permission_error");
    const origin = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/messages",
      headers: { ...auth, origin: "http://evil.example" },
      body,
    });
    assert.equal(origin.status, 403);
    assertAnthropicError(origin.body, "permission_error");
  });

  it("a compressed JSON body (a gzip bomb included) → 415, not inflated", async function () {
    const { gzipSync } = await import("node:zlib");
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    const res = await post("/v1/chat/completions", bomb as unknown as string, { "content-encoding": "gzip" });
    assert.equal(res.status, 415);
    assertOpenAIError(res.body, "unsupported_content_encoding");
  });

  it("audit run answers the same for an existing and a missing file given as model (no existence oracle)", async function () {
    const answers = [];
    for (const model of ["/etc/passwd", "/etc/no-such-file-here", "../../etc/hostname", "C:\\x\\y"]) {
      const res = await post("/hotpath/audit/run", {
        spec: { promptText: "Be brief.", inputs: ["hi"], samples: 1 },
        model,
      });
      answers.push([res.status, res.body.error?.code, String(res.body.error?.message).replace(model, "<model>")]);
    }
    assert.equal(answers[0][0], 400);
    for (const a of answers) assert.deepEqual(a, answers[0]);
  });

  it("an audit prompt or test input longer than the model's context → 400 before it is tokenized", async function () {
    // A GGUF tokenizes on the event loop: 150,000 characters held it ~0.6 s per request before this refusal.
    const long = "\\".repeat(150_000);
    const cases = [
      { spec: { promptText: long, inputs: ["hi"], samples: 1 }, model: "chat" },
      { spec: { promptText: "Be brief.", inputs: [long], samples: 1 }, model: "chat" },
    ];
    for (const body of cases) {
      const res = await post("/hotpath/audit/run", body);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assertOpenAIError(res.body, "invalid_audit");
      assert.match(res.body.error.message, /context can hold/);
    }
    const sections = await post("/hotpath/audit/sections", { text: long, fileName: "p.md", model: "chat" });
    assert.equal(sections.status, 400, sections.text.slice(0, 300));
    assert.match(sections.body.error.message, /context can hold/);
  });

  it("an audit js check cannot write a file through the daemon (the bundled sandbox worker)", async function () {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-escape-"));
    const target = join(dir, "pwned");
    try {
      const code = `const p = expect.constructor.constructor("return process")(); p.getBuiltinModule("fs").writeFileSync(${JSON.stringify(target)}, "x"); return true`;
      const spec = {
        promptText: "Answer in one word.",
        inputs: [{ user: "hi", expect: { a: 1 } }],
        samples: 1,
        checks: [{ type: "js", code }],
      };
      const started = await post("/hotpath/audit/run", { spec, model: "chat" });
      assert.equal(started.status, 202, started.text);
      let status: any;
      do {
        await new Promise((r) => setTimeout(r, 200));
        status = (await rawRequest(daemon.url, { path: `/hotpath/audit/${started.body.id}`, headers: auth })).body;
      } while (status.status === "running");
      assert.equal(status.status, "done", JSON.stringify(status).slice(0, 500));
      assert.equal(existsSync(target), false, "the audit's js check wrote a file on the host");
      assert.equal(status.report.baseline.quality, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
