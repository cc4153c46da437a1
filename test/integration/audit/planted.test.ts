// The planted-bloat benchmark as a test: on a real local model at temperature 0, the audit marks every planted
// section removable, keeps every deciding one, and verifies the combined removal. See test/bench/audit.ts.
import assert from "node:assert/strict";
import { runCheck } from "../../../daemon/audit/checks/index.js";
import { openLocalCompleter, type LocalCompleter } from "../../../daemon/audit/completers/local.js";
import { defaultModel, PLANTED, runPlanted } from "../../bench/audit.js";
import { testThreads } from "../../fixtures/models.js";

describe("audit: planted-bloat benchmark on a real model", function () {
  this.timeout(900_000);
  let local: LocalCompleter;

  before(async () => {
    local = await openLocalCompleter(defaultModel(), { threads: testThreads(), gpu: false });
  });
  after(async () => local?.dispose());

  for (const c of PLANTED) {
    it(`${c.name}: every planted section removable, ${c.essential.join(", ")} essential, combined removal verified`, async () => {
      const r = await runPlanted(local, c, { samples: 2 });
      const verdicts = Object.fromEntries(r.report.sections.map((s) => [s.id, s.verdict]));
      for (const id of r.bloat)
        assert.equal(verdicts[id], "removable", `${id} should be removable: ${JSON.stringify(verdicts)}`);
      for (const id of c.essential) assert.equal(verdicts[id], "essential", `${id} should be essential`);
      assert.equal(r.report.combined.verified, true);
      assert.deepEqual([...r.report.combined.removed].sort(), [...r.bloat].sort());
      assert.ok(r.report.combined.promptTokensSaved > 0);
      assert.equal(r.report.baseline.quality, 100);
      // The essential section's variant fails because the forced call is refused, and the report says why.
      const essential = r.report.sections.find((s) => s.id === c.essential[0])!;
      assert.deepEqual(essential.qualityDelta, { mean: -100, low: -100, high: -100 });
      assert.match(essential.firstError ?? "", /tool/);
      assert.equal(r.correct, true);
    });
  }

  it("the judge check asks a route and scores its PASS/FAIL; a judge that answers neither scores 0 with its words", async () => {
    let asked = "";
    const complete = (r: Parameters<LocalCompleter["complete"]>[0], signal: AbortSignal) => {
      asked = JSON.stringify(r.messages);
      return local.complete(r, signal);
    };
    const ctx = {
      output: "We open at 7 am.",
      input: { name: "q", user: "When do you open?" },
      baseline: "At 7 am.",
      model: local.model,
      signal: new AbortController().signal,
      complete,
    };
    const result = await runCheck({ type: "judge", rubric: "States the opening time." }, ctx);
    assert.match(asked, /States the opening time\..*When do you open\?.*At 7 am\..*We open at 7 am\./s);
    // A 260K-parameter story model is no judge: whatever it says is parsed, never guessed.
    if (result.score === 0) assert.match(result.detail ?? "", /judge gave no PASS\/FAIL|FAIL/);
    else assert.match(result.detail ?? "", /^\W*PASS/i);
  });
});
