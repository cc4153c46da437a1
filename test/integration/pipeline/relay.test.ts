// Relaying an unstreamed same-format answer (server/relay.ts): it goes out whole at its final event — the pipeline has
// committed the span by then — not once the event streams below it have unwound.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatEvent } from "../../../daemon/chat.js";
import { relayWire } from "../../../daemon/server/relay.js";

describe("server/relay: an unstreamed answer", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** Serves one relay of `events`; a relay that throws before anything was sent answers 500. */
  async function relay(events: () => AsyncIterable<ChatEvent>): Promise<{ status: number; body: string }> {
    server = createServer((_req, res) => {
      relayWire(res, events(), { "x-hotpath-route": "fake:m" }, () => "").catch(() => {
        if (!res.headersSent) res.writeHead(500).end("relay failed");
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return { status: res.status, body: await res.text() };
  }

  const answer = JSON.stringify({ object: "chat.completion", choices: [{ message: { content: "hi" } }] });
  const head = { status: 200, headers: { "content-type": "application/json" } };

  it("is sent at the final event, before the stream under it ends", async () => {
    // What the stream does after its final event (closing a route, releasing a cache entry) no longer holds the
    // answer: here it fails, which before answered 500 although the whole answer and its span were there.
    const r = await relay(async function* () {
      yield { type: "wire", format: "openai.chat", data: answer, head };
      yield { type: "text", text: "hi" };
      yield { type: "done", finishReason: "stop" } as ChatEvent;
      throw new Error("the stream below failed after its final event");
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, answer);
  });

  it("without a final event is still sent whole when the stream ends", async () => {
    const r = await relay(async function* () {
      yield { type: "wire", format: "openai.chat", data: answer, head };
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, answer);
  });
});
