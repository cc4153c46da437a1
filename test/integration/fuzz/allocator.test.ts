// The daemon runs with its malloc settings (daemon/allocator.ts) when started the way users start it: the `hotpath`
// bin, whose shebang sets them (`npm start` runs it too), with no help from the environment. Read from the running
// daemon's /proc/<pid>/environ, so it is the daemon itself (`env -S` execs node: no wrapper process is left between).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ALLOCATOR_ENV } from "../../../daemon/allocator.js";
import { DAEMON_BIN, startDaemon } from "../../fixtures/daemon.js";

function environ(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (check()) return true;
  return check();
}

describe("daemon process: malloc settings from the start", function () {
  this.timeout(180_000);
  // Without them in the environment, as a user's shell would be.
  const bare = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in ALLOCATOR_ENV)));
  const mine = (pid: number) =>
    Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((name) => [name, environ(pid)[name]]));

  before(function () {
    if (process.platform !== "linux") this.skip(); // /proc, and glibc's settings mean nothing elsewhere
  });

  it("`hotpath serve` (the bin, through its shebang) is the daemon's own process and runs with them", async () => {
    assert.match(readFileSync(DAEMON_BIN, "utf8").split("\n")[0], /^#!\/usr\/bin\/env -S .* node$/);
    const daemon = await startDaemon({ executable: DAEMON_BIN, fullEnv: bare });
    try {
      assert.deepEqual(mine(daemon.process.pid!), ALLOCATOR_ENV);
      assert.match(readFileSync(`/proc/${daemon.process.pid}/cmdline`, "utf8"), /node\0.*main\.js\0serve\0/);
      assert.equal(await eventually(() => /started without/.test(daemon.output()), 1000), false, daemon.output());
    } finally {
      await daemon.dispose();
    }
  });

  it("`node main.js serve` without them runs, and warns which are missing", async () => {
    const daemon = await startDaemon({ fullEnv: bare });
    try {
      assert.deepEqual(
        mine(daemon.process.pid!),
        Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((name) => [name, undefined])),
      );
      const warned = await eventually(() => /started without MALLOC_/.test(daemon.output()), 10_000);
      assert.ok(warned, `no warning naming the missing settings:\n${daemon.output()}`);
      for (const [name, value] of Object.entries(ALLOCATOR_ENV))
        assert.match(daemon.output(), new RegExp(`${name}=${value}`));
    } finally {
      await daemon.dispose();
    }
  });
});
