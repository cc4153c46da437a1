// The real Claude Code CLI (@anthropic-ai/claude-code, pinned in test/fixtures/agents/clis.ts) through the daemon.
// A capture proxy in front of the daemon records what Claude Code sent; the fake Anthropic upstream records what
// reached it: an Anthropic route must pass the request through unchanged (system blocks with cache_control, system
// turns, thinking, context_management, output_config, metadata, the anthropic-beta header, ?beta=true) except the
// model. On a local model the same request must be answered, not refused.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceAnalysis } from "../../../daemon/api.js";
import { DAEMON_BIN } from "../../fixtures/daemon.js";
import { readSpans } from "../../fixtures/agents/capture.js";
import {
  agentClisHooks,
  assertLocalAgentSpans,
  agentModelDaemonHooks,
  capturedDaemonHooks,
  CLAUDE_CODE_ROUTE,
} from "../../fixtures/agents/daemons.js";
import { runCli } from "../../fixtures/agents/run.js";
import { importedSession } from "../../fixtures/agents/sessions.js";

const ANTHROPIC_KEY = "sk-ant-cc-e2e-SECRET-fedcba9876543210";

/** Claude Code's environment for a gateway (docs/agents/claude-code.md): base URL, the daemon's token as the key. */
function claudeEnv(baseURL: string, token: string, model: string): NodeJS.ProcessEnv {
  return {
    ANTHROPIC_BASE_URL: baseURL,
    ANTHROPIC_API_KEY: token,
    ANTHROPIC_MODEL: model,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

describe("agents: Claude Code through Hotpath", function () {
  this.timeout(600_000);
  const clis = agentClisHooks();
  const gateway = capturedDaemonHooks({ ...CLAUDE_CODE_ROUTE, apiKey: ANTHROPIC_KEY });
  let sessions = "";
  before(() => void (sessions = mkdtempSync(join(tmpdir(), "hotpath-cc-sessions-"))));
  after(() => rmSync(sessions, { recursive: true, force: true }));

  it("passes Claude Code's request to Anthropic unchanged except the model, and prints the upstream's answer", async () => {
    gateway.upstream.fallback = {
      kind: "reply",
      text: "PONG from the fake Anthropic upstream",
      usage: { input: 9000, output: 8, cached: 8500 },
    };
    const run = await runCli(
      clis.claude,
      ["-p", "Reply with PONG."],
      claudeEnv(gateway.capture.url, gateway.daemon.token, "cc-smart"),
    );
    assert.equal(run.code, 0, `claude failed:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /PONG from the fake Anthropic upstream/);

    const sent = gateway.capture.captured.filter((c) => c.path.startsWith("/v1/messages"));
    assert.ok(sent.length >= 1);
    assert.equal(gateway.upstream.received.length, sent.length, "one upstream request per request Claude Code made");
    for (const [i, got] of gateway.upstream.received.entries()) {
      const asked = sent[i];
      assert.equal(got.path, asked.path, "the query string (?beta=true) reaches the upstream");
      assert.equal(got.body.model, "claude-sonnet-4-5");
      assert.deepEqual({ ...got.body, model: asked.body!.model }, asked.body);
      for (const h of ["anthropic-beta", "anthropic-version", "x-claude-code-session-id", "user-agent", "x-app"]) {
        assert.equal(got.headers[h], asked.headers[h], `header ${h}`);
      }
      assert.equal(got.headers["x-api-key"], ANTHROPIC_KEY);
      assert.ok(
        !JSON.stringify(got.headers).includes(gateway.daemon.token),
        "the daemon's token stays with the daemon",
      );
    }
    // What the issue found dropped: all present in what reached Anthropic.
    const body = gateway.upstream.received[0].body as Record<string, unknown>;
    for (const k of ["thinking", "context_management", "output_config", "metadata"])
      assert.ok(k in body, `${k} reached the upstream`);
    assert.ok(
      JSON.stringify(body.system).includes("cache_control"),
      "cache_control on system blocks reached the upstream",
    );
    assert.match(gateway.upstream.received[0].path, /\?beta=true$/);

    const span = (await readSpans(gateway.daemon.dataDir)).find((s) => s.attributes["hotpath.endpoint"] === "messages");
    assert.ok(span);
    assert.equal(span.attributes["hotpath.route"], "anthropic:claude-sonnet-4-5");
    assert.equal(span.attributes["gen_ai.usage.cache_read.input_tokens"], 8500);
  });

  it("a session with a tool call is one trace: LLM spans, and the tool's time between them as a tool span", async () => {
    gateway.upstream.reset();
    gateway.upstream.script(
      {
        kind: "reply",
        toolCalls: [
          {
            id: "toolu_hp1",
            name: "Bash",
            arguments: JSON.stringify({ command: "echo hotpath-tool-ran", description: "Print a marker" }),
          },
        ],
      },
      { kind: "reply", text: "The command printed the marker." },
    );
    gateway.upstream.fallback = { kind: "reply", text: "Done." };
    const before = (await readSpans(gateway.daemon.dataDir)).length;
    const run = await runCli(
      clis.claude,
      ["-p", "Run echo hotpath-tool-ran with Bash.", "--allowedTools", "Bash"],
      claudeEnv(gateway.daemon.url, gateway.daemon.token, "cc-smart"),
      undefined,
      sessions,
    );
    assert.equal(
      run.code,
      0,
      `claude failed:
${run.stdout.slice(-2000)}
${run.stderr.slice(-3000)}`,
    );
    assert.match(run.stdout, /The command printed the marker/);
    // The tool really ran: its output went back to the model in the second request.
    assert.match(JSON.stringify(gateway.upstream.received[1].body.messages), /hotpath-tool-ran/);

    const spans = (await readSpans(gateway.daemon.dataDir)).slice(before);
    const llm = spans.filter((s) => s.kind === "llm");
    const tools = spans.filter((s) => s.kind === "tool");
    assert.ok(llm.length >= 2, `${llm.length} LLM spans`);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, "one trace for the session");
    assert.equal(tools.length, 1);
    const t = tools[0];
    assert.equal(t.attributes["gen_ai.tool.name"], "Bash");
    assert.equal(t.attributes["gen_ai.tool.call.id"], "toolu_hp1");
    assert.match(String(t.attributes["gen_ai.tool.call.arguments"]), /echo hotpath-tool-ran/);
    assert.ok((t.attributes["hotpath.tool.result_chars"] as number) > 0);
    assert.equal(t.status, "ok");
    const asking = llm.find((s) => s.endNs <= t.startNs + 1e6)!;
    const answering = llm.find((s) => s.startNs >= t.endNs - 1e6);
    assert.ok(
      asking && answering,
      `the tool span lies between the answer that asked and the request that brought the result: ${JSON.stringify(spans.map((s) => [s.kind, s.startNs, s.endNs]))}`,
    );
    // `hotpath analyze` on the session that was only proxied, while the daemon still runs on the same database:
    // the tool is on the critical path, its time owned by the tool, and the text names it; the profiler's analysis
    // (the admin API the webview reads) is the same analysis.
    const cli = spawnSync(
      process.execPath,
      [DAEMON_BIN, "--data-dir", gateway.daemon.dataDir, "analyze", t.traceId, "--json"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    const analysis = JSON.parse(cli.stdout) as TraceAnalysis;
    assert.equal(analysis.traceId, t.traceId);
    assert.equal(analysis.spanCount, spans.length);
    assert.ok(analysis.criticalPath.spanIds.includes(t.spanId), "the tool span is on the critical path");
    assert.ok(
      analysis.criticalPath.byKind.tool > 0,
      `tool time on the path: ${JSON.stringify(analysis.criticalPath.byKind)}`,
    );
    assert.ok(analysis.criticalPath.byKind.llm > 0);
    const profiler = (await (
      await gateway.daemon.fetch(`/hotpath/traces/${t.traceId}/analysis`)
    ).json()) as TraceAnalysis;
    assert.deepEqual(profiler, analysis);
    const text = spawnSync(
      process.execPath,
      [DAEMON_BIN, "--data-dir", gateway.daemon.dataDir, "analyze", t.traceId.slice(0, 12)],
      {
        encoding: "utf8",
      },
    );
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^ {2}tool +echo hotpath-tool-ran, /m, "the tool call is a hotspot, by its command");
    assert.match(text.stdout, /critical path: 3 spans, .* — .*tool /);

    // The transcript this Claude Code wrote of the same session, imported: the same two model calls with the tool
    // call between them — the importer read what the current CLI writes, not only the fixtures it was built on.
    assert.equal(run.sessions.length, 1, `one session transcript: ${run.sessions.join(", ")}`);
    const imported = await importedSession(run.sessions[0]);
    assert.equal(imported.traceIds.length, 1);
    const importedLlm = imported.spans.filter((s) => s.kind === "llm");
    const importedTools = imported.spans.filter((s) => s.kind === "tool");
    assert.equal(importedLlm.length, 2, `model calls read from the transcript: ${JSON.stringify(imported.spans)}`);
    assert.equal(importedTools.length, 1);
    const importedTool = importedTools[0];
    assert.equal(importedTool.attributes["gen_ai.tool.name"], "Bash");
    assert.equal(importedTool.attributes["gen_ai.tool.call.id"], "toolu_hp1");
    assert.deepEqual(
      JSON.parse(String(importedTool.attributes["gen_ai.tool.call.arguments"])),
      JSON.parse(String(t.attributes["gen_ai.tool.call.arguments"])),
    );
    assert.match(String(importedTool.attributes["gen_ai.tool.call.result"]), /hotpath-tool-ran/);
    assert.ok(
      importedLlm[0].endNs <= importedTool.startNs && importedTool.endNs <= importedLlm[1].startNs,
      "the tool ran between the calls",
    );
    assert.deepEqual(
      importedLlm.map((s) => s.attributes["gen_ai.usage.output_tokens"]),
      [5, 5],
      "each call's usage as the upstream answered it",
    );
    // Each call starts when Claude Code sent its request: its api-request record (docs/traces.md has how close that
    // lies to the daemon's own receipt; a timing the test does not assert, the machine being shared).
    const records = readFileSync(run.sessions[0], "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; id?: string; timestamp?: string; requestRef?: string });
    const sentAt = new Map(
      records.filter((r) => r.type === "api-request").map((r) => [r.id, Date.parse(r.timestamp!) * 1e6]),
    );
    assert.ok(sentAt.size >= 2, "the pinned Claude Code writes an api-request record per request");
    // Each answer's first record, by the request it names (a send stamped after it is not believed: see the importer).
    const answered = new Map<string | undefined, number>();
    for (const r of records)
      if (r.type === "assistant" && !answered.has(r.requestRef))
        answered.set(r.requestRef, Date.parse(r.timestamp!) * 1e6);
    assert.equal(answered.size, importedLlm.length);
    let checked = 0;
    [...answered].forEach(([ref, firstNs], i) => {
      const sent = sentAt.get(ref);
      assert.ok(sent !== undefined, `the request ${ref} has its api-request record`);
      if (sent > firstNs) return;
      assert.equal(importedLlm[i].startNs, sent, `call ${i + 1} starts at its request's send time`);
      checked++;
    });
    assert.ok(checked >= 1, "a call's send was stamped before its answer");
  });

  it("a session that launches a background agent: its transcripts, imported, put the wait for it on the agent", async () => {
    gateway.upstream.reset();
    // Answers by what each request is: the subagent's (its prompt only, answered 300 ms late, so that the session's
    // own turn ends first), the session's first (launch the agent), after the launch, after the agent's notification.
    gateway.upstream.fallback = {
      kind: "read",
      reply: (body) => {
        const text = JSON.stringify(body.messages);
        if (!text.includes("Use a background agent")) return { text: "Agent: two files.", delayMs: 300 };
        if (text.includes("task-notification")) return { text: "The agent found two files." };
        if (text.includes("toolu_bg1")) return { text: "Waiting for the agent." };
        const input = { description: "List files", prompt: "List the files.", subagent_type: "general-purpose" };
        return { toolCalls: [{ id: "toolu_bg1", name: "Task", arguments: JSON.stringify(input) }] };
      },
    };
    const run = await runCli(
      clis.claude,
      ["-p", "Use a background agent to list the files.", "--allowedTools", "Task"],
      claudeEnv(gateway.daemon.url, gateway.daemon.token, "cc-smart"),
      undefined,
      sessions,
    );
    gateway.upstream.fallback = { kind: "reply", text: "Hello from the fake upstream." };
    assert.equal(run.code, 0, `claude failed:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /The agent found two files/);
    const main = run.sessions.find((f) => !f.includes("/subagents/"));
    const subs = run.sessions.filter((f) => f.includes("/subagents/"));
    assert.ok(main && subs.length === 1, `a session and one subagent transcript: ${run.sessions.join(", ")}`);

    const imported = await importedSession(main);
    const { spans, traceIds } = imported;
    assert.equal(traceIds.length, 1);
    const session = spans.find((s) => s.name === "invoke_agent claude-code")!;
    const launch = spans.find((s) => s.kind === "tool" && s.attributes["gen_ai.tool.call.id"] === "toolu_bg1")!;
    const agent = spans.find((s) => s.kind === "agent" && s !== session)!;
    assert.ok(launch && agent, JSON.stringify(spans.map((s) => [s.kind, s.name])));
    assert.equal(agent.parentSpanId, session.spanId, "beside the session, not inside the call that returned");
    assert.equal(agent.attributes["hotpath.agent.async"], true);
    assert.equal(agent.attributes["hotpath.agent.launched_by"], launch.spanId);
    assert.ok(agent.endNs > launch.endNs, "the agent ran on after the call had returned");
    const sessionCalls = spans.filter((s) => s.kind === "llm" && s.parentSpanId === session.spanId);
    assert.equal(sessionCalls.length, 3);
    assert.deepEqual(
      sessionCalls.map((s) => s.attributes["hotpath.user_prompt"] !== undefined),
      [true, false, false],
      "the notification's turn is not a person's prompt",
    );
    const agentCall = spans.find((s) => s.kind === "llm" && s.parentSpanId === agent.spanId)!;
    const [analysis] = imported.analyses;
    assert.ok(analysis.criticalPath.spanIds.includes(agentCall.spanId), "the agent's call is on the critical path");
    assert.equal(analysis.criticalPath.byKind.idle, 0, "nobody was idle: the session waited on its agent");
  });
});

describe("agents: Claude Code on a local model through Hotpath", function () {
  this.timeout(900_000);
  const clis = agentClisHooks();
  const local = agentModelDaemonHooks();

  it("answers Claude Code's request (system turns, adaptive thinking, max_tokens 128000, betas) without error", async () => {
    const run = await runCli(
      clis.claude,
      ["-p", "Say hello."],
      claudeEnv(local.daemon.url, local.daemon.token, "agent"),
      600_000,
    );
    assert.equal(
      run.code,
      0,
      `claude failed:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}\n${local.daemon.output().slice(-2000)}`,
    );
    await assertLocalAgentSpans(local.daemon, "messages", "Claude Code");
  });
});
