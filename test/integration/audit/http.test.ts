// Audits over HTTP against the real daemon (dist/daemon/main.js): the same verdicts as in-process, the cache
// bypassed, the bearer token sent, and refusals (4xx) counted as failed samples rather than stopping the run.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { httpCompleter } from "../../../daemon/audit/completers/http.js";
import { CompletionError } from "../../../daemon/audit/checks/index.js";
import { buildJob } from "../../../daemon/audit/job.js";
import { AuditRun } from "../../../daemon/audit/runner.js";
import { loadSpec } from "../../../daemon/audit/spec.js";
import { estimateCounter } from "../../../daemon/audit/tokens.js";
import { openDb } from "../../../daemon/db.js";
import { defaultModel, fixtures } from "../../bench/audit.js";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

describe("audit over HTTP against the real daemon", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;

  before(async function () {
    if (!existsSync(DAEMON_BIN)) {
      console.log(`    skipped: ${DAEMON_BIN} is not built (npm test builds it)`);
      this.skip();
    }
    daemon = await startDaemon({ args: ["--model", `stories=${defaultModel()}`], waitForModels: ["stories"] });
  });
  after(async () => daemon?.dispose());

  it("audits the few-shot prompt through the daemon with the same verdicts as in-process", async () => {
    const loaded = loadSpec(join(fixtures, "triage-fewshot.hotpath-audit.json"));
    loaded.spec.samples = 1;
    const complete = httpCompleter({ baseUrl: daemon.url, token: daemon.token });
    const job = buildJob(loaded, { model: "stories", complete, counter: estimateCounter(), local: true });
    const report = await new AuditRun(openDb(":memory:"), job).run();
    const verdicts = Object.fromEntries(report.sections.map((s) => [s.id, s.verdict]));
    assert.equal(verdicts["tool:record_label"], "essential", JSON.stringify(report.sections, null, 1));
    for (const [id, v] of Object.entries(verdicts)) if (id !== "tool:record_label") assert.equal(v, "removable", id);
    assert.equal(report.combined.verified, true);
    assert.ok(report.baseline.promptTokens > 0, "usage comes back from the daemon");
    assert.match(report.notes.join(" "), /estimate/);
  });

  it("sends x-hotpath-cache: bypass and the token; a wrong token is a 401 CompletionError", async () => {
    const bad = httpCompleter({ baseUrl: daemon.url, token: "wrong" });
    await assert.rejects(
      bad(
        { model: "stories", messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
        new AbortController().signal,
      ),
      (e: Error) => e instanceof CompletionError && e.status === 401,
    );
    const unknown = httpCompleter({ baseUrl: daemon.url, token: daemon.token });
    await assert.rejects(
      unknown({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] }, new AbortController().signal),
      (e: Error) => e instanceof CompletionError && e.status === 404 && /no-such-model/.test(e.message),
    );
  });
});
