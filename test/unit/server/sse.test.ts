// Streamed text frames cut from one serialised chunk are byte for byte what serialising each chunk whole gives; a
// streamed response whose client stops reading is cut after the stall time, one that reads through a backlog is not,
// and every frame reaches it before the end.
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { AnthropicStreamRenderer } from "../../../daemon/router/translate/stream.js";
import { endSse, sseFrame, startSse, textDeltaFrames, writeSseFrame } from "../../../daemon/server/sse.js";

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

  it("match Anthropic's content_block_delta, event name included, as the renderer gives it (the /v1/messages route)", () => {
    const renderer = new AnthropicStreamRenderer({ id: "msg_1", model: "m" });
    renderer.render({ type: "tool_call_delta", index: 0, id: "toolu_1", name: "f", arguments: "{}" });
    renderer.render({ type: "text", text: "opens block 1" });
    const block = renderer.textBlock;
    assert.equal(block, 1);
    const frame = textDeltaFrames(
      (text) => ({ type: "content_block_delta", index: block, delta: { type: "text_delta", text } }),
      "content_block_delta",
    );
    for (const text of texts.filter(Boolean)) {
      const rendered = renderer.render({ type: "text", text });
      assert.equal(rendered.length, 1);
      assert.equal(frame(text), sseFrame(rendered[0].data, rendered[0].event), JSON.stringify(text));
    }
  });
});

describe("server: a streamed response whose client stops reading", function () {
  // Loopback hands a steady reader's progress back in bursts ~0.5 s apart (window updates): the stall time here is
  // well above that, and far below the reader's time through its backlog.
  const STALL_MS = 1_500;
  let server: Server;
  let port: number;
  let onRequest: (res: ServerResponse) => void;

  before(async () => {
    server = createServer((_req, res) => onRequest(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends a GET with `Connection: close`; resolves with the socket (paused) and the first bytes of the answer. */
  const request = () =>
    new Promise<{ socket: Socket; first: number }>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
      );
      socket.once("data", (chunk: Buffer) => {
        socket.pause();
        resolve({ socket, first: chunk.length });
      });
      socket.once("error", reject);
    });

  /** Frames of 64 KiB, written at once (as the token loop writes: without waiting for the client). */
  const frame = `data: ${"x".repeat(64 * 1024)}\n\n`;

  it("is cut once nothing of what waits is taken for the stall time (its socket and buffered frames freed)", async function () {
    const FRAMES = 512;
    const closed = new Promise<void>((resolve) => {
      onRequest = (res) => {
        startSse(res, {}, STALL_MS);
        res.once("close", () => resolve());
        // 32 MiB: far more than loopback's kernel buffers hold, so most of it waits in Node.
        for (let i = 0; i < FRAMES; i++) writeSseFrame(res, frame);
        endSse(res);
      };
    });
    const { socket, first } = await request();
    const outcome = await Promise.race([
      closed.then(() => "closed"),
      new Promise<string>((r) => setTimeout(() => r("open"), 20 * STALL_MS)),
    ]);
    assert.equal(outcome, "closed", `the response was still open ${20 * STALL_MS} ms after the client stopped reading`);
    // What the client can still read is what the kernel had taken: less than the answer, then the connection's end.
    let bytes = first;
    socket.on("data", (chunk: Buffer) => (bytes += chunk.length));
    socket.on("error", () => {});
    await new Promise((r) => {
      socket.once("close", r);
      socket.resume();
    });
    assert.ok(bytes < FRAMES * frame.length, `the client read all ${bytes} bytes: nothing was cut`);
  });

  it("is not cut while the client reads steadily through a large backlog, nor while nothing is written", async function () {
    // 16 MiB written at once: a backlog far beyond the kernel's buffers, which the reader needs seconds to get through.
    const TOTAL = 256;
    const finished = new Promise<boolean>((resolve) => {
      onRequest = (res) => {
        startSse(res, {}, STALL_MS);
        // 'finish' before 'close': everything was handed to the kernel (a cut closes without it... or with it, when
        // Node fails the pending writes on destroy, so the bytes read are checked too).
        let done = false;
        res.once("finish", () => (done = true));
        res.once("close", () => resolve(done));
        // Nothing to send for a while (a long prefill): nothing waits, nothing to cut.
        setTimeout(() => {
          for (let i = 0; i < TOTAL; i++) writeSseFrame(res, frame);
          endSse(res);
        }, 3 * STALL_MS);
      };
    });
    const { socket, first } = await request();
    // One read (≤ 64 KiB) every 15 ms: ~4 s through the backlog, well past two stall checks.
    let bytes = first;
    const ended = new Promise<void>((resolve) => socket.once("end", resolve));
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), 15);
    });
    socket.resume();
    await ended;
    assert.equal(await finished, true, "the response was cut");
    assert.ok(bytes > TOTAL * frame.length, `read ${bytes} bytes`);
  });
});

describe("server: SSE frames on the wire", function () {
  let server: Server;
  let port: number;
  let onRequest: (res: ServerResponse) => void;

  before(async () => {
    server = createServer((_req, res) => onRequest(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends raw requests on one connection; resolves with everything read until the server closes it. */
  const exchange = (requests: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(requests));
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => (text += d));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
  /** The message bodies of a raw exchange, headers (with their Date) left out. */
  const bodies = (raw: string) =>
    raw
      .split(/HTTP\/1\.[01] 200 OK\r\n/)
      .slice(1)
      .map((m) => m.slice(m.indexOf("\r\n\r\n") + 4));

  // Frames in separate turns, then several in one turn (the end of a stream), multi-byte text included.
  const frames = texts.map((t) => sseFrame(chunk("m")(t)));
  const stream = async (res: ServerResponse, write: (res: ServerResponse, frame: string) => void) => {
    for (const f of frames.slice(0, -3)) {
      write(res, f);
      await new Promise((r) => setImmediate(r));
    }
    for (const f of frames.slice(-3)) write(res, f);
  };

  for (const [version, close] of [
    ["1.1", false],
    ["1.1", true],
    ["1.0", true],
  ] as const) {
    it(`are the bytes res.write sends (HTTP/${version}${close ? ", Connection: close" : ", keep-alive"})`, async function () {
      const get = (path: string, last: boolean) =>
        `GET ${path} HTTP/${version}\r\nHost: 127.0.0.1:${port}\r\n${close || last ? "Connection: close\r\n" : ""}\r\n`;
      const requests = close ? get("/", true) : get("/", false) + get("/", true);
      let sse = true;
      onRequest = (res) => {
        if (sse) {
          startSse(res, {});
          void stream(res, writeSseFrame).then(() => endSse(res));
        } else {
          res.writeHead(200, {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
          });
          res.flushHeaders();
          void stream(res, (r, f) => r.write(f)).then(() => res.end());
        }
      };
      const ours = bodies(await exchange(requests));
      sse = false;
      const node = bodies(await exchange(requests));
      assert.equal(ours.length, close ? 1 : 2);
      assert.deepEqual(ours, node);
      // HTTP/1.1 is chunked: the frames are there once de-chunked, in order.
      if (version === "1.1") assert.match(ours[0], /^[0-9a-f]+\r\ndata: /);
      for (const body of ours) {
        const text = Buffer.from(body, "latin1").toString("utf8");
        let at = 0;
        for (const f of frames) {
          const i = text.indexOf(f, at);
          assert.ok(i >= at, `frame missing or out of order: ${JSON.stringify(f)}`);
          at = i + f.length;
        }
      }
    });
  }
});
