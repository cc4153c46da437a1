import assert from "node:assert/strict";
import { argumentValues, dataDependency } from "../../../daemon/traces/analysis/data-flow.js";
import { isShellTool, shellEffect, toolEffect } from "../../../daemon/traces/analysis/tool-effects.js";

describe("traces/analysis tool effects and data flow", () => {
  it("treats readers as read-only and anything that may write as a barrier", () => {
    for (const cmd of [
      "ls -la _bmad/ 2>/dev/null | head -30",
      'find . -name "*.md" -type f -mmin -10 2>/dev/null',
      "rg -n foo src | head",
      "git status --short",
      "sed -n '1,20p' a.ts",
      "cat a > /dev/null",
    ]) {
      assert.equal(shellEffect(cmd).readOnly, true, cmd);
    }
    for (const cmd of [
      "rm -rf build",
      "echo hi > out.txt",
      "sed -i s/a/b/ f.ts",
      "find . -delete",
      "git commit -m x",
      "npm install",
      "cat $(which x)",
      "ls; touch f",
      "tail -f log",
    ]) {
      assert.equal(shellEffect(cmd).readOnly, false, cmd);
    }
    assert.equal(toolEffect("Read", '{"file_path":"/a.ts"}').readOnly, true);
    assert.equal(toolEffect("Edit", '{"file_path":"/a.ts"}').readOnly, false);
    assert.equal(toolEffect("Task", "{}").readOnly, false);
    assert.equal(toolEffect("Bash", '{"command":"ls"}').readOnly, true);
    assert.equal(toolEffect("exec_command", '{"cmd":"make"}').readOnly, false);
    assert.equal(toolEffect("tavily_search", "{}").readOnly, true);
    assert.equal(toolEffect("send_email", "{}").readOnly, false);
  });

  it("judges a shell tool by its command alone, whatever the tool is called (parallelism.ts memoises on that)", () => {
    const shells = ["Bash", "bash", "exec_command", "shell", "run_terminal_cmd", "local_shell", "shell_command"];
    for (const n of shells) assert.equal(isShellTool(n), true, n);
    for (const n of ["Read", "Task", "Edit", "bash_history"]) assert.equal(isShellTool(n), false, n);
    for (const args of [
      '{"command":"ls -la"}',
      '{"cmd":"make"}',
      '{"command":["bash","-lc","rg x | head"]}',
      "git push",
    ]) {
      const effects = shells.map((n) => toolEffect(n, args).readOnly);
      assert.equal(new Set(effects).size, 1, args);
    }
  });

  it("finds a value of an earlier result in later arguments, not bare words", () => {
    const result = "src/agents/plugins/opencode/opencode.plugin.ts\nsrc/index.ts\n_bmad-output\n";
    assert.equal(
      dataDependency(
        argumentValues(`{"cmd":"sed -n '1,230p' src/agents/plugins/opencode/opencode.plugin.ts"}`),
        result,
        new Set(),
      ),
      "src/agents/plugins/opencode/opencode.plugin.ts",
    );
    assert.equal(
      dataDependency(
        argumentValues(`{"command":"tail -50 ~/.codex/log/codex-tui.log"}`),
        "-rw-r--r-- 1 u staff 1 Jan 1 codex-tui.log",
        new Set(),
      ),
      "codex-tui.log",
    );
    // A top-level directory name is not evidence of data flow.
    assert.equal(
      dataDependency(argumentValues(`{"command":"find _bmad-output -type f"}`), result, new Set()),
      undefined,
    );
    assert.equal(dataDependency(argumentValues(`{"command":"ls 2>/dev/null"}`), "/dev/null", new Set()), undefined);
    // Whole tokens only: a longer name is another file; a path's tail or directory counts.
    assert.equal(dataDependency(new Set(["file.ts"]), "see file.tsx and file.ts.bak", new Set()), undefined);
    assert.equal(dataDependency(new Set(["file.ts"]), "found in /repo/src/file.ts.", new Set()), "file.ts");
    assert.equal(dataDependency(new Set(["src/deep"]), "src/deep/x.ts:3: y", new Set()), "src/deep");
  });
});
