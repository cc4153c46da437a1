// Audits through the daemon's Router in-process (what AuditService uses inside the daemon), on a real local model.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CompletionError } from "../../../daemon/audit/checks/index.js";
import { routerCompleter } from "../../../daemon/audit/completers/router.js";
import { buildJob } from "../../../daemon/audit/job.js";
import { AuditRun } from "../../../daemon/audit/runner.js";
import { loadSpec } from "../../../daemon/audit/spec.js";
import { estimateCounter } from "../../../daemon/audit/tokens.js";
import { openDb } from "../../../daemon/db.js";
import type { Engine } from "../../../daemon/engine/engine.js";
import { Router } from "../../../daemon/router/router.js";
import { fixtures } from "../../bench/audit.js";
import { storiesEngine } from "./stories-engine.js";

describe("audit through the router in-process", function () {
  this.timeout(600_000);
  let engine: Engine;
  let router: Router;

  before(async () => {
    const { config, engine: loaded } = await storiesEngine();
    engine = loaded;
    router = new Router({ config: config.router, local: engine });
  });
  after(async () => {
    router?.close();
    await engine?.dispose();
  });

  it("gives the planted verdicts, and refusals come back as the variant's failure", async () => {
    const loaded = loadSpec(join(fixtures, "triage-xml.hotpath-audit.json"));
    loaded.spec.samples = 1;
    const job = buildJob(loaded, {
      model: "stories",
      complete: routerCompleter(router),
      counter: estimateCounter(),
      local: true,
    });
    const report = await new AuditRun(openDb(":memory:"), job).run();
    const verdicts = Object.fromEntries(report.sections.map((s) => [s.id, s.verdict]));
    assert.equal(verdicts["tool:record_label"], "essential");
    assert.equal(Object.values(verdicts).filter((v) => v === "removable").length, 5, JSON.stringify(verdicts));
    assert.equal(report.combined.verified, true);
    await assert.rejects(
      routerCompleter(router)(
        { model: "nope", messages: [{ role: "user", content: "x" }] },
        new AbortController().signal,
      ),
      (e: Error) => e instanceof CompletionError && e.status === 404,
    );
  });
});
