// Streamed answers and the connection they travel on (RFC 9112 §9.6): a client that sends `Connection: close` gets
// the connection closed after the last event, also when it read nothing while the tokens were made; without it the
// connection stays open for the next request. Raw sockets, so that nothing between the test and the daemon decides.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { chatModelPath } from "../../fixtures/models.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

/** The daemon keeps idle keep-alive sockets 65 s: an end well before that is the daemon closing on purpose. */
const END_WITHIN_MS = 15_000;

interface Answer {
  head: string;
  /** Everything after the head, still chunk-framed. */
  body: string;
  /** ms from the terminating chunk's arrival to the socket's end; undefined if it did not end in the time waited. */
  endAfterMs?: number;
}

function requestText(daemon: TestDaemon, path: string, body: unknown, connection?: string): string {
  const json = JSON.stringify(body);
  const host = new URL(daemon.url).host;
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${daemon.token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
    (connection ? `Connection: ${connection}\r\n` : "") +
    `\r\n${json}`
  );
}

/** Reads one chunked answer from the socket, then waits up to `waitEndMs` for the socket's end. */
function readAnswer(socket: Socket, waitEndMs = END_WITHIN_MS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let acc = "";
    let doneAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const split = () => {
      const at = acc.indexOf("\r\n\r\n");
      return { head: acc.slice(0, at), body: acc.slice(at + 4) };
    };
    const finish = (endAfterMs?: number) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      resolve({ ...split(), endAfterMs });
    };
    const onData = (chunk: string) => {
      acc += chunk;
      if (doneAt === undefined && /\r\n0\r\n\r\n$/.test(acc)) {
        doneAt = performance.now();
        timer = setTimeout(() => finish(undefined), waitEndMs);
      }
    };
    const onEnd = () => {
      if (doneAt === undefined) return reject(new Error(`the connection ended before the answer did:\n${acc}`));
      finish(performance.now() - doneAt);
    };
    socket.setEncoding("utf8");
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", reject);
  });
}

function open(daemon: TestDaemon): Promise<Socket> {
  const url = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("daemon: streamed answers and the connection", function () {
  let daemon: TestDaemon;
  const model = "chat";
  const streams: [string, string, unknown][] = [
    ["/v1/completions", "completions", { model, prompt: "Once upon a time", max_tokens: 24, temperature: 0 }],
    [
      "/v1/chat/completions",
      "chat",
      { model, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 24, temperature: 0 },
    ],
    [
      "/v1/messages",
      "messages",
      { model, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 24, temperature: 0 },
    ],
    ["/v1/responses", "responses", { model, input: "Once upon a time", max_output_tokens: 24, temperature: 0 }],
  ];

  before(async function () {
    daemon = await startDaemon({
      args: ["--model", `${model}=${chatModelPath()}`, "--no-response-cache"],
      waitForModels: [model],
    });
  });
  after(() => daemon?.dispose());

  for (const [path, name, body] of streams) {
    it(`${name}: Connection: close is answered with close after the last event`, async function () {
      const socket = await open(daemon);
      const answer = readAnswer(socket);
      socket.write(requestText(daemon, path, { ...(body as object), stream: true }, "close"));
      const { head, body: events, endAfterMs } = await answer;
      socket.destroy();
      assert.match(head, /^HTTP\/1\.1 200/);
      assert.match(head, /\r\ncontent-type: text\/event-stream/i);
      assert.match(head, /\r\nconnection: close\r?$/im, `the head promises keep-alive:\n${head}`);
      assert.match(events, /data: /);
      assert.ok(endAfterMs !== undefined, `the daemon kept the connection open ${END_WITHIN_MS} ms after the stream`);
    });
  }

  it("a client that reads nothing until the stream is done still gets the end (the serve bench's late reader)", async function () {
    const socket = await open(daemon);
    socket.write(requestText(daemon, "/v1/completions", { ...(streams[0][2] as object), stream: true }, "close"));
    socket.pause();
    // Well past the generation of 24 tokens: everything waits in the kernel's buffers, end of stream included.
    await new Promise((r) => setTimeout(r, 2_000));
    const answer = readAnswer(socket);
    socket.resume();
    const { body: events, endAfterMs } = await answer;
    socket.destroy();
    assert.match(events, /data: \[DONE\]/);
    assert.ok(endAfterMs !== undefined, `the daemon kept the connection open ${END_WITHIN_MS} ms after the stream`);
  });

  it("without Connection: close the connection stays open for the next request", async function () {
    const socket = await open(daemon);
    for (let i = 0; i < 2; i++) {
      // A second is long enough to see a close the daemon started at the end of the answer.
      const answer = readAnswer(socket, 1_000);
      socket.write(requestText(daemon, "/v1/completions", { ...(streams[0][2] as object), stream: true }));
      const { head, body: events, endAfterMs } = await answer;
      assert.match(head, /^HTTP\/1\.1 200/, `request ${i + 1}`);
      assert.doesNotMatch(head, /\r\nconnection: close/i, `request ${i + 1}`);
      assert.match(events, /data: \[DONE\]/, `request ${i + 1}`);
      assert.equal(endAfterMs, undefined, `request ${i + 1}: the connection ended`);
    }
    socket.destroy();
  });
});
