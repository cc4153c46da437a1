// Cancel and resume with a real model and a real SQLite file: samples persist as they finish, a rerun of the same
// spec only makes the missing calls, and a finished run is returned without any call.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletionRequest } from "../../../daemon/api.js";
import { openDb, type Db } from "../../../daemon/db.js";
import { openLocalCompleter, type LocalCompleter } from "../../../daemon/audit/completers/local.js";
import { buildJob } from "../../../daemon/audit/job.js";
import { AuditRun } from "../../../daemon/audit/runner.js";
import { loadSpec } from "../../../daemon/audit/spec.js";
import { AuditStore } from "../../../daemon/audit/store.js";
import { defaultModel, fixtures } from "../../bench/audit.js";
import { testThreads } from "../../fixtures/models.js";

describe("audit: cancel and resume", function () {
  this.timeout(600_000);
  let local: LocalCompleter;
  let db: Db;
  let calls = 0;

  before(async () => {
    local = await openLocalCompleter(defaultModel(), { threads: testThreads(), gpu: false });
    db = openDb(join(mkdtempSync(join(tmpdir(), "hotpath-audit-")), "hotpath.db"));
  });
  after(async () => {
    db?.close();
    await local?.dispose();
  });

  const job = () => {
    const loaded = loadSpec(join(fixtures, "triage-fewshot.hotpath-audit.json"));
    loaded.spec.samples = 1;
    // Counts the real completer's calls (it still does all the work).
    const complete = (r: ChatCompletionRequest, s: AbortSignal) => {
      calls++;
      return local.complete(r, s);
    };
    return buildJob(loaded, { model: local.model, complete, counter: local.counter, local: true });
  };

  it("stops when cancelled, keeps the finished samples, and resumes with only the missing calls", async () => {
    const first = new AuditRun(db, job());
    const total = first.estimate().calls;
    assert.equal(total, 16); // (baseline + 6 sections + verification) × 2 inputs × 1 sample
    const controller = new AbortController();
    await assert.rejects(
      first.run({
        signal: controller.signal,
        onProgress: (p) => p.done >= 5 && controller.abort(new Error("user cancelled")),
      }),
      /user cancelled/,
    );
    const store = new AuditStore(db);
    assert.equal(store.status(first.hash)?.status, "cancelled");
    const saved = store.countSamples(first.hash);
    assert.ok(saved >= 5 && saved <= 6, `saved ${saved}`);

    calls = 0;
    const second = new AuditRun(db, job());
    assert.equal(second.hash, first.hash);
    assert.equal(second.estimate().callsDone, saved);
    const report = await second.run();
    assert.equal(calls, total - saved, "the resumed run makes only the missing calls");
    assert.equal(report.calls, total);
    assert.equal(report.combined.verified, true);
    assert.equal(store.status(first.hash)?.status, "done");

    calls = 0;
    const again = await new AuditRun(db, job()).run();
    assert.equal(calls, 0, "a finished run makes no calls when run again");
    assert.equal(again.runId, report.runId);

    calls = 0;
    await new AuditRun(db, job()).run({ fresh: true });
    assert.equal(calls, total, "--fresh starts over");
  });

  it("more samples reuse the ones taken; a different tolerance re-analyses without calls; other checks are a new run", async () => {
    const more = job();
    more.loaded.spec.samples = 2;
    calls = 0;
    const report = await new AuditRun(db, more).run();
    assert.equal(calls, 16, "only the second sample of each variant and input is new");
    assert.equal(report.calls, 32);
    const strict = job();
    strict.loaded.spec.tolerance = 0.5;
    calls = 0;
    await new AuditRun(db, strict).run();
    assert.equal(calls, 0);
    const other = job();
    other.checks = [{ type: "regex", pattern: "refund", flags: "", negate: false }];
    assert.notEqual(new AuditRun(db, other).hash, new AuditRun(db, job()).hash);
  });
});
