import assert from "node:assert/strict";
import { withDrafts } from "../../../daemon/cli/serve.js";

describe("serve --draft-model", () => {
  const models = [
    { alias: "big", source: "/m/big.gguf" },
    { alias: "code", source: "/m/code.gguf" },
  ];
  it("attaches alias=path and alias=lookup to their models", () => {
    const out = withDrafts(models, ["big=/m/small.gguf", "code=lookup"]);
    assert.deepEqual(
      out.map((m) => m.draft),
      ["/m/small.gguf", "lookup"],
    );
    assert.equal((models[0] as any).draft, undefined, "inputs untouched");
  });
  it("a bare value applies to the only model", () => {
    assert.equal(withDrafts([models[0]], ["/m/small.gguf"])[0].draft, "/m/small.gguf");
  });
  it("refuses an unknown alias or an ambiguous bare value, saying what to do", () => {
    assert.throws(() => withDrafts(models, ["nope=/x.gguf"]), /no --model has the alias "nope" \(aliases: big, code\)/);
    assert.throws(() => withDrafts(models, ["/x.gguf"]), /name one as alias=path/);
  });
});
