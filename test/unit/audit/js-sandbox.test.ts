// The JS check's sandbox holds against the known ways out of node:vm, keeps the event loop free, and bounds time,
// memory and stack. Every escape here reached the host under the node:vm implementation.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCheck, type CheckContext } from "../../../daemon/audit/checks/index.js";
import { CheckSchema } from "../../../daemon/audit/spec.js";

const ctx = (output: string, expect?: unknown): CheckContext => ({
  output,
  input: { name: "i", user: "question", expect },
  baseline: "the baseline",
  model: "m",
  signal: new AbortController().signal,
});
const js = (code: string, timeoutMs = 1000) => CheckSchema.parse({ type: "js", code, timeoutMs });

describe("audit js check sandbox", function () {
  let dir: string;
  let target: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-sandbox-"));
    target = join(dir, "pwned");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Each body tries to write `target` on the host; success would return true. */
  const escapes = (file: string): Record<string, string> => {
    const f = JSON.stringify(file);
    const write = `p => (p.getBuiltinModule ? p.getBuiltinModule("fs") : p.binding("fs")).writeFileSync(${f}, "x")`;
    return {
      "constructor chain on a passed-in object": `const p = expect.constructor.constructor("return process")(); (${write})(p); return true;`,
      "constructor chain on a string": `const p = output.constructor.constructor("return process")(); (${write})(p); return true;`,
      "constructor chain on the global": `const p = this === undefined ? Function("return this")().constructor.constructor("return process")() : null; (${write})(p); return true;`,
      "process.binding": `const p = expect.constructor.constructor("return process")(); p.binding("spawn_sync"); (${write})(p); return true;`,
      "dynamic import()": `return import("node:fs").then((fs) => fs.writeFileSync(${f}, "x"))`,
      "require via module.constructor": `const p = expect.constructor.constructor("return process")(); const m = p.mainModule ?? module; m.constructor._load("fs").writeFileSync(${f}, "x"); return true;`,
      "prototype chain of a passed-in value": `const F = Object.getPrototypeOf(expect).constructor.constructor; (${write})(F("return process")()); return true;`,
      "__proto__ of a passed-in array": `const F = expect.list.__proto__.map.constructor; (${write})(F("return process")()); return true;`,
      "error stack trick": `try { null.x } catch (e) { const p = e.constructor.constructor("return process")(); (${write})(p); } return true;`,
      "child_process spawn": `const p = expect.constructor.constructor("return process")(); p.getBuiltinModule("child_process").execSync("touch ${file}"); return true;`,
      socket: `const p = expect.constructor.constructor("return process")(); p.getBuiltinModule("net").connect(9, "127.0.0.1"); return true;`,
    };
  };

  for (const [name, code] of Object.entries(escapes("__TARGET__"))) {
    it(`refuses: ${name}`, async function () {
      const result = await runCheck(js(code.replaceAll("__TARGET__", target)), ctx("out", { list: [1], a: { b: 1 } }));
      assert.equal(result.score, 0, `the escape reported success: ${JSON.stringify(result)}`);
      // Refused by the guest itself (a thrown error or a refused promise), not by a sandbox that failed to run.
      assert.doesNotMatch(result.detail ?? "", /could not start|sandbox failed|stopped/);
      assert.equal(existsSync(target), false, "the host file was written");
    });
  }

  it("changes to the values' prototypes stay inside the guest", async function () {
    const code = `Object.getPrototypeOf(expect).polluted = 1; output.constructor.prototype.polluted = 1; Object.prototype.polluted = 1; return true`;
    await runCheck(js(code), ctx("x", { a: 1 }));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(("" as unknown as Record<string, unknown>).polluted, undefined);
    // And nothing carries over to the next check.
    assert.equal((await runCheck(js("({}).polluted === undefined"), ctx("x"))).score, 1);
  });

  it("the event loop runs while a check spins", async function () {
    const ticks: number[] = [];
    const started = Date.now();
    const timer = setInterval(() => ticks.push(Date.now() - started), 20);
    const result = await runCheck(js("while (true) {}", 600), ctx("x"));
    clearInterval(timer);
    assert.equal(result.score, 0);
    assert.match(result.detail!, /timed out after 600 ms/);
    assert.ok(ticks.length >= 10, `the loop ticked only ${ticks.length} times while the check ran`);
  });

  it("memory, stack and output limits end the check, and the next one still runs", async function () {
    this.timeout(60_000);
    const started = Date.now();
    const memory = await runCheck(
      js("const a = []; for (;;) a.push('x'.repeat(1 << 16) + a.length); ", 2000),
      ctx("x"),
    );
    assert.equal(memory.score, 0);
    assert.ok(Date.now() - started < 2000 + 1500, `the memory bomb ran ${Date.now() - started} ms`);
    assert.match(memory.detail!, /out of memory|timed out/);
    const stack = await runCheck(js("function f(n) { return f(n + 1) + 1 } return f(0)"), ctx("x"));
    assert.equal(stack.score, 0);
    assert.match(stack.detail!, /stack overflow|sandbox failed/);
    const deep = await runCheck(js("JSON.parse('['.repeat(100000))"), ctx("x"));
    assert.equal(deep.score, 0);
    assert.equal(
      (await runCheck(js("output === 'fine' && expect.deep.length === 2"), ctx("fine", { deep: [1, 2] }))).score,
      1,
    );
  });

  it("a promise is refused; numbers are clamped scores", async function () {
    const promise = await runCheck(js("Promise.resolve(true)"), ctx("x"));
    assert.equal(promise.score, 0);
    assert.match(promise.detail!, /synchronous/);
    assert.equal((await runCheck(js("output.length / 4"), ctx("ab"))).score, 0.5);
    assert.equal((await runCheck(js("7"), ctx("ab"))).score, 1);
    assert.equal((await runCheck(js("NaN"), ctx("ab"))).score, 0);
  });

  it("a thrown message is carried back clipped, whatever its size", async function () {
    // A 12 MB throw came back whole and was held per check per sample by the daemon, outside the guest's memory limit.
    const big = await runCheck(js(`throw "x".repeat(12 * 1024 * 1024)`, 5000), ctx("x"));
    assert.equal(big.score, 0);
    assert.ok(big.detail!.length < 3000, `${big.detail!.length} characters came back`);
    assert.match(big.detail!, /more characters cut/);
    const error = await runCheck(js(`throw new Error("y".repeat(100000))`), ctx("x"));
    assert.ok(error.detail!.length < 3000);
  });

  it("a check queued behind one that costs the worker still gets its own verdict", async function () {
    this.timeout(60_000);
    // Throwing a promise made the host side fail and the worker exit; the next check was already on its way to the
    // exiting worker and failed with "the sandbox stopped" — another audit's check included.
    const [thrown, next, after] = await Promise.all([
      runCheck(js("throw Promise.reject(1)"), ctx("x")),
      runCheck(js("output === 'fine'"), ctx("fine")),
      runCheck(js("output === 'fine'"), ctx("no")),
    ]);
    assert.equal(thrown.score, 0);
    assert.deepEqual([next.score, next.detail, after.score, after.detail], [1, undefined, 0, undefined]);
  });

  it("checks run concurrently are answered each with its own verdict", async function () {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runCheck(js(`output === "${i}"`), ctx(String(i % 2 ? i : -1)))),
    );
    assert.deepEqual(
      results.map((r) => r.score),
      Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : 0)),
    );
  });
  it("a process whose checks ran in the sandbox exits when its work is done (the idle worker keeps nothing alive)", async function () {
    this.timeout(60_000);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./js-sandbox-child.ts", import.meta.url))],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const started = Date.now();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(timer);
    assert.match(out, /scores 1 1/);
    assert.equal(code, 0, `the child did not exit on its own (killed after ${Date.now() - started} ms)`);
  });
});
