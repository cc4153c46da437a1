// The embedders, each real: USE lite from the npm package, a GGUF model through node-llama-cpp, and an
// OpenAI-compatible embeddings route (a local fake server speaking the real wire format, hostile answers included).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dot } from "../../../daemon/cache/embedder.js";
import { CloudEmbedder, OpenAiEmbeddingRoute } from "../../../daemon/cache/embedders/cloud.js";
import { GgufEmbedder } from "../../../daemon/cache/embedders/gguf.js";
import { embedderFromConfig } from "../../../daemon/cache/embedders/index.js";
import { CacheConfigSchema } from "../../../daemon/config.js";
import { embedder as use } from "./helpers.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const stories = resolve(repoRoot, "..", "shared", "models", "stories260K.gguf");

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe("cache embedders", function () {
  this.timeout(120_000);

  it("USE lite: 512-d unit vectors from the shipped weights; paraphrases closer than unrelated text", async () => {
    assert.match(use.id, /^use-lite@\d+\.\d+\.\d+$/);
    const [a, b, c] = await use.embed([
      "How do I reset my password?",
      "How can I reset my password?",
      "The mitochondria is the powerhouse of the cell.",
    ]);
    assert.equal(a.length, 512);
    assert.ok(Math.abs(norm(a) - 1) < 1e-5);
    assert.ok(dot(a, b) > 0.9);
    assert.ok(dot(a, c) < 0.5);
    assert.deepEqual(await use.embed([]), []);
    const [empty] = await use.embed([""]);
    assert.equal(empty.length, 512);
  });

  it("GGUF through node-llama-cpp: normalized vectors, id names the file, one at a time", async function () {
    if (!existsSync(stories)) return this.skip(); // needs ../shared/models/stories260K.gguf beside the repo
    const e = await GgufEmbedder.open({ modelPath: stories, threads: 2, gpu: false });
    try {
      assert.match(e.id, /^gguf:stories260K\.gguf#\d+$/);
      const [x, y] = await Promise.all([
        e.embed(["Once upon a time there was a cat."]),
        e.embed(["The dog ran home."]),
      ]);
      const dims = await e.dimensions();
      assert.ok(dims > 0 && x[0].length === dims && y[0].length === dims);
      assert.ok(Math.abs(norm(x[0]) - 1) < 1e-4);
      const [again] = await e.embed(["Once upon a time there was a cat."]);
      assert.ok(dot(x[0], again) > 0.999, "deterministic");
    } finally {
      await e.dispose();
    }
    await assert.rejects(GgufEmbedder.open({ modelPath: "/nonexistent/model.gguf" }), /embedding model not found/);
  });

  describe("OpenAI-compatible route", () => {
    let server: Server;
    let reply: (body: { input: string[]; model: string }, auth?: string) => { status: number; body: string };
    let base: string;
    before(async () => {
      server = createServer((req, res) => {
        let raw = "";
        req.on("data", (d) => (raw += d));
        req.on("end", () => {
          const r = reply(JSON.parse(raw), req.headers.authorization);
          res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    after(() => server.close());

    const ok = (vectors: number[][]) =>
      JSON.stringify({
        object: "list",
        model: "m",
        data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })).reverse(),
        usage: { prompt_tokens: 1, total_tokens: 1 },
      });

    it("embeds in input order (whatever order data comes in), normalized, with the key sent", async () => {
      let seenAuth: string | undefined;
      reply = (b, auth) => ((seenAuth = auth), { status: 200, body: ok(b.input.map((t) => [t.length, 0, 3, 4])) });
      const e = new CloudEmbedder(
        new OpenAiEmbeddingRoute({ baseUrl: base, model: "text-embedding-3-small", apiKey: "sk-test" }),
      );
      assert.match(e.id, /^cloud:127\.0\.0\.1:\d+\/text-embedding-3-small$/);
      const [a, b] = await e.embed(["ab", "abcd"]);
      assert.equal(seenAuth, "Bearer sk-test");
      assert.ok(Math.abs(norm(a) - 1) < 1e-6 && Math.abs(a[0] - 2 / Math.sqrt(4 + 9 + 16)) < 1e-6);
      assert.ok(Math.abs(b[0] - 4 / Math.sqrt(16 + 9 + 16)) < 1e-6);
      assert.equal(await e.dimensions(), 4);
    });

    const hostile: [string, () => { status: number; body: string }, RegExp][] = [
      ["an error status", () => ({ status: 500, body: '{"error":"boom"}' }), /answered 500/],
      ["non-JSON", () => ({ status: 200, body: "<html>" }), /non-JSON/],
      ["the wrong shape", () => ({ status: 200, body: '{"data":[{"vector":[1]}]}' }), /unexpected shape/],
      ["too few vectors", () => ({ status: 200, body: ok([[1, 2]]) }), /returned 1 vectors for 2 inputs/],
      [
        "vectors of differing length",
        () => ({
          status: 200,
          body: ok([
            [1, 2],
            [1, 2, 3],
          ]),
        }),
        /differing length/,
      ],
      [
        "a zero vector",
        () => ({
          status: 200,
          body: ok([
            [0, 0],
            [1, 1],
          ]),
        }),
        /zero or non-finite/,
      ],
      ["an oversized garbage body", () => ({ status: 200, body: "x".repeat(5_000_000) }), /non-JSON/],
    ];
    for (const [what, make, error] of hostile) {
      it(`refuses ${what} with a clear error`, async () => {
        reply = make;
        const e = new CloudEmbedder(new OpenAiEmbeddingRoute({ baseUrl: base, model: "m" }));
        await assert.rejects(e.embed(["a", "b"]), error);
      });
    }
  });

  it("picks the embedder from config, and says what is missing", async () => {
    assert.equal((await embedderFromConfig(CacheConfigSchema.parse({}))).id, use.id);
    await assert.rejects(embedderFromConfig(CacheConfigSchema.parse({ embedder: "gguf" })), /embeddingModel/);
    await assert.rejects(embedderFromConfig(CacheConfigSchema.parse({ embedder: "cloud" })), /cloudEmbeddings/);
    const cloud = await embedderFromConfig(
      CacheConfigSchema.parse({
        embedder: "cloud",
        cloudEmbeddings: { baseUrl: "http://127.0.0.1:9/v1", model: "m", apiKeyEnv: "X_KEY" },
      }),
      { env: { X_KEY: "k" } },
    );
    assert.equal(cloud.id, "cloud:127.0.0.1:9/m");
  });
});
