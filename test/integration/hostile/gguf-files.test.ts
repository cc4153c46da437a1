// Corrupt GGUF files dropped into <data-dir>/models (issue #15): truncated, wrong magic, empty, huge tensor and key
// counts, huge string lengths, a directory, a FIFO and a symlink loop named *.gguf, metadata llama.cpp would abort on.
// Listing the models and requesting each one gives a clear error naming the file and the problem; the daemon never
// crashes or hangs, and still serves the good model next to them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalModelStatus } from "../../../daemon/api.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { corruptModels, generatedModelPath } from "../../fixtures/models.js";
import { rawRequest } from "../../fixtures/raw-http.js";

/** A GGUF header by hand: magic, version, tensor count, key count, then `rest`. */
function header(tensors: bigint, keys: bigint, rest: Buffer = Buffer.alloc(0), version = 3): Buffer {
  const b = Buffer.alloc(24);
  b.write("GGUF", 0, "latin1");
  b.writeUInt32LE(version, 4);
  b.writeBigUInt64LE(tensors, 8);
  b.writeBigUInt64LE(keys, 16);
  return Buffer.concat([b, rest]);
}
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);

describe("hostile: corrupt GGUF files in the models folder (issue #15)", function () {
  this.timeout(300_000);
  let daemon: TestDaemon;
  let dataDir: string;
  let auth: Record<string, string>;
  const bad: string[] = [];

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), "hotpath-hostile-gguf-"));
    const models = join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    copyFileSync(generatedModelPath(), join(models, "good.gguf"));
    const corrupt = corruptModels(join(dataDir, "corrupt"));
    for (const [name, path] of Object.entries(corrupt)) {
      copyFileSync(path, join(models, `${name}.gguf`));
      bad.push(name);
    }
    const files: Record<string, Buffer> = {
      "tensor-count-2e63": header(1n << 63n, 0n),
      "key-count-max": header(0n, (1n << 64n) - 1n),
      "version-99": header(1n, 1n, Buffer.alloc(64), 99),
      // A key whose length says 2^60 bytes; a string array of 2^40 elements; an array of an unknown element type.
      "string-2e60": header(1n, 1n, Buffer.concat([u64(1n << 60n), Buffer.from("x")])),
      "array-2e40": header(1n, 1n, Buffer.concat([str("k"), u32(9), u32(8), u64(1n << 40n)])),
      "array-type-77": header(1n, 1n, Buffer.concat([str("k"), u32(9), u32(77), u64(3n)])),
      "value-type-77": header(1n, 1n, Buffer.concat([str("k"), u32(77)])),
      // A million tensors claimed, the header cut right after.
      "million-tensors": header(1_000_000n, 0n, Buffer.concat([str("t"), u32(1), u64(1n), u32(0), u64(0n)])),
      // 100,000 keys that are all the same small value (a header of 2 MB): read, then refused for what is missing.
      "many-keys": header(
        0n,
        100_000n,
        Buffer.concat(Array.from({ length: 100_000 }, (_, i) => Buffer.concat([str(`k${i}`), u32(4), u32(i)]))),
      ),
      zeros: Buffer.alloc(1 << 20),
    };
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(models, `${name}.gguf`), bytes);
      bad.push(name);
    }
    mkdirSync(join(models, "a-directory.gguf"));
    writeFileSync(join(models, "a-directory.gguf", "inside.gguf"), "x");
    symlinkSync(join(models, "loop.gguf"), join(models, "loop.gguf"));
    execFileSync("mkfifo", [join(models, "fifo.gguf")]);
    daemon = await startDaemon({ dataDir });
    auth = { authorization: `Bearer ${daemon.token}` };
  });
  after(async () => {
    await daemon?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const healthy = async () => {
    const h = await rawRequest(daemon.url, { path: "/healthz", timeoutMs: 10_000 });
    assert.equal(h.status, 200, "the daemon stopped answering");
  };

  it("lists the files that are files (not the directory, FIFO or symlink loop), each corrupt one with its problem", async () => {
    const list = await rawRequest(daemon.url, { path: "/v1/models", headers: auth, timeoutMs: 60_000 });
    assert.equal(list.status, 200, list.text.slice(0, 300));
    const ids = (list.body.data as { id: string }[]).map((m) => m.id).sort();
    assert.deepEqual(ids, ["good", ...bad].sort());
    const ps = await rawRequest(daemon.url, { path: "/hotpath/models", headers: auth, timeoutMs: 60_000 });
    assert.equal(ps.status, 200, ps.text.slice(0, 300));
    const byAlias = new Map((ps.body.data as LocalModelStatus[]).map((m) => [m.alias, m]));
    assert.equal(byAlias.get("good")?.fileError, undefined);
    for (const name of bad) {
      // Every file llama.cpp must not see is listed with what is wrong with it, before anything tries to load it.
      const m = byAlias.get(name);
      assert.ok(m, `${name} not described`);
      assert.equal(m.state, "unloaded");
      assert.match(
        m.fileError ?? "",
        /corrupt|truncated|not a GGUF|too small|version|lacks|no tensors|no general|unknown|unsupported|array of|string of|claims/,
        `${name}: ${JSON.stringify(m)}`,
      );
    }
    await healthy();
  });

  it("requesting each corrupt model: a 4xx/503 naming the file and the problem, never a crash or a hang", async () => {
    for (const name of bad) {
      const res = await rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ model: name, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
        timeoutMs: 60_000,
      });
      assert.ok(res.status >= 400 && res.status !== 500, `${name}: ${res.status} ${res.text.slice(0, 300)}`);
      assert.match(res.body.error.message, new RegExp(`${name}\\.gguf`), `${name}: ${res.body.error.message}`);
      const load = await rawRequest(daemon.url, {
        method: "POST",
        path: `/hotpath/models/${name}/load`,
        headers: auth,
        timeoutMs: 60_000,
      });
      assert.ok(load.status >= 400 && load.status !== 500, `${name} load: ${load.status} ${load.text.slice(0, 300)}`);
      await healthy();
    }
    for (const name of ["a-directory", "fifo", "loop"]) {
      const res = await rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ model: name, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
        timeoutMs: 60_000,
      });
      assert.equal(res.status, 404, `${name}: ${res.text.slice(0, 300)}`);
    }
  });

  it("the good model next to them still answers", async () => {
    const res = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "good", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
      timeoutMs: 120_000,
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
  });
});
