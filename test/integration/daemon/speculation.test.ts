// Speculative decoding through the daemon: --draft-model wires a drafter to one model only, requests report draft
// counts in timings, and /hotpath/stats shows the model's speculation state (absent for models without one).
import assert from "node:assert/strict";
import { startDaemon } from "../../fixtures/daemon.js";
import { AGREEING_PAIR_PARAMS, generatedDraftPair } from "../../fixtures/models.js";

describe("daemon: speculative decoding", function () {
  it("--draft-model: draft counts in timings, speculation state in /hotpath/stats, only for that model", async function () {
    const pair = generatedDraftPair(AGREEING_PAIR_PARAMS);
    const daemon = await startDaemon({
      args: [
        "--model",
        `fast=${pair.target}`,
        "--model",
        `plain=${pair.target}`,
        "--draft-model",
        `fast=${pair.draft}`,
        "--no-response-cache",
      ],
      waitForModels: ["fast", "plain"],
    });
    try {
      const complete = async (model: string) => {
        const res = await daemon.fetch("/v1/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, prompt: "Once upon a time", max_tokens: 32, temperature: 0 }),
        });
        assert.equal(res.status, 200);
        return (await res.json()) as { choices: { text: string }[]; timings: Record<string, number> };
      };
      const fast = await complete("fast");
      const plain = await complete("plain");
      assert.equal(fast.choices[0].text, plain.choices[0].text, "temperature 0: speculation changes no output");
      assert.ok(fast.timings.draft_n > 0 && fast.timings.draft_n_accepted > 0, JSON.stringify(fast.timings));
      assert.equal(plain.timings.draft_n, undefined);

      const stats = (await (await daemon.fetch("/hotpath/stats")).json()) as {
        models: { alias: string; speculation?: Record<string, unknown> }[];
      };
      const byAlias = Object.fromEntries(stats.models.map((m) => [m.alias, m]));
      const spec = byAlias.fast.speculation!;
      assert.equal(spec.kind, "draft");
      assert.ok(
        (spec.drafted as number) >= fast.timings.draft_n && (spec.draftLength as number) >= 1,
        JSON.stringify(spec),
      );
      assert.equal(byAlias.plain.speculation, undefined, "no speculation state for a model without a drafter");
    } finally {
      await daemon.dispose();
    }
  });
});
