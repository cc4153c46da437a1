// Models on demand in the real daemon: a GGUF in <data-dir>/models is known without loading, loads on its first
// request, unloads after the keep-alive (the flag's, or a request's keep_alive), and can be loaded, unloaded and
// pulled through the admin routes with model.state / model.pull events.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath, generatedModelPath } from "../../fixtures/models.js";
import { serveFile } from "../../fixtures/range-server.js";

type Listed = { id: string; hotpath?: { loaded?: boolean; state?: string } };

async function listed(daemon: TestDaemon, alias: string): Promise<Listed | undefined> {
  const body = (await (await daemon.fetch("/v1/models")).json()) as { data: Listed[] };
  return body.data.find((m) => m.id === alias);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const chat = (daemon: TestDaemon, model: string, extra: object = {}) =>
  daemon.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Once upon" }], max_tokens: 4, ...extra }),
  });

/** A data dir whose models/ holds a copy of the chat model (or `model`) as <alias>.gguf. */
function dataDirWith(alias: string, model = chatModelPath()): string {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-ondemand-"));
  mkdirSync(join(dir, "models"));
  copyFileSync(model, join(dir, "models", `${alias}.gguf`));
  return dir;
}

function events(daemon: TestDaemon): Promise<{ list: any[]; close: () => void }> {
  const ws = new WebSocket(`${daemon.url.replace("http", "ws")}/hotpath/events`, {
    headers: { authorization: `Bearer ${daemon.token}` },
  });
  const list: any[] = [];
  ws.on("message", (m) => list.push(JSON.parse(String(m))));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ list, close: () => ws.close() }));
    ws.once("error", reject);
  });
}

describe("models: on demand", function () {
  let dataDir: string;
  let daemon: TestDaemon | undefined;
  afterEach(async () => {
    await daemon?.dispose();
    daemon = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a model in the data dir is listed unloaded, loads on its first request and unloads after --keep-alive", async function () {
    dataDir = dataDirWith("tiny");
    daemon = await startDaemon({ dataDir, args: ["--keep-alive", "2s"] });
    const feed = await events(daemon);
    assert.deepEqual((await listed(daemon, "tiny"))?.hotpath, {
      route: "local:tiny",
      loaded: false,
      state: "unloaded",
    });
    const res = await chat(daemon, "tiny");
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await listed(daemon, "tiny"))?.hotpath?.loaded, true, "loaded by the request");
    const ps = (await (await daemon.fetch("/hotpath/models")).json()) as { data: any[] };
    const tiny = ps.data.find((m) => m.alias === "tiny");
    assert.equal(tiny.state, "ready");
    assert.equal(tiny.origin, "data-dir");
    assert.ok(tiny.memoryBytes > 0 && tiny.threads.decode >= 1 && tiny.keepAliveMs === 2000, JSON.stringify(tiny));
    assert.ok(tiny.expiresAt > Date.now(), "an idle timer is set");
    // "unloaded", not just not loaded: while it is "unloading" (a few ms) the unloaded event has not been sent yet.
    await until(
      "the idle model is unloaded",
      async () => (await listed(daemon!, "tiny"))?.hotpath?.state === "unloaded",
    );
    const states = feed.list
      .filter((e) => e.type === "model.state" && e.alias === "tiny")
      .map((e) => `${e.state}/${e.reason}`);
    assert.deepEqual(states, ["loading/request", "ready/request", "unloading/idle", "unloaded/idle"]);
    feed.close();
    // And loads again on the next request.
    assert.equal((await chat(daemon, "tiny")).status, 200);
    assert.equal((await listed(daemon, "tiny"))?.hotpath?.loaded, true);
  });

  it("a ChatML model (chat wrapper resolved in a worker) unloads after its keep-alive, and the daemon stops promptly", async function () {
    // The generated model has a ChatML template: its wrapper is resolved in a worker while the weights load.
    dataDir = dataDirWith("chatml", generatedModelPath());
    daemon = await startDaemon({ dataDir, args: ["--keep-alive", "1s"] });
    const feed = await events(daemon);
    for (let round = 0; round < 2; round++) {
      assert.equal((await chat(daemon, "chatml")).status, 200);
      await until(
        "the idle model is unloaded",
        async () => (await listed(daemon!, "chatml"))?.hotpath?.state === "unloaded",
      );
    }
    const states = feed.list.filter((e) => e.type === "model.state" && e.alias === "chatml").map((e) => e.state);
    assert.deepEqual(states, [
      "loading",
      "ready",
      "unloading",
      "unloaded",
      "loading",
      "ready",
      "unloading",
      "unloaded",
    ]);
    // With the events client still connected.
    const started = Date.now();
    const exit = await Promise.race([
      daemon.stop(),
      new Promise<string>((r) => setTimeout(() => r("still running after 20 s"), 20_000)),
    ]);
    assert.equal(exit, 0, daemon.output());
    console.log(`      stopped in ${Date.now() - started} ms`);
    feed.close();
  });

  it("a request's keep_alive decides: 0 unloads after the answer, a longer one outlives the default", async function () {
    dataDir = dataDirWith("tiny");
    daemon = await startDaemon({ dataDir, args: ["--keep-alive", "1s"] });
    assert.equal((await chat(daemon, "tiny", { keep_alive: "1h" })).status, 200);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await listed(daemon, "tiny"))?.hotpath?.loaded, true, "kept past the 1 s default");
    assert.equal((await chat(daemon, "tiny", { keep_alive: 0, stream: true })).status, 200);
    await until(
      "keep_alive 0 unloads it",
      async () => (await listed(daemon!, "tiny"))?.hotpath?.loaded === false,
      5000,
    );
    // Embeddings load the model too, and honour their keep_alive.
    const embedded = await daemon.fetch("/v1/embeddings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", input: "Once upon a time", keep_alive: 0 }),
    });
    assert.equal(embedded.status, 200, await embedded.clone().text());
    await until(
      "the embedding's keep_alive 0 unloads it",
      async () => (await listed(daemon!, "tiny"))?.hotpath?.loaded === false,
      5000,
    );
    const bad = await chat(daemon, "tiny", { keep_alive: "soon" });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as any).error.message, /keep_alive/);
  });

  it("admin routes load and unload a model; a file added to the data dir is known without a restart", async function () {
    dataDir = dataDirWith("first");
    daemon = await startDaemon({ dataDir, args: ["--keep-alive", "-1"] });
    copyFileSync(chatModelPath(), join(dataDir, "models", "second.gguf"));
    assert.equal((await listed(daemon, "second"))?.hotpath?.state, "unloaded");
    const load = await daemon.fetch("/hotpath/models/second/load", { method: "POST" });
    assert.equal(load.status, 200);
    assert.equal(((await load.json()) as any).state, "ready");
    assert.equal((await listed(daemon, "second"))?.hotpath?.loaded, true);
    const unload = await daemon.fetch("/hotpath/models/second/unload", { method: "POST" });
    assert.equal(((await unload.json()) as any).state, "unloaded");
    const missing = await daemon.fetch("/hotpath/models/nope/load", { method: "POST" });
    assert.equal(missing.status, 404);
    // A deleted pulled file: gone from the list.
    const del = await daemon.fetch("/hotpath/models/second", { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.equal(existsSync(join(dataDir, "models", "second.gguf")), false);
    assert.equal(await listed(daemon, "second"), undefined);
  });

  it("pulls a model through the daemon with model.pull progress events, then serves it on demand", async function () {
    dataDir = mkdtempSync(join(tmpdir(), "hotpath-ondemand-"));
    const data = readFileSync(chatModelPath());
    const host = await serveFile(data, "/org/repo/pulled-chat.gguf");
    try {
      daemon = await startDaemon({ dataDir });
      const feed = await events(daemon);
      const res = await daemon.fetch("/hotpath/models/pull", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source: host.url }),
      });
      assert.equal(res.status, 202);
      const { id } = (await res.json()) as { id: string };
      await until("the pull is done", async () =>
        feed.list.some((e) => e.type === "model.pull" && e.id === id && e.state !== "downloading"),
      );
      const done = feed.list.find((e) => e.type === "model.pull" && e.id === id && e.state !== "downloading");
      assert.equal(done.state, "done", JSON.stringify(done));
      assert.equal(done.alias, "pulled-chat");
      assert.equal(done.totalBytes, data.length);
      assert.ok(readFileSync(join(dataDir, "models", "pulled-chat.gguf")).equals(data));
      feed.close();
      assert.equal((await chat(daemon, "pulled-chat")).status, 200);
      const bad = await daemon.fetch("/hotpath/models/pull", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source: "ftp://example/x.gguf" }),
      });
      assert.equal(bad.status, 400);
    } finally {
      await host.close();
    }
  });
});
