// Variants of issue #15's finding classes from a third, independent probe of the built daemon (new variants, not the
// issue's own examples): each case here went unanswered for hours, answered 500 for a client's mistake, or held the
// daemon in some other way.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { getLlama, type LlamaModel } from "node-llama-cpp";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { rawRequest } from "../../fixtures/raw-http.js";

describe("daemon: hostile input, third probe (issue #15)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;
  const post = (path: string, body: unknown, timeoutMs = 60_000) =>
    rawRequest(daemon.url, { method: "POST", path, headers: auth, body: JSON.stringify(body), timeoutMs });
  const healthy = async () => {
    const res = await rawRequest(daemon.url, { path: "/healthz", timeoutMs: 10_000 });
    assert.equal(res.status, 200, "the daemon stopped answering");
  };
  /** Inputs of `chars` characters of plain prose each. */
  const prose = (count: number, chars: number) =>
    Array.from({ length: count }, (_, i) =>
      `${i} ${"the cat sat on the mat. ".repeat(Math.ceil(chars / 24))}`.slice(0, chars),
    );

  before(async function () {
    daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: ["chat"] });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(() => daemon?.dispose());

  describe("embeddings", function () {
    it("2,048 inputs × 4 KB → 400 naming the limit within seconds (was never answered)", async function () {
      // Within OpenAI's 2,048 inputs and the body limit, every input within the context: ~3.5 M tokens, each
      // evaluated by the model one input at a time (~1,700 tokens took 27 s at load 12) — hours, unanswered.
      const res = await post("/v1/embeddings", { model: "chat", input: prose(2048, 4096) }, 120_000);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.error.code, "limit_exceeded");
      assert.match(res.body.error.message, /embedding(Tokens|Ms)/);
      await healthy();
    });

    it("a request the model cannot finish within embeddingMs is answered within it, not hours later", async function () {
      // 512 × 1 KB (~220,000 tokens, under embeddingTokens): refused once the inputs done so far project past the
      // budget. A machine fast enough to embed them all within it answers 200.
      const started = performance.now();
      const res = await post("/v1/embeddings", { model: "chat", input: prose(512, 1024) }, 240_000);
      const ms = performance.now() - started;
      if (res.status === 200) assert.equal(res.body.data.length, 512);
      else {
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.equal(res.body.error.code, "limit_exceeded");
        assert.match(res.body.error.message, /embeddingMs/);
      }
      assert.ok(ms < 180_000, `answered after ${Math.round(ms)} ms`);
    });

    it("a client that goes away frees the model: the next embeddings request is answered at once", async function () {
      // Disconnected clients' inputs were still embedded one by one, and every later embeddings request on the model
      // waited behind them (1 short input took 78 s behind a killed client's 16 × 4 KB).
      const controller = new AbortController();
      const abandoned = fetch(`${daemon.url}/v1/embeddings`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "chat", input: prose(256, 2048) }),
        signal: controller.signal,
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500));
      controller.abort();
      await abandoned;
      const res = await post("/v1/embeddings", { model: "chat", input: ["hi", "there"] }, 120_000);
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.body.data.length, 2);
      // One input of the abandoned request may still be in the model (an evaluation is not interrupted): at most
      // ~2,048 tokens' time, far below the abandoned request's 256 inputs.
      assert.ok(res.ms < 60_000, `answered after ${Math.round(res.ms)} ms`);
    });

    it("an input of the context's size or one less → context_length_exceeded, not 500", async function () {
      // The check counted the bare tokens; node-llama-cpp adds the model's start token and throws a plain Error when
      // the result reaches the context size, which became a 500 for inputs of exactly 2,047 and 2,048 tokens.
      const models = await rawRequest(daemon.url, { path: "/v1/models", headers: auth });
      const contextSize: number = models.body.data.find((m: { id: string }) => m.id === "chat").hotpath.contextSize;
      const limit = Math.min(contextSize, 2048);
      const llama = await getLlama({ gpu: false });
      const model = await llama.loadModel({ modelPath: chatModelPath(), vocabOnly: true });
      try {
        for (const tokens of [limit - 1, limit]) {
          const input = textOfTokens(model, tokens);
          const res = await post("/v1/embeddings", { model: "chat", input });
          // limit - 1 fits only a model that adds no start token.
          if (tokens < limit && res.status === 200) continue;
          assert.equal(res.status, 400, `${tokens} tokens: ${res.text.slice(0, 300)}`);
          assert.equal(res.body.error.code, "context_length_exceeded");
          assert.equal(res.body.error.param, "input");
        }
      } finally {
        await model.dispose();
      }
      await healthy();
    });
  });

  describe("connections", function () {
    /** Writes `text` on a fresh connection and resets it (RST) after `ms`. */
    const sendAndReset = (text: string, ms: number) =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(new URL(daemon.url).port), "127.0.0.1", () => {
          socket.write(text);
          const reset = () => socket.resetAndDestroy();
          if (ms === 0) reset();
          else setTimeout(reset, ms);
        });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
      });

    it("a WebSocket upgrade refused and reset by its client does not stop the daemon (any client, before auth)", async function () {
      // Node hands an upgrade's socket to the 'upgrade' listener without an error listener: the refusal written to a
      // socket the client had reset raised an unhandled 'error' (write ECONNRESET) and the process exited.
      const upgrade = (host: string, path: string, auth = "") =>
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${auth}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      for (const text of [
        upgrade("evil.com", "/hotpath/events"),
        upgrade("localhost", "/hotpath/events"),
        upgrade("localhost", "/elsewhere", `Authorization: Bearer ${daemon.token}\r\n`),
      ]) {
        for (const ms of [0, 0, 0, 1, 5]) await sendAndReset(text, ms);
        await new Promise((r) => setTimeout(r, 200));
        await healthy();
      }
    });

    it("a path that starts with // is a path, not a host; the bearer scheme is case-insensitive", async function () {
      const get = (target: string, authLine = `Authorization: Bearer ${daemon.token}`) =>
        new Promise<number>((resolve) => {
          const socket = connect(Number(new URL(daemon.url).port), "127.0.0.1");
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
          socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n${authLine}\r\nConnection: close\r\n\r\n`);
        });
      // `//evil.com/v1/models` was read as a scheme-relative URL and answered as /v1/models.
      assert.equal(await get("//evil.com/v1/models"), 404);
      assert.equal(await get("/v1/models"), 200);
      // `bearer <token>` was refused as a missing token (RFC 9110 §11.1: the scheme is case-insensitive).
      assert.equal(await get("/v1/models", `authorization: bearer ${daemon.token}`), 200);
      assert.equal(await get("/v1/models", `authorization: BEARER ${daemon.token}`), 200);
      assert.equal(await get("/v1/models", `authorization: bearer nope`), 401);
    });

    it("a trace upload cut off by its client does not stop the daemon", async function () {
      // The import's result was left unawaited once the upload failed, and rejected when its worker ended: an
      // unhandled rejection, which stops a Node process. Any client that gave up mid-upload did it.
      for (const ms of [5, 300]) {
        for (let i = 0; i < 3; i++) {
          await sendAndReset(
            `POST /hotpath/traces/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${daemon.token}\r\n` +
              `Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"resourceSpans":[`,
            ms,
          );
        }
      }
      await new Promise((r) => setTimeout(r, 2000));
      await healthy();
      const res = await rawRequest(daemon.url, {
        method: "POST",
        path: "/hotpath/traces/import",
        headers: auth,
        body: "{}",
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.error.code, "invalid_trace_file");
    });
  });

  /** A text that the model tokenizes into exactly `count` tokens (words added one at a time, then cut to fit). */
  function textOfTokens(model: LlamaModel, count: number): string {
    let lo = 1;
    let hi = count * 4;
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i % 97}`).join(" ");
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (model.tokenize(words(mid)).length < count) lo = mid + 1;
      else hi = mid;
    }
    let text = words(lo);
    while (model.tokenize(text).length > count) text = text.slice(0, -1);
    assert.equal(model.tokenize(text).length, count, "no text of exactly that many tokens");
    return text;
  }
});
