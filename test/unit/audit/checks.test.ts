import assert from "node:assert/strict";
import { defaultChecks, outputText, runCheck, type CheckContext } from "../../../daemon/audit/checks/index.js";
import { cosine } from "../../../daemon/audit/checks/similarity.js";
import { CheckSchema } from "../../../daemon/audit/spec.js";
import type { ChatCompletion } from "../../../daemon/api.js";

const ctx = (output: string, extra: Partial<CheckContext> = {}): CheckContext => ({
  output,
  input: { name: "i", user: "question" },
  baseline: "the baseline",
  model: "m",
  signal: new AbortController().signal,
  ...extra,
});
const check = (c: unknown) => CheckSchema.parse(c);

describe("audit checks", () => {
  it("exact: against the value, the input's expect, else the baseline (trimmed, optional case-folding)", async () => {
    assert.equal((await runCheck(check({ type: "exact", value: "Yes" }), ctx(" Yes\n"))).score, 1);
    assert.equal((await runCheck(check({ type: "exact", value: "Yes" }), ctx("yes"))).score, 0);
    assert.equal((await runCheck(check({ type: "exact", value: "Yes", ignoreCase: true }), ctx("yes"))).score, 1);
    assert.equal((await runCheck(check({ type: "exact" }), ctx("the baseline"))).score, 1);
    assert.equal(
      (await runCheck(check({ type: "exact" }), ctx("ok", { input: { name: "i", expect: "ok" } }))).score,
      1,
    );
  });

  it("json-equal ignores key order, whitespace and a code fence; non-JSON fails with a reason", async () => {
    const c = check({ type: "json-equal", value: { a: 1, b: [1, 2] } });
    assert.equal((await runCheck(c, ctx('{ "b": [1,2],\n "a": 1 }'))).score, 1);
    assert.equal((await runCheck(c, ctx('```json\n{"a":1,"b":[1,2]}\n```'))).score, 1);
    assert.equal((await runCheck(c, ctx('{"a":1,"b":[2,1]}'))).score, 0);
    assert.deepEqual(await runCheck(c, ctx("not json")), {
      type: "json-equal",
      score: 0,
      detail: "output is not JSON",
    });
    assert.equal((await runCheck(check({ type: "json-equal" }), ctx("[1]", { baseline: "[ 1 ]" }))).score, 1);
  });

  it("regex matches, or with negate must not match", async () => {
    assert.equal((await runCheck(check({ type: "regex", pattern: "^re(fund)$", flags: "i" }), ctx("REFUND"))).score, 1);
    assert.equal(
      (await runCheck(check({ type: "regex", pattern: "sorry", negate: true }), ctx("I am sorry"))).score,
      0,
    );
  });

  it("regex: catastrophic backtracking fails the sample within the time limit, the event loop stays free", async function () {
    // V8's backtracking on the daemon's thread took exponential time: `^(.*)*\x00$` over a 40-character output would
    // run for hours and froze the daemon (probe, issue #15). The match now runs in the sandbox under a time limit.
    this.timeout(120_000);
    // 30 characters: hours would be the same, but the old code's failing run should end (~1 min at load 20).
    const output = "Once upon a time there was a l";
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = performance.now();
    for (const negate of [false, true]) {
      const r = await runCheck(check({ type: "regex", pattern: "^(.*)*\\x00$", negate }), ctx(output));
      assert.equal(r.score, 0, `negate ${negate}`);
      assert.match(r.detail ?? "", /timed out/);
    }
    clearInterval(ticker);
    assert.ok(ticks > 0, "the event loop was held while the pattern ran");
    assert.ok(performance.now() - started < 90_000);
    // Sane patterns still answer, flags included (u: Unicode property escapes; s: dot matches newlines).
    assert.equal((await runCheck(check({ type: "regex", pattern: "^\\p{Lu}", flags: "u" }), ctx("Él"))).score, 1);
    assert.equal((await runCheck(check({ type: "regex", pattern: "a.b", flags: "s" }), ctx("a\nb"))).score, 1);
    assert.equal((await runCheck(check({ type: "regex", pattern: "(?<=x)y" }), ctx("xy"))).score, 1);
  });

  it("regex: a pattern that is no regular expression is refused with the spec", () => {
    for (const [pattern, flags] of [
      ["(", ""],
      ["a{2,1}", ""],
      ["\\p{Nope}", "u"],
      ["x", "ii"],
    ]) {
      const parsed = CheckSchema.safeParse({ type: "regex", pattern, flags });
      assert.equal(parsed.success, false, `${pattern} /${flags}`);
    }
  });

  it("js: an expression or a body, a 0–1 score, errors and runaway loops fail the sample instead of hanging", async () => {
    assert.equal(
      (await runCheck(check({ type: "js", code: "output.length > 3 && input === 'question'" }), ctx("long"))).score,
      1,
    );
    assert.equal(
      (await runCheck(check({ type: "js", code: "const n = output.length; return n / 10;" }), ctx("abcde"))).score,
      0.5,
    );
    const thrown = await runCheck(check({ type: "js", code: "JSON.parse(output)" }), ctx("nope"));
    assert.equal(thrown.score, 0);
    assert.match(thrown.detail!, /assertion threw/);
    const loop = await runCheck(check({ type: "js", code: "while (true) {}", timeoutMs: 50 }), ctx("x"));
    assert.equal(loop.score, 0);
    assert.match(loop.detail!, /timed out/);
    // The sandbox has no require/process: reaching for them throws.
    assert.equal(
      (
        await runCheck(
          check({ type: "js", code: "typeof process === 'undefined' && typeof require === 'undefined'" }),
          ctx("x"),
        )
      ).score,
      1,
    );
  });

  it("similarity needs an embedder; identical text passes without one call; cosine is the usual one", async () => {
    await assert.rejects(runCheck(check({ type: "similarity" }), ctx("different")), /needs an embedder/);
    assert.equal(cosine(new Float32Array([1, 0]), new Float32Array([0, 1])), 0);
    assert.ok(Math.abs(cosine(new Float32Array([1, 2]), new Float32Array([2, 4])) - 1) < 1e-6);
    assert.deepEqual(defaultChecks(false), [{ type: "exact", ignoreCase: false }]);
    assert.deepEqual(defaultChecks(true), [{ type: "similarity", threshold: 0.9 }]);
  });

  it("checks see tool calls as [{name, arguments}] with the arguments parsed", () => {
    const c = {
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: '{ "x" : 1 }' } }],
          },
          finish_reason: "tool_calls",
          logprobs: null,
        },
      ],
    } as unknown as ChatCompletion;
    assert.equal(outputText(c), '[{"name":"f","arguments":{"x":1}}]');
  });
});
