// The daemon-side audit service on real recorded traces: calls made through the real daemon are found by their
// system prompt (average/p95 prompt tokens, inputs for `inputs.fromTraces`, tools never called), and background
// runs can be started, polled to a report, and cancelled.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditRunStatus } from "../../../daemon/api.js";
import { AuditService } from "../../../daemon/audit/service.js";
import { SpecError } from "../../../daemon/audit/spec.js";
import { loadConfig } from "../../../daemon/config.js";
import { openDb, type Db } from "../../../daemon/db.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { defaultModel, fixtures } from "../../bench/audit.js";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { testThreads } from "../../fixtures/models.js";

const promptFile = join(fixtures, "triage-xml.json");
const prompt = JSON.parse(readFileSync(promptFile, "utf8"));

async function until(service: AuditService, id: string, done: (s: AuditRunStatus) => boolean): Promise<AuditRunStatus> {
  for (;;) {
    const s = service.status(id)!;
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("audit service on real recorded traces", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;
  let db: Db;
  let service: AuditService;

  before(async function () {
    if (!existsSync(DAEMON_BIN)) {
      console.log(`    skipped: ${DAEMON_BIN} is not built (npm test builds it)`);
      this.skip();
    }
    daemon = await startDaemon({ args: ["--model", `stories=${defaultModel()}`], waitForModels: ["stories"] });
    // Three calls with the prompt's system text and tools; the forced tool is record_label, search_kb is never called.
    for (const user of ["The toaster is broken.", "Refund my kettle.", "My mug cracked."]) {
      const messages = [prompt.messages[0], { role: "user", content: user }];
      const res = await daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "stories",
          temperature: 0,
          max_tokens: 128,
          messages,
          tools: prompt.tools,
          tool_choice: prompt.tool_choice,
        }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    db = openDb(join(daemon.dataDir, "hotpath.db"));
    const traces = new TraceStore(db);
    for (let i = 0; i < 100 && traces.recentSpans({ kind: "llm" }).length < 3; i++)
      await new Promise((r) => setTimeout(r, 100));
    const config = loadConfig({ flags: { dataDir: daemon.dataDir, threads: testThreads(), gpu: "off" }, env: {} });
    service = new AuditService({ db, traces, config, allowModelPaths: true });
  });
  after(async () => {
    await service?.dispose();
    db?.close();
    await daemon?.dispose();
  });

  it("sections a prompt and reports recorded prompt tokens and the tool never called", async () => {
    const r = await service.sections({
      text: readFileSync(promptFile, "utf8"),
      fileName: "triage-xml.json",
      model: defaultModel(),
    });
    assert.equal(r.format, "chat-json");
    assert.match(r.tokenizer, /^gguf:/);
    assert.equal(r.exactTokens, true);
    assert.deepEqual(
      r.sections.map((s) => s.id),
      ["s1", "s2", "s3", "s4", "tool:search_kb", "tool:record_label"],
    );
    assert.equal(r.recorded?.calls, 3);
    assert.ok(r.recorded!.avgPromptTokens > 100 && r.recorded!.p95PromptTokens >= r.recorded!.avgPromptTokens);
    const unused = r.findings.filter((f) => f.kind === "unused-tool").map((f) => f.sectionIds[0]);
    assert.deepEqual(unused, ["tool:search_kb"]);
    await assert.rejects(service.sections({ text: "{ nope", fileName: "x.json" }), /not valid JSON/);
  });

  it("runs an audit in the background on the last recorded inputs, then returns the stored report by id", async () => {
    const spec = {
      promptText: readFileSync(promptFile, "utf8"),
      inputs: { fromTraces: { last: 2 } },
      samples: 1,
      checks: [{ type: "json-equal", value: [{ name: "record_label", arguments: { label: "refund" } }] }],
    };
    const started = await service.start({ spec, fileName: "triage-xml.json", model: defaultModel() });
    assert.match(started.id, /^[0-9a-f]{64}$/);
    assert.equal(started.estimate.calls, (1 + 6 + 1) * 2);
    const done = await until(service, started.id, (s) => s.status !== "running");
    assert.equal(done.status, "done", done.error);
    assert.equal(done.report!.inputs, 2);
    assert.equal(done.report!.combined.verified, true);
    assert.match(done.markdown!, /Verified combined saving/);
    const again = await service.start({ spec, fileName: "triage-xml.json", model: defaultModel() });
    assert.equal(again.id, started.id);
    assert.equal((await until(service, again.id, (s) => s.status !== "running")).report!.runId, started.id);
  });

  it("audits a recorded call: its system prompt and tools are the sections, its user message the input", async () => {
    const span = new TraceStore(db).recentSpans({ kind: "llm" })[0];
    const ref = { traceId: span.traceId, spanId: span.spanId };
    const r = await service.sections({ span: ref });
    assert.equal(r.format, "span");
    assert.deepEqual(
      r.sections.map((s) => s.id),
      ["s1", "s2", "s3", "s4", "tool:search_kb", "tool:record_label"],
    );
    // Ranges address the virtual document the response carries.
    const tool = r.sections.find((s) => s.id === "tool:record_label")!;
    assert.equal(JSON.parse(r.source!.slice(tool.range.start, tool.range.end)).function.name, "record_label");
    const spec = {
      span: `${ref.traceId}/${ref.spanId}`,
      samples: 1,
      request: { tool_choice: prompt.tool_choice, max_tokens: 128 },
      checks: [{ type: "json-equal", value: [{ name: "record_label", arguments: { label: "refund" } }] }],
    };
    const { id } = await service.start({ spec, model: defaultModel() });
    const done = await until(service, id, (x) => x.status !== "running");
    assert.equal(done.status, "done", done.error);
    assert.equal(done.report!.prompt.format, "span");
    assert.equal(done.report!.combined.verified, true);
    await assert.rejects(
      service.sections({ span: { traceId: "nope", spanId: "nope" } }),
      /no recorded span nope\/nope/,
    );
  });

  it("cancels a running audit; bad specs are refused with the reason", async () => {
    const spec = {
      promptText: readFileSync(join(fixtures, "support.md"), "utf8"),
      inputs: ["When do you open?"],
      samples: 3,
    };
    const { id } = await service.start({ spec, model: defaultModel() });
    await until(service, id, (s) => s.progress.done >= 1);
    service.cancel(id);
    const s = await until(service, id, (x) => x.status !== "running");
    assert.equal(s.status, "cancelled");
    await assert.rejects(
      service.start({ spec: { prompt: "/etc/passwd" } }),
      (e: Error) => e instanceof SpecError && /does not read files/.test(e.message),
    );
    await assert.rejects(service.start({ spec: { promptText: "x", samples: 0 } }), /samples/);
    await assert.rejects(
      service.start({ spec: { promptText: "x", inputs: { fromTraces: { last: 3 } } }, model: defaultModel() }),
      /no recorded LLM call/,
    );
    assert.equal(service.status("0".repeat(64)), undefined);
    const strict = new AuditService({
      db,
      traces: new TraceStore(db),
      config: loadConfig({ flags: { dataDir: daemon.dataDir }, env: {} }),
    });
    await assert.rejects(
      strict.start({ spec: { promptText: "x" }, model: "/tmp/evil.gguf" }),
      /looks like a file path/,
    );
  });
});
