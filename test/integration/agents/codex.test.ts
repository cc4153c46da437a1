// The real Codex CLI (@openai/codex, pinned in test/fixtures/agents/clis.ts) through the daemon. A capture proxy in
// front of the daemon records what Codex sent; the fake OpenAI upstream records what reached it: a route to OpenAI
// must pass Codex's Responses request through unchanged (a deep-equal), and stream the upstream's answer back.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSpans } from "../../fixtures/agents/capture.js";
import {
  agentClisHooks,
  assertLocalAgentSpans,
  agentModelDaemonHooks,
  capturedDaemonHooks,
} from "../../fixtures/agents/daemons.js";
import { codexArgs, runCli } from "../../fixtures/agents/run.js";
import { importedSession } from "../../fixtures/agents/sessions.js";

const OPENAI_KEY = "sk-codex-e2e-SECRET-0123456789abcdef";

describe("agents: Codex CLI through Hotpath", function () {
  this.timeout(600_000);
  const clis = agentClisHooks();
  const gateway = capturedDaemonHooks({
    flavor: "openai",
    apiKey: OPENAI_KEY,
    alias: "codex-smart",
    target: "gpt-5.5",
  });
  let sessions = "";
  before(() => void (sessions = mkdtempSync(join(tmpdir(), "hotpath-codex-sessions-"))));
  after(() => rmSync(sessions, { recursive: true, force: true }));
  beforeEach(() => {
    gateway.upstream?.reset();
    if (gateway.capture) gateway.capture.captured.length = 0;
  });

  it("passes Codex's Responses request to OpenAI unchanged except the model, and prints the upstream's answer", async () => {
    gateway.upstream.script({
      kind: "reply",
      text: "PONG from the fake Responses upstream",
      usage: { input: 1200, output: 9, cached: 1000 },
    });
    const run = await runCli(clis.codex, codexArgs(`${gateway.capture.url}/v1`, "codex-smart", "Reply with PONG."), {
      HOTPATH_TOKEN: gateway.daemon.token,
    });
    assert.equal(run.code, 0, `codex failed:\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /PONG from the fake Responses upstream/);

    const sent = gateway.capture.captured.filter((c) => c.path.startsWith("/v1/responses"));
    assert.equal(sent.length, 1, `Codex made ${sent.length} Responses requests`);
    assert.equal(gateway.upstream.received.length, 1);
    const got = gateway.upstream.received[0];
    assert.equal(got.path, "/v1/responses");
    // The body as Codex sent it, every field (input items, tools of every type, reasoning, include, prompt_cache_key,
    // client_metadata…), with only the model replaced by the route's.
    assert.equal(got.body.model, "gpt-5.5");
    assert.deepEqual({ ...got.body, model: sent[0].body!.model }, sent[0].body);
    // Codex's own headers reach OpenAI; Hotpath's token does not (the provider's key replaces it).
    for (const h of ["session-id", "originator", "x-codex-turn-metadata", "user-agent"]) {
      assert.equal(got.headers[h], sent[0].headers[h], `header ${h}`);
    }
    assert.equal(got.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.ok(!JSON.stringify(got.headers).includes(gateway.daemon.token));

    // The span of the proxied request: route, usage with cached tokens.
    const span = (await readSpans(gateway.daemon.dataDir)).find(
      (s) => s.attributes["hotpath.endpoint"] === "responses",
    );
    assert.ok(span, "the Responses request has a span");
    assert.equal(span.attributes["hotpath.route"], "openai:gpt-5.5");
    assert.equal(span.attributes["gen_ai.usage.input_tokens"], 1200);
    assert.equal(span.attributes["gen_ai.usage.cache_read.input_tokens"], 1000);
  });

  it("a session with a command: proxied, one trace with the tool between the calls; its rollout, imported, the same", async () => {
    gateway.upstream.script(
      {
        kind: "reply",
        toolCalls: [
          { id: "call_hp1", name: "exec_command", arguments: JSON.stringify({ cmd: "echo hotpath-tool-ran" }) },
        ],
      },
      { kind: "reply", text: "The command printed the marker." },
    );
    const before = (await readSpans(gateway.daemon.dataDir)).length;
    const run = await runCli(
      clis.codex,
      [
        ...codexArgs(`${gateway.daemon.url}/v1`, "codex-smart", "Run echo hotpath-tool-ran."),
        "--dangerously-bypass-approvals-and-sandbox",
      ],
      { HOTPATH_TOKEN: gateway.daemon.token },
      undefined,
      sessions,
    );
    assert.equal(run.code, 0, `codex failed:\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /The command printed the marker/);
    assert.equal(gateway.upstream.received.length, 2);
    // The command really ran: its output went back to the model in the second request.
    assert.match(JSON.stringify(gateway.upstream.received[1].body.input), /function_call_output.*hotpath-tool-ran/s);

    const spans = (await readSpans(gateway.daemon.dataDir)).slice(before);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, "one trace for the session");
    const llm = spans.filter((s) => s.kind === "llm");
    const tools = spans.filter((s) => s.kind === "tool");
    assert.equal(llm.length, 2);
    assert.equal(tools.length, 1, JSON.stringify(spans.map((s) => [s.kind, s.name])));
    assert.equal(tools[0].attributes["gen_ai.tool.name"], "exec_command");
    assert.equal(tools[0].attributes["gen_ai.tool.call.id"], "call_hp1");

    // The rollout this Codex wrote of the same session, imported: the importer reads what the current CLI writes.
    assert.equal(run.sessions.length, 1, `one rollout: ${run.sessions.join(", ")}`);
    const imported = await importedSession(run.sessions[0]);
    assert.equal(imported.traceIds.length, 1);
    const importedLlm = imported.spans.filter((s) => s.kind === "llm");
    const importedTools = imported.spans.filter((s) => s.kind === "tool");
    assert.equal(importedLlm.length, 2, `model calls read from the rollout: ${JSON.stringify(imported.spans)}`);
    assert.equal(importedTools.length, 1);
    const importedTool = importedTools[0];
    assert.equal(importedTool.attributes["gen_ai.tool.name"], "exec_command");
    assert.equal(importedTool.attributes["gen_ai.tool.call.id"], "call_hp1");
    assert.match(String(importedTool.attributes["gen_ai.tool.call.arguments"]), /echo hotpath-tool-ran/);
    assert.match(String(importedTool.attributes["gen_ai.tool.call.result"]), /hotpath-tool-ran/);
    // The pinned Codex records the command's run as an item_completed event (exec_command_end in older ones).
    assert.equal(importedTool.attributes["hotpath.duration_source"], "item_completed");
    assert.equal(importedTool.attributes["process.exit.code"], 0);
    assert.ok(
      importedLlm[0].endNs <= importedTool.startNs && importedTool.endNs <= importedLlm[1].startNs,
      "the command ran between the calls",
    );
  });
});

describe("agents: Codex CLI on a local model through Hotpath", function () {
  this.timeout(900_000);
  const clis = agentClisHooks();
  // Codex's prompt (instructions, tools) is ~40 kB: a generated model with a context to hold it.
  const local = agentModelDaemonHooks();

  it("answers Codex's Responses request (its tools, developer turns, reasoning settings) without error", async () => {
    const run = await runCli(
      clis.codex,
      codexArgs(`${local.daemon.url}/v1`, "agent", "Say hello."),
      { HOTPATH_TOKEN: local.daemon.token },
      600_000,
    );
    assert.equal(run.code, 0, `codex failed:\n${run.stderr.slice(-3000)}\n${local.daemon.output().slice(-2000)}`);
    await assertLocalAgentSpans(local.daemon, "responses", "Codex");
  });
});
