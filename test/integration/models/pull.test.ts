// `hotpath pull`'s downloader against a local model host: a cut connection is retried, an interrupted pull resumes
// from its partial file, and the result is byte-identical to what the host serves.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pullModel, PullCancelledError } from "../../../daemon/models/pull.js";
import { generatedModelPath } from "../../fixtures/models.js";
import { serveFile } from "../../fixtures/range-server.js";

// Bigger than three of ipull's 5 MiB chunks, so that a pull has finished chunks to keep when it stops.
const MODEL = { seed: 3, targetBytes: 16e6, type: "q8_0" } as const;

describe("models: pull", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-pull-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("retries a connection cut mid-way and ends with the exact file, reporting progress", async function () {
    const data = readFileSync(generatedModelPath(MODEL));
    const host = await serveFile(data, "/org/repo/cut-model.gguf", { cuts: 1 });
    try {
      const progress: number[] = [];
      const pulled = await pullModel({
        source: host.url,
        dir,
        onProgress: (p) => progress.push(p.downloadedBytes),
      });
      assert.equal(pulled.path, join(dir, "cut-model.gguf"));
      assert.equal(pulled.alias, "cut-model");
      assert.ok(readFileSync(pulled.path).equals(data), "byte-identical to the served file");
      const ranged = host.requests.filter((r) => r.range);
      const cut = ranged.find((r) => r.sent < data.length && ranged.filter((o) => o.range === r.range).length > 1);
      assert.ok(cut, `the cut range was asked for again: ${JSON.stringify(host.requests)}`);
      assert.ok(progress.length > 1 && progress.at(-1)! <= data.length, "progress reported");
      assert.deepEqual(readdirSync(dir), ["cut-model.gguf"], "no partial file left behind");
    } finally {
      await host.close();
    }
  });

  it("an interrupted pull leaves its partial file and the next pull resumes it instead of starting over", async function () {
    const data = readFileSync(generatedModelPath(MODEL));
    // The first two chunks arrive at once, the rest slowly: the pull is stopped with finished chunks on disk.
    const host = await serveFile(data, "/org/repo/resumed.gguf", { slowMsPerMiB: 600, slowFrom: 10 * 1024 * 1024 });
    try {
      const stop = new AbortController();
      // Stopped once a finished chunk is on disk (the partial file exists) and the slow part is under way.
      const watch = setInterval(() => {
        const slow = host.requests.find((r) => r.range?.startsWith(`bytes=${10 * 1024 * 1024}-`));
        if (slow && slow.sent >= 1024 * 1024 && existsSync(join(dir, "resumed.gguf.ipull"))) stop.abort();
      }, 50);
      await assert
        .rejects(pullModel({ source: host.url, dir, signal: stop.signal }), PullCancelledError)
        .finally(() => clearInterval(watch));
      await new Promise((r) => setTimeout(r, 300)); // the cancelled streams close
      assert.ok(
        existsSync(join(dir, "resumed.gguf.ipull")),
        `partial file kept: ${readdirSync(dir)} ${JSON.stringify(host.requests)}`,
      );
      const before = host.requests.length;
      const pulled = await pullModel({ source: host.url, dir });
      const second = host.requests.slice(before).filter((r) => r.method === "GET" && r.range);
      const asked = second.reduce((n, r) => {
        const [, a, b] = /bytes=(\d+)-(\d*)/.exec(r.range!)!;
        return n + (b ? Number(b) : data.length - 1) - Number(a) + 1;
      }, 0);
      assert.ok(asked < data.length, `the second pull asked for ${asked} of ${data.length} bytes`);
      assert.ok(readFileSync(pulled.path).equals(data), "byte-identical to the served file");
      assert.deepEqual(readdirSync(dir), ["resumed.gguf"]);
    } finally {
      await host.close();
    }
  });

  it("refuses a download that is not a GGUF, naming the problem", async function () {
    const host = await serveFile(Buffer.from("<html>404 — not here</html>".repeat(100)), "/bad/page.gguf");
    try {
      await assert.rejects(pullModel({ source: host.url, dir }), /not a loadable GGUF model/);
    } finally {
      await host.close();
    }
  });
});
