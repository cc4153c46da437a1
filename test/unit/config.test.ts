import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseModelFlag } from "../../daemon/config.js";

describe("config", function () {
  it("layers defaults < file < env < flags", function () {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-config-"));
    const file = join(dir, "hotpath.yaml");
    writeFileSync(file, "port: 9000\nthreads: 3\nsequences: 2\n");
    const c = loadConfig({ flags: { config: file, threads: 1 }, env: { HOTPATH_PORT: "9100", HOTPATH_DATA_DIR: dir } });
    assert.equal(c.port, 9100);
    assert.equal(c.threads, 1);
    assert.equal(c.sequences, 2);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.dataDir, dir);
  });

  it("threads: auto by default, a count or auto from file, env and flags", function () {
    assert.equal(loadConfig({ env: {} }).threads, "auto");
    assert.equal(loadConfig({ env: { HOTPATH_THREADS: "auto" } }).threads, "auto");
    assert.equal(loadConfig({ env: { HOTPATH_THREADS: "3" } }).threads, 3);
    assert.equal(loadConfig({ flags: { threads: "auto" }, env: { HOTPATH_THREADS: "3" } }).threads, "auto");
    assert.throws(() => loadConfig({ flags: { threads: 0 }, env: {} }), /threads/);
  });

  it("parses model flags with and without aliases", function () {
    assert.deepEqual(parseModelFlag("/m/stories260K.gguf"), { alias: "stories260K", source: "/m/stories260K.gguf" });
    assert.deepEqual(parseModelFlag("fast=/m/a.gguf"), { alias: "fast", source: "/m/a.gguf" });
    assert.deepEqual(parseModelFlag("hf:owner/repo/file.gguf"), { alias: "file", source: "hf:owner/repo/file.gguf" });
  });

  it("names every invalid field", function () {
    assert.throws(
      () => loadConfig({ flags: { port: 70000 }, env: { HOTPATH_THREADS: "zero" } }),
      (e: Error) => e instanceof ConfigError && /port/.test(e.message) && /threads/.test(e.message),
    );
    const dir = mkdtempSync(join(tmpdir(), "hotpath-config-"));
    writeFileSync(join(dir, "bad.yaml"), "port: [1, 2");
    assert.throws(() => loadConfig({ flags: { config: join(dir, "bad.yaml") }, env: {} }), /cannot parse config file/);
    assert.throws(
      () => loadConfig({ flags: { config: join(dir, "missing.json") }, env: {} }),
      /cannot read config file/,
    );
  });
});
