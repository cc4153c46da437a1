// The verifier's reading of a model's answer, and the prompt it sends.
import assert from "node:assert/strict";
import { parseVerdict, verifierPrompt } from "../../../daemon/cache/verifier.js";

describe("cache verifier", () => {
  it("reads yes as the same answer and anything else as different", () => {
    for (const yes of ["yes", "Yes.", " YES", "yes, the same", "**Yes**"]) assert.equal(parseVerdict(yes), true, yes);
    for (const no of ["no", "No.", "", "maybe", "yesterday", "I think yes", "The answer is yes"])
      assert.equal(parseVerdict(no), false, no);
  });

  it("asks at temperature 0 for a one-word answer, with both requests clipped to a bounded length", () => {
    const long = "x".repeat(10_000);
    const r = verifierPrompt("local:judge", long, "short question");
    assert.equal(r.temperature, 0);
    assert.ok((r.max_tokens ?? 0) <= 3);
    const user = String(r.messages[1].content);
    assert.ok(user.includes("short question"));
    assert.ok(user.length < 9000, `prompt holds ${user.length} characters`);
  });
});
