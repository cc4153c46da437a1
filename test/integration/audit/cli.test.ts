// `hotpath audit` as a user runs it: a separate process, a real model, a real database in a temporary data dir.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AuditReport } from "../../../daemon/api.js";
import { defaultModel, fixtures, repoRoot } from "../../bench/audit.js";
import { testThreads } from "../../fixtures/models.js";

const entry = fileURLToPath(new URL("./cli-entry.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hotpath(
  args: string[],
  dataDir: string,
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", entry, "--data-dir", dataDir, "audit", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    stderr += d;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("hotpath audit (CLI)", function () {
  this.timeout(600_000);
  const dataDir = mkdtempSync(join(tmpdir(), "hotpath-audit-cli-"));
  const model = ["--model", defaultModel(), "--threads", String(testThreads())];
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("on a prompt file prints per-section verdicts with token counts and intervals, and the verified combined saving", async () => {
    const r = await hotpath([join(fixtures, "support.md"), ...model, "--samples", "1", "--json", "--yes"], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /estimate: 9 calls/);
    const report = JSON.parse(r.stdout) as AuditReport;
    assert.equal(report.sections.length, 7);
    for (const s of report.sections) {
      assert.equal(typeof s.title, "string");
      assert.ok(s.tokens > 0);
      assert.ok(["removable", "essential", "inconclusive — needs more samples"].includes(s.verdict), s.verdict);
      for (const k of ["mean", "low", "high"] as const) assert.equal(typeof s.qualityDelta[k], "number");
      assert.ok(s.qualityDelta.low <= s.qualityDelta.mean && s.qualityDelta.mean <= s.qualityDelta.high);
      assert.equal(typeof s.range.startLine, "number");
    }
    assert.equal(typeof report.combined.verified, "boolean");
    assert.equal(typeof report.combined.tokensSaved, "number");
    // With only a prompt, the check is embedding similarity to the baseline (the cache's real USE embedder).
    assert.deepEqual(report.checks, ["similarity"]);
    assert.match(report.tokenizer, /^gguf:/);
  });

  it("Ctrl-C cancels cleanly, and the same command resumes with only the missing calls", async () => {
    const args = [join(fixtures, "triage-markdown.hotpath-audit.json"), ...model, "--yes"];
    let sent = false;
    const first = await hotpath(args, dataDir, (err, child) => {
      if (!sent && /ablation \d+\//.test(err)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /cancelled: the calls made so far are saved/);
    const second = await hotpath([...args, "--json"], dataDir);
    assert.equal(second.code, 0, second.stderr);
    const done = Number(/resuming: (\d+) calls already recorded/.exec(second.stderr)?.[1]);
    assert.ok(done >= 10 && done < 48, second.stderr);
    const report = JSON.parse(second.stdout) as AuditReport;
    assert.equal(report.calls, 48);
    assert.equal(report.combined.verified, true);
    assert.equal(report.sections.filter((s) => s.verdict === "removable").length, 9);
    // A third run finds the finished report and makes no calls.
    const third = await hotpath([...args, "--json"], dataDir);
    assert.equal(third.code, 0);
    assert.equal((JSON.parse(third.stdout) as AuditReport).runId, report.runId);
  });

  it("a bad spec exits 2 with a message that says what to fix", async () => {
    const r = await hotpath([join(fixtures, "missing.hotpath-audit.json"), ...model], dataDir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read audit spec .*no such file/);
    const noModel = await hotpath([join(fixtures, "support.md")], dataDir);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /no model to audit with: pass --model/);
  });
});
