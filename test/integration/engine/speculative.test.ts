// Speculative decoding on a real generated draft/target pair: temperature-0 output is identical with a draft model,
// with prompt lookup and without either; acceptance is counted; draft sequences are disposed with the model.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { complete, testEngine } from "../../fixtures/engine.js";
import { AGREEING_PAIR_PARAMS, generatedDraftPair } from "../../fixtures/models.js";

describe("engine: speculative decoding", function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-spec-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("identical temperature-0 output with a draft model, with prompt lookup, and without; acceptance counted", async function () {
    const pair = generatedDraftPair(AGREEING_PAIR_PARAMS);
    const engine = testEngine({ modelsDir: dir });
    engine.add([
      { alias: "plain", source: pair.target },
      { alias: "draft", source: pair.target, draft: pair.draft },
      { alias: "lookup", source: pair.target, draft: "lookup" },
    ]);
    try {
      const prompts = [
        "Once upon a time there was a little dog",
        "the river ran past the old stone walls, the river ran past the old stone walls, the river",
      ];
      for (const prompt of prompts) {
        const plain = await complete(engine, "plain", prompt, 48);
        assert.equal(plain.done.timings?.draft_n, undefined, "no predictor, no draft counts");
        for (const alias of ["draft", "lookup"]) {
          // Twice: the adaptive switch may turn speculation off after measuring; the output must not change either way.
          for (let i = 0; i < 3; i++) {
            const r = await complete(engine, alias, prompt, 48);
            assert.equal(r.text, plain.text, `${alias} run ${i} on "${prompt.slice(0, 20)}…"`);
            assert.ok(r.done.timings!.draft_n! >= r.done.timings!.draft_n_accepted!);
          }
        }
      }
      const draft = (await engine.ready("draft")).model;
      const stats = draft.speculation.stats();
      assert.ok(stats.drafted > 0 && stats.accepted > 0, JSON.stringify(stats));
      assert.ok(stats.acceptance > 0.5, `epsilon 0 pair: acceptance ${stats.acceptance}`);
      const drafts = draft.speculator!.draftSequences;
      assert.ok(
        drafts.length >= 1 && drafts.length <= 2,
        `one draft sequence per target sequence used (${drafts.length})`,
      );
      await engine.dispose();
      assert.ok(
        drafts.every((d) => d.disposed),
        "draft sequences are disposed with their target",
      );
    } finally {
      await engine.dispose();
    }
  });

  it("sampling (temperature > 0) speculates too: a seed reproduces the output, drafts are counted", async function () {
    const pair = generatedDraftPair(AGREEING_PAIR_PARAMS);
    const engine = testEngine({ modelsDir: dir });
    engine.add([{ alias: "draft", source: pair.target, draft: pair.draft }]);
    try {
      (await engine.ready("draft")).model.speculation.mode = "on";
      const a = await complete(engine, "draft", "Once upon a time", 40, { temperature: 0.8, seed: 42 });
      const b = await complete(engine, "draft", "Once upon a time", 40, { temperature: 0.8, seed: 42 });
      const c = await complete(engine, "draft", "Once upon a time", 40, { temperature: 0.8, seed: 43 });
      assert.equal(a.text, b.text, "same seed, same text");
      assert.ok(a.done.timings!.draft_n! > 0, "sampled requests draft");
      assert.ok(a.done.usage.completion_tokens > 0 && c.done.usage.completion_tokens > 0);
    } finally {
      await engine.dispose();
    }
  });

  it("a draft with another tokenizer is refused with a clear error", async function () {
    const a = generatedDraftPair({ seed: 21, vocabSize: 1024, nEmbd: 64, draftLayers: 1, extraLayers: 1, type: "f16" });
    const b = generatedDraftPair({ seed: 22, vocabSize: 600, nEmbd: 64, draftLayers: 1, extraLayers: 1, type: "f16" });
    const engine = testEngine({ modelsDir: dir });
    engine.add([{ alias: "bad", source: a.target, draft: b.draft }]);
    try {
      await assert.rejects(engine.ready("bad"), /does not share the target's vocabulary/);
    } finally {
      await engine.dispose();
    }
  });
});
