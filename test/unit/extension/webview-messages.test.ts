// Webview → extension messages are input: the host acts only on messages of WebviewMessage's shapes
// (extension/panels/messages.ts has no vscode import). The webview renders trace data anyone with the daemon's token
// can send, so a message may carry anything a span carried; before this check the host used any object with a known
// `type` as it came (an `openTrace` whose traceId was an object ran the command with it; a `rendered` without a
// summary threw in the log line).
import assert from "node:assert/strict";
import { readWebviewMessage, WebviewMessageSchema } from "../../../extension/panels/messages.js";
import type { RenderSummary, WebviewMessage } from "../../../webview/protocol.js";

const summary: RenderSummary = {
  view: "profiler",
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanRowsInDom: 2,
  spanIdsInDom: ["b7ad6b7169203331", "b7ad6b7169203332"],
  criticalInDom: 1,
  parallelGroupsListed: 0,
  text: "llm 1.2 s",
};

/** One of each message the webview sends (webview/main.ts, webview/views/timeline.ts). */
const valid: WebviewMessage[] = [
  { type: "ready", view: "audit" },
  { type: "openFile", path: "/Users/x/repo/src/a.ts", line: 12 },
  { type: "openFile", path: "src/a.ts" },
  { type: "spanSelected", spanId: "b7ad6b7169203331", name: "chat gpt-4o" },
  { type: "openTrace", traceId: "0af7651916cd43dd8448eb211c80319c" },
  { type: "rendered", view: "profiler", summary },
  { type: "queryResult", id: 3, summary: { ...summary, selectedSpanId: "b7ad6b7169203331" } },
];

const problem = (m: unknown) => {
  const r = readWebviewMessage(m);
  return "problem" in r ? r.problem : undefined;
};

describe("extension: webview messages are checked before the host acts on them", function () {
  it("accepts every message the webview sends, unchanged", function () {
    for (const m of valid) assert.deepEqual(readWebviewMessage(m), { message: m });
  });

  it("refuses messages of no known shape, saying which field is wrong", function () {
    const bad: [unknown, RegExp][] = [
      [null, /\(message\)/],
      ["ready", /\(message\)/],
      [[{ type: "ready", view: "audit" }], /\(message\)/],
      [{}, /type/],
      [{ type: "eval", code: "process.exit()" }, /type/],
      [{ type: "ready" }, /view/],
      [{ type: "ready", view: "__proto__" }, /view/],
      [{ type: "openTrace", traceId: { trace: null } }, /traceId/],
      [{ type: "openTrace", traceId: "" }, /traceId/],
      [{ type: "openTrace", traceId: "x".repeat(5000) }, /traceId/],
      [{ type: "openFile", path: 42 }, /path/],
      [{ type: "openFile", path: "" }, /path/],
      [{ type: "openFile", path: "/etc/passwd\0.ts" }, /path/],
      [{ type: "openFile", path: "a/b.ts", line: -1 }, /line/],
      [{ type: "openFile", path: "a/b.ts", line: 1.5 }, /line/],
      [{ type: "openFile", path: "a/b.ts", line: "7" }, /line/],
      [{ type: "openFile", path: "a/b.ts", line: Number.NaN }, /line/],
      [{ type: "openFile", path: "a".repeat(5000) }, /path/],
      [{ type: "spanSelected", spanId: "s" }, /name/],
      [{ type: "spanSelected", spanId: 7, name: "x" }, /spanId/],
      [{ type: "rendered", view: "profiler" }, /summary/],
      [{ type: "rendered", view: "profiler", summary: { ...summary, spanRowsInDom: "2" } }, /summary\.spanRowsInDom/],
      [{ type: "rendered", view: "profiler", summary: { ...summary, spanIdsInDom: "x" } }, /summary\.spanIdsInDom/],
      [{ type: "queryResult", id: "3", summary }, /id/],
      [{ type: "queryResult", id: 3, summary: null }, /summary/],
    ];
    for (const [m, where] of bad) {
      const p = problem(m);
      assert.ok(p, `accepted: ${JSON.stringify(m)?.slice(0, 100)}`);
      assert.match(p, where, `${JSON.stringify(m)?.slice(0, 100)}: ${p}`);
    }
  });

  it("a message's own prototype keys and extra fields reach nothing", function () {
    const m = JSON.parse('{"type":"openTrace","traceId":"abc","__proto__":{"traceId":{"x":1}},"extra":1}');
    const r = readWebviewMessage(m);
    assert.ok("message" in r);
    assert.deepEqual(r.message, { type: "openTrace", traceId: "abc" });
    assert.equal(({} as Record<string, unknown>).traceId, undefined);
  });

  it("generated variations of valid messages: each is accepted exactly when it still has its shape", function () {
    // Every field of every valid message replaced by values of other types: none may pass as the original shape.
    const others: unknown[] = [null, true, 0, -1, 1.5, "", "x", [], {}, Number.POSITIVE_INFINITY];
    let refused = 0;
    for (const m of valid) {
      for (const key of Object.keys(m)) {
        for (const v of others) {
          const mutated = { ...m, [key]: v };
          const r = readWebviewMessage(mutated);
          if ("problem" in r) {
            refused++;
            continue;
          }
          // Accepted: it must still validate as what it says it is (e.g. a string id replaced by "x").
          assert.deepEqual(WebviewMessageSchema.parse(r.message), r.message);
          assert.equal(typeof (r.message as Record<string, unknown>)[key], typeof (m as Record<string, unknown>)[key]);
        }
      }
    }
    assert.ok(refused > 100, `${refused} refused`);
  });
});
