// `hotpath pull | list | ps | rm` as a user runs them: the built CLI against a local model host and a real daemon.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath } from "../../fixtures/models.js";
import { serveFile } from "../../fixtures/range-server.js";

const run = promisify(execFile);
const hotpath = (dataDir: string, ...args: string[]) =>
  run(process.execPath, [DAEMON_BIN, ...args, "--data-dir", dataDir], { encoding: "utf8" });

describe("models: pull, list, ps, rm (CLI)", function () {
  let dataDir: string;
  let daemon: TestDaemon | undefined;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), "hotpath-models-cli-"))));
  afterEach(async () => {
    await daemon?.dispose();
    daemon = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("pulls with progress, lists with size and quantisation, shows the loaded model in ps, removes it", async function () {
    const data = readFileSync(chatModelPath());
    const host = await serveFile(data, "/org/repo/story.gguf");
    try {
      const pulled = await hotpath(dataDir, "pull", host.url);
      assert.match(pulled.stderr, /pulling .*story\.gguf: .* of /, "progress lines without a terminal");
      assert.match(pulled.stdout, /model "story"/);
      assert.ok(readFileSync(join(dataDir, "models", "story.gguf")).equals(data));

      const list = (await hotpath(dataDir, "list")).stdout;
      assert.match(list, /^MODEL\s+SIZE\s+QUANT\s+SOURCE/);
      assert.match(list, /^story\s+\d[\d.]* [kMG]?B\s+(F32|F16|BF16|Q\w+)\s+\S+story\.gguf$/m);
      const listed = JSON.parse((await hotpath(dataDir, "list", "--json")).stdout);
      assert.equal(listed[0].fileBytes, data.length);

      daemon = await startDaemon({ dataDir, args: ["--keep-alive", "5m"] });
      assert.match((await hotpath(dataDir, "ps")).stdout, /no model is loaded \(1 known: story\)/);
      const res = await daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "story", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }),
      });
      assert.equal(res.status, 200);
      const ps = (await hotpath(dataDir, "ps")).stdout;
      assert.match(ps, /^MODEL\s+STATE\s+MEMORY\s+PROCESSOR\s+THREADS\s+IDLE\s+UNLOADS/);
      assert.match(ps, /^story\s+ready\s+\d[\d.]* [kMG]?B\s+CPU\s+\d+\/\d+\s+\S+.*\s+in \d/m);

      const rm = await hotpath(dataDir, "rm", "story");
      assert.match(rm.stdout, /deleted .*story\.gguf \(unloaded from the daemon/);
      assert.equal(existsSync(join(dataDir, "models", "story.gguf")), false);
      await assert.rejects(hotpath(dataDir, "rm", "story"), /no model "story" here/);
    } finally {
      await host.close();
    }
  });

  it("refuses what it cannot pull or remove, saying what to do", async function () {
    await assert.rejects(hotpath(dataDir, "pull", "/some/file.gguf"), /not a model source: give an https/);
    await assert.rejects(hotpath(dataDir, "ps"), /no Hotpath daemon is running/);
    await assert.rejects(
      run(process.execPath, [DAEMON_BIN, "rm", "stories", "--data-dir", dataDir, "--config", writeConfig(dataDir)]),
      /comes from the configuration/,
    );
  });
});

function writeConfig(dir: string): string {
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ models: [{ alias: "stories", source: chatModelPath() }] }));
  return file;
}
