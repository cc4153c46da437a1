import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inlineInputs, loadSpec, selectSections, SpecError, validateSpec } from "../../../daemon/audit/spec.js";

const dir = mkdtempSync(join(tmpdir(), "hotpath-audit-spec-"));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
write("p.md", "# A\nalpha\n\n# B\nbeta\n");

/** Asserts a SpecError whose message contains every fragment. */
function rejects(fn: () => unknown, ...fragments: string[]) {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
    return true;
  });
}

describe("audit spec", () => {
  it("takes a bare prompt file as a spec with defaults", () => {
    const { spec, doc, promptPath } = loadSpec(join(dir, "p.md"));
    assert.equal(promptPath, join(dir, "p.md"));
    assert.equal(spec.samples, 3);
    assert.equal(spec.tolerance, 2);
    assert.equal(spec.confidence, 0.95);
    assert.equal(doc.sections.length, 2);
    assert.deepEqual(inlineInputs(spec), [{ name: "prompt as written" }]);
  });

  it("loads JSON and YAML specs, resolving the prompt next to the spec", () => {
    const j = loadSpec(
      write(
        "a.hotpath-audit.json",
        JSON.stringify({ prompt: "p.md", inputs: ["hi", { user: "yo", expect: "x", name: "n" }], samples: 5 }),
      ),
    );
    assert.equal(j.spec.samples, 5);
    assert.deepEqual(inlineInputs(j.spec), [
      { name: "input 1", user: "hi" },
      { name: "n", user: "yo", expect: "x" },
    ]);
    const y = loadSpec(
      write(
        "b.hotpath-audit.yaml",
        "promptText: |\n  # X\n  one\n  # Y\n  two\nchecks:\n  - type: regex\n    pattern: ok\n",
      ),
    );
    assert.equal(y.doc.sections.length, 2);
    assert.deepEqual(y.spec.checks, [{ type: "regex", pattern: "ok", flags: "", negate: false }]);
  });

  it("gives clear errors for bad specs", () => {
    rejects(() => validateSpec({}), "exactly one of `prompt`");
    rejects(() => validateSpec({ prompt: "a", promptText: "b" }), "exactly one of `prompt`");
    rejects(() => validateSpec({ prompt: "a", samples: 0 }), "samples");
    rejects(() => validateSpec({ prompt: "a", checks: [{ type: "vibes" }] }), "checks.0.type");
    rejects(() => validateSpec({ prompt: "a", sampels: 3 }), "sampels");
    rejects(
      () => validateSpec({ prompt: "a", checks: [{ type: "regex", pattern: "x", flags: "g" }] }),
      "checks.0.flags",
      "i, m, s, u",
    );
    rejects(() => validateSpec({ prompt: "a", inputs: [] }), "inputs", "at least one");
    rejects(() => validateSpec({ prompt: "a", tolerance: -1 }), "tolerance");
    rejects(() => validateSpec([1, 2]), "must be an object");
    rejects(() => loadSpec(write("c.hotpath-audit.yaml", "prompt: [unclosed")), "cannot parse audit spec");
    rejects(
      () => loadSpec(write("d.hotpath-audit.json", '{"prompt": "missing.md"}')),
      "cannot read prompt file",
      "no such file",
    );
    rejects(() => loadSpec(join(dir, "nothing-here.md")), "no such file");
    rejects(() => loadSpec(write("e.hotpath-audit.json", '{"promptText": "   "}')), "empty");
    rejects(
      () => loadSpec(write("f.hotpath-audit.json", '{"prompt": "bad.json"}')) && write("bad.json", "{"),
      "no such file",
    );
    write("bad.json", "{ broken");
    rejects(() => loadSpec(write("g.hotpath-audit.json", '{"prompt": "bad.json"}')), "bad.json", "not valid JSON");
  });

  it("selects sections by id or title and names the ids when a name is unknown", () => {
    const loaded = loadSpec(
      write("h.hotpath-audit.json", JSON.stringify({ prompt: "p.md", sections: { skip: ["A"] } })),
    );
    assert.deepEqual(selectSections(loaded.spec, loaded.doc), ["s2"]);
    const only = loadSpec(
      write("i.hotpath-audit.json", JSON.stringify({ prompt: "p.md", sections: { only: ["s1"] } })),
    );
    assert.deepEqual(selectSections(only.spec, only.doc), ["s1"]);
    const bad = loadSpec(
      write("j.hotpath-audit.json", JSON.stringify({ prompt: "p.md", sections: { only: ["Nope"] } })),
    );
    rejects(() => selectSections(bad.spec, bad.doc), 'no section is called "Nope"', "s1, s2");
  });
});
