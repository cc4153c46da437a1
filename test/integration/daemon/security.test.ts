// Refusals come in OpenAI's error shape, and the daemon answers normally right after each.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import WebSocket from "ws";
import { chatModelPath } from "../../fixtures/models.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

/** node:http, because fetch will not send a forged Host header. */
function raw(
  daemon: TestDaemon,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: any; headers: Record<string, any> }> {
  const url = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers },
      (res) => {
        let data = "";
        res.on("data", (d) => (data += d));
        res.on("end", () => {
          let body: any = data;
          try {
            body = JSON.parse(data);
          } catch {}
          resolve({ status: res.statusCode!, body, headers: res.headers });
        });
      },
    );
    req.on("error", reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

function assertOpenAIError(body: any, code?: string) {
  assert.equal(typeof body.error?.message, "string");
  assert.equal(typeof body.error?.type, "string");
  assert.ok("code" in body.error && "param" in body.error, "code and param present");
  if (code) assert.equal(body.error.code, code);
}

describe("daemon: security and malformed input", function () {
  let daemon: TestDaemon;
  let auth: Record<string, string>;
  const chat = (body: unknown) => JSON.stringify(body);

  before(async function () {
    daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`, "--allow-origin", "vscode-webview://ok"],
      waitForModels: ["chat"],
    });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(() => daemon?.dispose());

  afterEach(async function () {
    // Whatever the last test sent, the daemon still answers normally.
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({ model: "chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it("writes the token file with mode 0600", function () {
    assert.equal(statSync(`${daemon.dataDir}/token`).mode & 0o777, 0o600);
    assert.ok(daemon.token.length >= 32);
  });

  it("/healthz needs no token and says only status, version and pid", async function () {
    const res = await raw(daemon, { path: "/healthz" });
    assert.equal(res.status, 200);
    // The pid lets `hotpath serve` name the daemon holding a port (#16); nothing else (models, paths) is said.
    assert.deepEqual(Object.keys(res.body).sort(), ["pid", "status", "version"]);
  });

  it("no token → 401, wrong token → 401", async function () {
    assertOpenAIError((await raw(daemon, { path: "/v1/models" })).body, "missing_token");
    const wrong = await raw(daemon, { path: "/v1/models", headers: { authorization: "Bearer hp_wrong" } });
    assert.equal(wrong.status, 401);
    assertOpenAIError(wrong.body, "invalid_token");
  });

  it("a foreign Host → 403, even on /healthz (DNS rebinding)", async function () {
    for (const path of ["/v1/models", "/healthz"]) {
      const res = await raw(daemon, { path, headers: { ...auth, host: "evil.example" } });
      assert.equal(res.status, 403);
      assertOpenAIError(res.body, "forbidden_host");
    }
    const ok = await raw(daemon, { path: "/v1/models", headers: { ...auth, host: "localhost:1234" } });
    assert.equal(ok.status, 200);
  });

  it("a foreign Origin → 403 without CORS headers; an allowed one passes", async function () {
    const res = await raw(daemon, { path: "/v1/models", headers: { ...auth, origin: "http://evil.example" } });
    assert.equal(res.status, 403);
    assertOpenAIError(res.body, "forbidden_origin");
    assert.equal(res.headers["access-control-allow-origin"], undefined);
    const ok = await raw(daemon, { path: "/v1/models", headers: { ...auth, origin: "vscode-webview://ok" } });
    assert.equal(ok.status, 200);
  });

  it("an 11 MB body → 413", async function () {
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: Buffer.alloc(11 * 1024 * 1024, 0x61),
    });
    assert.equal(res.status, 413);
    assertOpenAIError(res.body, "body_too_large");
  });

  it("an 11 MB body from fetch (still uploading when refused) gets its 413, not a broken pipe", async function () {
    const res = await daemon.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.alloc(11 * 1024 * 1024, 0x61),
    });
    assert.equal(res.status, 413);
    assertOpenAIError(await res.json(), "body_too_large");
  });

  it("a chunked body past the limit → 413", async function () {
    const url = new URL(daemon.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: "POST",
          path: "/v1/chat/completions",
          headers: { ...auth, "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on("error", () => resolve(413)); // the daemon may close the socket while we are still writing
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 12 && req.write(chunk)) sent++;
        if (sent < 12)
          req.once("drain", () => {
            sent++;
            pump();
          });
        else req.end();
      };
      pump();
      setTimeout(() => reject(new Error("no answer to an oversized chunked body")), 20_000);
    });
    assert.equal(status, 413);
  });

  it("a body that arrives after its head, in pieces, is read whole (one sent with its head is taken at once)", async function () {
    // The daemon takes a body that came in the same read as its head straight from the request's buffer (every other
    // request here); one still arriving is read as it comes.
    const url = new URL(daemon.url);
    const body = chat({ model: "chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, async () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: ${auth.authorization}\r\n` +
            `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`,
        );
        for (const piece of [body.slice(0, 10), body.slice(10, 30), body.slice(30)]) {
          await new Promise((r) => setTimeout(r, 50));
          socket.write(piece);
        }
      });
      let text = "";
      socket.on("data", (d) => (text += d));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"object":"chat\.completion"/);
  });

  it("malformed JSON → 400", async function () {
    const res = await raw(daemon, { method: "POST", path: "/v1/chat/completions", headers: auth, body: "{" });
    assert.equal(res.status, 400);
    assertOpenAIError(res.body, "invalid_json");
  });

  it("a body that is not UTF-8 → 400, not decoded with U+FFFD into a different request (fuzz seed 15 #1183)", async function () {
    // The cut sequence E2 82 made "max_output_tokens" an unknown key: decoded leniently the request ran with no cap and
    // generated to the end of the context (minutes under load) instead of 2 tokens.
    const bad = Buffer.concat([
      Buffer.from('{"model":"chat","input":"hi","'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('max_output_tokens":2}'),
    ]);
    const res = await raw(daemon, { method: "POST", path: "/v1/responses", headers: auth, body: bad });
    assert.equal(res.status, 400);
    assertOpenAIError(res.body, "invalid_json");
    assert.match(res.body.error.message, /UTF-8/);
    const lone = Buffer.concat([
      Buffer.from('{"model":"chat","max_tokens":2,"messages":[{"role":"user","content":"'),
      Buffer.from([0xff]),
      Buffer.from('"}]}'),
    ]);
    const messages = await raw(daemon, { method: "POST", path: "/v1/messages", headers: auth, body: lone });
    assert.equal(messages.status, 400);
    assert.equal(messages.body.type, "error");
    assert.match(messages.body.error.message, /UTF-8/);
    // Valid multi-byte text is still accepted.
    const ok = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: Buffer.from(chat({ model: "chat", max_tokens: 2, messages: [{ role: "user", content: "héllo €😀" }] })),
    });
    assert.equal(ok.status, 200);
  });

  it("wrong types → 400 naming the field", async function () {
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({ model: 3, messages: "hi", temperature: "hot" }),
    });
    assert.equal(res.status, 400);
    assertOpenAIError(res.body, "invalid_value");
    assert.match(res.body.error.message, /model/);
    assert.match(res.body.error.message, /messages/);
    assert.match(res.body.error.message, /temperature/);
  });

  it("hostile values → 400, not a crash", async function () {
    const msg = '"model":"chat","messages":[{"role":"user","content":"x"}],"max_tokens":2';
    const cases = [
      '{"model":"chat","messages":[{"role":"wizard","content":"x"}]}',
      `{${msg.replace('"max_tokens":2', '"max_tokens":-5')}}`,
      `{${msg},"temperature":1e309}`,
      `{${msg},"n":3}`,
      `{${msg},"tools":[{"type":"function","function":{"name":"bad name!"}}]}`,
      `{${msg},"stop":["a","b","c","d","e"]}`,
      `{${msg},"tool_choice":{"type":"function","function":{"name":"ghost"}},"tools":[{"type":"function","function":{"name":"real"}}]}`,
      `{${msg},"tool_choice":"required"}`,
      `{${msg},"messages":[{"role":"user","content":{"nested":{"deep":[[[[[[]]]]]]}}}]}`,
      "[]",
      '"just a string"',
      "null",
      "\u0000\u0001binary",
    ];
    for (const body of cases) {
      const res = await raw(daemon, { method: "POST", path: "/v1/chat/completions", headers: auth, body });
      assert.equal(res.status, 400, `${body} → ${res.status} ${JSON.stringify(res.body)}`);
      assertOpenAIError(res.body);
    }
    // A __proto__ key is an ignored unknown field: it must not pollute anything.
    const proto = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: `{${msg},"__proto__":{"polluted":true}}`,
    });
    assert.equal(proto.status, 200);
    assert.equal(({} as any).polluted, undefined);
  });

  it("a prompt longer than the context → 400 context_length_exceeded", async function () {
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({ model: "chat", messages: [{ role: "user", content: "word ".repeat(20000) }] }),
    });
    assert.equal(res.status, 400);
    assertOpenAIError(res.body, "context_length_exceeded");
  });

  it("images on a local text model → 400 with what to do", async function () {
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({
        model: "chat",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
        ],
      }),
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /text only/);
  });

  it("unknown model → 404, unknown path → 404, wrong method → 405", async function () {
    const model = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(model.status, 404);
    assertOpenAIError(model.body, "model_not_found");
    assert.equal((await raw(daemon, { path: "/v2/nothing", headers: auth })).status, 404);
    assert.equal((await raw(daemon, { method: "DELETE", path: "/v1/models", headers: auth })).status, 405);
  });

  it("bad priority header → 400", async function () {
    const res = await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...auth, "x-hotpath-priority": "urgent!!" },
      body: chat({ model: "chat", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 400);
    assertOpenAIError(res.body, "invalid_priority");
  });

  it("the events WebSocket needs the token", async function () {
    const wsUrl = daemon.url.replace("http", "ws") + "/hotpath/events";
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
      ws.on("open", () => resolve(101));
      ws.on("error", () => {});
    });
    assert.equal(refused, 401);
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${daemon.token}` } });
    await new Promise((resolve, reject) => {
      ws.on("open", resolve);
      ws.on("error", reject);
    });
    const finished = new Promise<any>((resolve) =>
      ws.on("message", (m) => {
        const e = JSON.parse(String(m));
        if (e.type === "request.finished") resolve(e);
      }),
    );
    await raw(daemon, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: chat({ model: "chat", messages: [{ role: "user", content: "event" }], max_tokens: 2 }),
    });
    const event = await finished;
    assert.equal(event.status, 200);
    assert.equal(typeof event.timings.ttft_ms, "number");
    ws.close();
  });

  it("/hotpath/stats reports each model and the window's serving facts; a bad window → 400", async function () {
    const res = await daemon.fetch("/hotpath/stats?window=600");
    assert.equal(res.status, 200);
    const stats = (await res.json()) as any;
    assert.equal(stats.models[0].alias, "chat");
    assert.equal(stats.models[0].state, "ready");
    assert.ok(stats.models[0].sequences >= 1);
    assert.ok(stats.window.requests >= 1, "earlier requests of this suite are counted");
    assert.ok(stats.window.completionTokens >= 1);
    assert.equal(typeof stats.window.ttftMs.p50, "number");
    for (const bad of ["0", "-3", "abc", "1e12"])
      assert.equal((await daemon.fetch(`/hotpath/stats?window=${bad}`)).status, 400, bad);
  });

  it("/metrics speaks Prometheus text with request counters and latency histograms", async function () {
    const res = await daemon.fetch("/metrics");
    const text = await res.text();
    assert.match(text, /hotpath_requests_total\{endpoint="chat",route="local:chat",status="200"\} \d+/);
    assert.match(text, /hotpath_ttft_seconds_bucket/);
    assert.match(text, /hotpath_queue_depth\{model="chat",priority="interactive"\} 0/);
  });
});
