// The command line fails fast and says what to do: bad --model files, taken ports, malformed flag values, nothing to
// import; `hotpath stop` ends the daemon of a data dir. All against the built CLI (dist/daemon/main.js).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAEMON_BIN, startDaemon } from "../../fixtures/daemon.js";
import { corruptModels } from "../../fixtures/models.js";
import { type ProcessRun, runProcess } from "../../fixtures/process.js";

function hotpath(args: string[], timeoutMs = 60_000): Promise<ProcessRun> {
  return runProcess(process.execPath, [DAEMON_BIN, ...args], { timeoutMs });
}

describe("CLI: fail fast and say what to do", function () {
  // Each case starts the CLI (~9 s idle, 40 s at load 30 on 2 cores); the corrupt-model case starts it five times.
  this.timeout(10 * 60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-cli-errors-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const serve = (...args: string[]) => hotpath(["serve", "--port", "0", "--data-dir", join(dir, "data"), ...args]);

  it("refuses a --model file that does not exist, before listening", async function () {
    const r = await serve("--model", join(dir, "no-such.gguf"));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--model .*no-such\.gguf: no such file/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  it("refuses a --model file that is not a loadable GGUF, naming the problem", async function () {
    const broken = corruptModels(join(dir, "broken"));
    for (const file of [broken.badMagic, broken.truncated, broken.missingHeadCount, broken.empty]) {
      const r = await serve("--model", `m=${file}`);
      assert.notEqual(r.code, 0, file);
      assert.match(r.stderr, /not a loadable GGUF model: \S/, file);
      assert.doesNotMatch(r.stdout, /listening/);
    }
    mkdirSync(join(dir, "a-folder.gguf"), { recursive: true });
    const r = await serve("--model", join(dir, "a-folder.gguf"));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is a directory/);
  });

  it("names the flag whose value is malformed", async function () {
    for (const flag of ["--port", "--threads", "--context-size"]) {
      const r = await serve(flag, "abc");
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        new RegExp(`option '${flag} <[^>]+>' argument 'abc' is invalid\\. "abc" is not an integer`),
      );
    }
  });

  it("names the Hotpath daemon that holds the port, and suggests --port 0 or hotpath stop", async function () {
    const first = await startDaemon();
    try {
      const port = new URL(first.url).port;
      const r = await hotpath(["serve", "--port", port, "--data-dir", join(dir, "second")]);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        new RegExp(`port ${port} .*in use by a Hotpath daemon \\(version [^,]+, pid ${first.process.pid}\\)`),
      );
      assert.match(r.stderr, /hotpath stop/);
      assert.match(r.stderr, /--port 0/);
    } finally {
      await first.dispose();
    }
  });

  it("says when another program holds the port", async function () {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await serve("--port", String(port));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another program.*--port 0`));
    } finally {
      server.close();
    }
  });

  it("`hotpath stop` ends the daemon of a data dir gracefully; with none running it says so", async function () {
    const dataDir = join(dir, "stoppable");
    const daemon = await startDaemon({ dataDir });
    assert.ok(existsSync(join(dataDir, "daemon.json")), "daemon.json while serving");
    const r = await hotpath(["stop", "--data-dir", dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`stopped the Hotpath daemon at ${daemon.url} \\(pid ${daemon.process.pid}\\)`));
    assert.equal(await daemon.stop(), 0, "exited by itself, with code 0");
    assert.ok(!existsSync(join(dataDir, "daemon.json")), "daemon.json removed at exit");
    const again = await hotpath(["stop", "--data-dir", dataDir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /no Hotpath daemon is running/);
  });

  it("import: a folder with nothing importable is an error that says so", async function () {
    const empty = join(dir, "empty-folder");
    mkdirSync(empty, { recursive: true });
    const r = await hotpath(["import", "--data-dir", join(dir, "data"), empty]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no trace files in this folder/);
  });

  it("serve --help lists the global options and wraps at 80 columns", async function () {
    const r = await hotpath(["serve", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--data-dir <dir>/);
    assert.match(r.stdout, /--config <file>/);
    const long = r.stdout.split("\n").filter((l) => l.length > 80);
    assert.deepEqual(long, [], "lines longer than 80 columns");
  });
});
