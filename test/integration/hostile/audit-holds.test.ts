// Issue #15: an audit prompt (up to its 1 MB limit) must not hold the event loop. parsePrompt walks every line, tag
// and heading, and a JSON chat prompt is parsed, validated and mapped string by string: for the costliest shapes that
// is seconds of CPU on a busy 2-core machine, and a prompt of one-line headings made 250,000 sections, each cloned,
// counted and written into the answer. Prompts past a few kilobytes are now parsed on a worker, and a prompt of more
// than LIMITS.promptSections sections is refused there. Measured as the daemon's own event-loop delay (windows of
// 2 s from /hotpath/stats) while each request runs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIMITS } from "../../../daemon/limits.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { describeHold, longestHold, type Hold } from "../../fixtures/loop-hold.js";
import { rawRequest, type RawResponse } from "../../fixtures/raw-http.js";
import { FakeUpstream } from "../../fixtures/upstreams/fake.js";

const WINDOW_S = 2;
/**
 * The longest hold allowed while one prompt is handled: a fifth of the request's time, and never less than FLOOR_MS.
 * What stays on the loop is parsing and validating the ≤ 4 MB body, taking the worker's answer and writing the reply:
 * 40–70 ms on a quiet 2-core machine, 120–330 ms at load 10 (the floor: eight times the quiet hold, for a busy CI VM).
 * Before, these prompts held it 0.5–16 s at load 6–10 (12–84 % of the request's time).
 */
const FLOOR_MS = 400;
const SHARE = 0.2;
const MB = 999_000;

const fill = (unit: string, chars = MB) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);

/** Markdown prose: this repository's docs (text nobody shaped for this test), repeated to `chars`. */
function prose(chars: number): string {
  const docs = ["docs/security.md", "README.md"].map((f) => readFileSync(join(process.cwd(), f), "utf8")).join("\n\n");
  let out = "";
  for (let i = 0; out.length < chars; i++) out += `\n\n# Part ${i}\n\n${docs}`;
  return out.slice(0, chars);
}

/** A JSON chat prompt of `turns` user/assistant pairs after a system prompt of prose (few-shot turns become sections). */
function chat(turns: number): string {
  const messages: { role: string; content: string }[] = [{ role: "system", content: prose(500_000) }];
  for (let i = 0; i < turns; i++)
    messages.push(
      { role: "user", content: `question ${i} ${"q".repeat(20)}` },
      { role: "assistant", content: `answer ${i}` },
    );
  messages.push({ role: "user", content: "{{input}}" });
  return JSON.stringify({ messages });
}

/** The hold less the daemon thread's average wait for a core (loop-hold.ts) within the bound. */
function assertBounded(hold: Hold): void {
  const bound = Math.max(FLOOR_MS, hold.res.ms * SHARE);
  console.log(describeHold(hold, bound));
  assert.ok(
    hold.ownMs <= bound,
    `the event loop was held ${Math.round(hold.holdMs)} ms, ${Math.round(hold.ownMs)} ms of it on a core (bound ${Math.round(bound)} ms)`,
  );
}

describe("hostile: audit prompts do not hold the event loop (issue #15)", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;
  let oa: FakeUpstream;
  let auth: Record<string, string>;

  before(async function () {
    oa = await FakeUpstream.start("openai", "sk-audit-holds");
    const dataDir = mkdtempSync(join(tmpdir(), "hotpath-audit-holds-"));
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(
      configFile,
      `router:\n  providers:\n    oa: { type: openai, baseURL: "${oa.baseURL}", apiKey: "env:AUDIT_HOLDS_KEY" }\n`,
    );
    daemon = await startDaemon({
      dataDir,
      args: ["--config", configFile],
      env: { AUDIT_HOLDS_KEY: "sk-audit-holds", HOTPATH_EVENT_LOOP_WINDOW_S: String(WINDOW_S) },
      bin: process.env.OLD_BIN,
    });
    auth = { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" };
  });
  after(async () => {
    await daemon?.dispose();
    await oa?.close();
  });

  const cases: [string, () => { text: string; fileName: string; granularity?: string }, number][] = [
    ["1 MB of Markdown prose", () => ({ text: prose(MB), fileName: "prompt.md" }), 200],
    [
      "1 MB of prose split by paragraphs",
      () => ({ text: prose(MB), fileName: "prompt.md", granularity: "paragraphs" }),
      200,
    ],
    ["1 MB of unclosed tags", () => ({ text: fill("<a>\n"), fileName: "prompt.txt" }), 200],
    [
      "1 MB of tag blocks with tags inside",
      () => ({ text: fill(`<a>\n<b>${"x".repeat(200)}</b>\n</a>\n`), fileName: "prompt.txt" }),
      200,
    ],
    ["a JSON chat of 4,000 few-shot turns", () => ({ text: chat(4000), fileName: "prompt.json" }), 200],
    ["1 MB of one-line headings (250,000 sections)", () => ({ text: fill("# h\n"), fileName: "prompt.md" }), 400],
    [
      "1 MB of paragraphs of one letter (333,000 sections)",
      () => ({ text: fill("p\n\n"), fileName: "prompt.md" }),
      400,
    ],
  ];
  for (const [name, make, status] of cases) {
    it(`sections of ${name}: answered ${status}, the loop held at most a fifth of the request's time`, async () => {
      const body = JSON.stringify(make());
      const hold = await longestHold(daemon, auth, { path: "/hotpath/audit/sections", body }, WINDOW_S);
      const { res } = hold;
      assert.equal(res.status, status, res.text.slice(0, 300));
      if (status === 400) assert.match(res.body.error.message, new RegExp(`promptSections = ${LIMITS.promptSections}`));
      else assert.ok(res.body.sections.length > 0 && res.body.sections.length <= LIMITS.promptSections);
      assertBounded(hold);
    });
  }

  it("an audit run of a 1 MB prompt on a cloud model (no context bound): started, the loop held at most a fifth", async () => {
    const body = JSON.stringify({
      spec: { promptText: prose(MB), inputs: ["hi", "hello"], samples: 1, checks: [{ type: "exact", value: "x" }] },
      fileName: "prompt.md",
      model: "oa:gpt-4o-mini",
    });
    // The run is cancelled as soon as it is started: what is measured is the start (and at most its first calls).
    const cancel = (res: RawResponse) =>
      rawRequest(daemon.url, { method: "DELETE", path: `/hotpath/audit/${res.body?.id}`, headers: auth });
    const hold = await longestHold(daemon, auth, { path: "/hotpath/audit/run", body }, WINDOW_S, cancel);
    assert.equal(hold.res.status, 202, hold.res.text.slice(0, 300));
    assertBounded(hold);
  });
});
