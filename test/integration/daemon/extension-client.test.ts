// The extension's client (extension/client.ts) against the real daemon: a trace file's bytes uploaded as the
// "Import Trace" command sends them, answers and errors as the commands read them. The client sends over node:http
// (not fetch, which copied a large body before its first byte): what it sends must be what fetch sent.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { VIEW_ATTRIBUTE_CAPS } from "../../../daemon/traces/view-caps.js";
import { DaemonClient, DaemonHttpError } from "../../../extension/client.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/_trace-generators.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

describe("extension client against the daemon", function () {
  this.timeout(120_000);
  let daemon: TestDaemon;
  let client: DaemonClient;
  before(async () => {
    daemon = await startDaemon();
    client = new DaemonClient(daemon.url, () => daemon.token);
  });
  after(() => daemon?.dispose());

  it("imports a trace file's bytes as fetch did: the same traces, spans and analysis", async function () {
    for (const [name, text] of [
      ["session.jsonl", generateClaudeSession(20_000).replaceAll("bench-session", "client-session")],
      ["export.json", JSON.stringify(generateOtlpRequests(5000, 512, "c1".repeat(16)))],
      // Not ASCII: the bytes go as they are, not as text.
      ["small.jsonl", generateClaudeSession(40).replaceAll("bench-session", "client-ünï-€")],
    ] as const) {
      const bytes = new Uint8Array(Buffer.from(text));
      const viaClient = await client.importTrace(name, bytes);
      const analysis = await client.analysis(viaClient.traceIds[0]);
      const viaFetch = await (
        await daemon.fetch(`/hotpath/traces/import?name=${name}`, { method: "POST", body: bytes })
      ).json();
      assert.deepEqual(viaClient, viaFetch, name);
      const again = await (await daemon.fetch(`/hotpath/traces/${viaClient.traceIds[0]}/analysis`)).json();
      assert.deepEqual(analysis, again, `${name}: analysis`);
      assert.ok(viaClient.spanCount > 0, name);
      // A body given as text (the JSON requests) goes as its UTF-8 bytes.
      assert.deepEqual(await client.request("POST", `/hotpath/traces/import?name=${name}`, text), viaFetch, name);
    }
  });

  it("a trace's detail and analysis as the daemon's bytes (for a webview): what trace() and analysis() parse, each in a buffer of its own", async function () {
    for (const [name, text] of [
      ["bytes-small.jsonl", generateClaudeSession(3).replaceAll("bench-session", "client-bytes-small")],
      ["bytes-large.jsonl", generateClaudeSession(3000).replaceAll("bench-session", "client-bytes-large")],
    ] as const) {
      const { traceIds } = await client.importTrace(name, new Uint8Array(Buffer.from(text)));
      const id = traceIds[0]!;
      const detail = await client.traceJson(id, VIEW_ATTRIBUTE_CAPS);
      const analysis = await client.analysisJson(id);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(detail)), await client.trace(id, VIEW_ATTRIBUTE_CAPS), name);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(analysis)), await client.analysis(id), name);
      // A small answer read into a Buffer is a slice of Node's shared pool (whatever small Buffers the process made
      // beside it): a webview message would carry the whole pool.
      if (name === "bytes-small.jsonl")
        assert.ok(analysis.byteLength < 4096, `small enough for the pool: ${analysis.byteLength}`);
      for (const b of [detail, analysis]) {
        // VS Code's serializeWebviewMessage passes a view as bytes by its constructor's name: a Buffer goes as JSON.
        assert.equal(b.constructor.name, "Uint8Array", name);
        assert.equal(b.byteOffset, 0, name);
        assert.equal(b.byteLength, b.buffer.byteLength, `${name}: the buffer holds the answer alone`);
      }
    }
    await assert.rejects(client.traceJson("0".repeat(32)), (e) => e instanceof DaemonHttpError && e.status === 404);
    await assert.rejects(client.analysisJson("0".repeat(32)), (e) => e instanceof DaemonHttpError && e.status === 404);
  });

  it("a refused file, a wrong token: the daemon's status and message", async function () {
    await assert.rejects(client.importTrace("bad.jsonl", new Uint8Array(Buffer.from("{not json\n"))), (e) => {
      assert.ok(e instanceof DaemonHttpError);
      assert.equal(e.status, 400);
      assert.match(e.message, /failed with 400: bad\.jsonl: unrecognised trace format/);
      return true;
    });
    const stranger = new DaemonClient(daemon.url, () => "not-the-token");
    await assert.rejects(stranger.traces(1), (e) => e instanceof DaemonHttpError && e.status === 401);
    assert.equal((await client.health()).status, "ok");
  });

  it("no daemon, or no answer in time: says it is not reachable and why", async function () {
    // A port nothing listens on: one taken and let go.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const nobody = new DaemonClient(`http://127.0.0.1:${port}`, () => daemon.token);
    await assert.rejects(
      nobody.health(),
      /Hotpath daemon at http:\/\/127\.0\.0\.1:\d+ is not reachable \(.*ECONNREFUSED/,
    );
    // A 20k-span import takes the daemon far longer than 5 ms.
    const slow = new Uint8Array(Buffer.from(generateClaudeSession(20_000).replaceAll("bench-session", "client-late")));
    await assert.rejects(
      client.request("POST", "/hotpath/traces/import?name=late.jsonl", slow, 5),
      /is not reachable \(no answer within 0\.005 s\)/,
    );
    // The daemon is still there for the next request.
    assert.equal((await client.health()).status, "ok");
  });
});
