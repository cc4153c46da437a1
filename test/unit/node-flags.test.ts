import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingNodeFlags, NODE_FLAGS, shebangNodeFlags } from "../../daemon/node-flags.js";

describe("node flags: the daemon's Node.js flags, from its shebang", () => {
  let dir: string;
  const script = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-node-flags-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the flags after `node` on an env -S shebang, past the environment settings", () => {
    const s = script(
      "a.js",
      "#!/usr/bin/env -S MALLOC_ARENA_MAX=2 A=b node --v8-pool-size=0 --max-old-space-size=4096\nrun();\n",
    );
    assert.deepEqual(shebangNodeFlags(s), ["--v8-pool-size=0", "--max-old-space-size=4096"]);
  });

  it("reads them after a path to node, and none where the shebang names none", () => {
    assert.deepEqual(shebangNodeFlags(script("b.js", "#!/usr/local/bin/node --stack-size=2000\n")), [
      "--stack-size=2000",
    ]);
    assert.deepEqual(shebangNodeFlags(script("c.js", "#!/usr/bin/env node\nx()\n")), []);
    assert.deepEqual(shebangNodeFlags(script("d.js", "#!/usr/bin/env -S A=1 node")), []); // no newline at all
  });

  it("gives none for a script without a shebang, one that is not node's, an empty or missing file", () => {
    assert.deepEqual(shebangNodeFlags(script("e.js", "// --v8-pool-size=0 node\n")), []);
    assert.deepEqual(shebangNodeFlags(script("f.py", "#!/usr/bin/env python3 --flag\n")), []);
    assert.deepEqual(shebangNodeFlags(script("g.js", "")), []);
    assert.deepEqual(shebangNodeFlags(join(dir, "missing.js")), []);
  });

  it("takes only words shaped like flags (a shebang is text anyone may have written)", () => {
    const s = script("h.js", "#!/usr/bin/env -S node --ok=1 -e evil() ; rm --x=$(y)\n");
    assert.deepEqual(shebangNodeFlags(s), ["--ok=1"]);
  });

  it("the build's own bin names every flag, and a process given them misses none", () => {
    assert.ok(NODE_FLAGS.length > 0);
    assert.deepEqual(missingNodeFlags([...NODE_FLAGS], ""), []);
    assert.deepEqual(missingNodeFlags([], NODE_FLAGS.join(" ")), [], "given in NODE_OPTIONS");
    assert.deepEqual(missingNodeFlags(["--inspect"], "--max-old-space-size=100"), [...NODE_FLAGS]);
  });
});
