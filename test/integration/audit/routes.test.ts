// The audit routes on the real HTTP server (auth, body limits, JSON validation) with a real AuditService, engine,
// router and database; hostile and malformed input included.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditRunStarted, AuditRunStatus, AuditSectionsResponse } from "../../../daemon/api.js";
import { fixedThreads } from "../../../daemon/audit/job.js";
import { embedderFromConfig } from "../../../daemon/cache/embedders/index.js";
import { ResponseCache } from "../../../daemon/cache/service.js";
import { openDb } from "../../../daemon/db.js";
import { Router } from "../../../daemon/router/router.js";
import { createHttpServer } from "../../../daemon/server/http.js";
import { Metrics } from "../../../daemon/server/metrics.js";
import { routes } from "../../../daemon/server/routes/audit.js";
import { type Services, wireServices } from "../../../daemon/server/services.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { fixtures } from "../../bench/audit.js";
import { storiesEngine } from "./stories-engine.js";

const TOKEN = "test-token";

describe("audit routes on the real HTTP server", function () {
  this.timeout(600_000);
  let server: Server;
  let base: string;
  let services: Services;

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });

  before(async () => {
    const { config, engine } = await storiesEngine();
    const db = openDb(":memory:");
    const cache = new ResponseCache({
      db,
      config: config.cache,
      embedder: await embedderFromConfig(config.cache, { threads: fixedThreads(config.threads) }),
    });
    services = wireServices({
      version: "test",
      config,
      db,
      traces: new TraceStore(db),
      metrics: new Metrics(),
      engine,
      router: new Router({ config: config.router, local: engine, db }),
      cache,
      log: () => undefined,
    });
    server = createHttpServer(services, routes, { token: TOKEN, allowOrigins: [], allowAnyHost: false });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await services?.audit.dispose();
    server?.close();
    services?.router.close();
    await services?.engine.dispose();
    services?.db.close();
  });

  it("POST /hotpath/audit/sections returns sections, ranges and findings", async () => {
    const text = readFileSync(join(fixtures, "triage-markdown.json"), "utf8");
    const res = await call("POST", "/hotpath/audit/sections", {
      text,
      fileName: "triage-markdown.json",
      model: "stories",
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as AuditSectionsResponse;
    assert.equal(body.sections.length, 10);
    assert.match(body.tokenizer, /^gguf:/);
    assert.ok(body.findings.some((f) => f.kind === "duplicate-sentence"));
  });

  it("POST /hotpath/audit/run starts a run, GET polls it to the report, DELETE cancels", async () => {
    const spec = {
      promptText: readFileSync(join(fixtures, "triage-xml.json"), "utf8"),
      samples: 1,
      inputs: ["Refund please."],
      checks: [{ type: "json-equal", value: [{ name: "record_label", arguments: { label: "refund" } }] }],
    };
    const res = await call("POST", "/hotpath/audit/run", { spec, fileName: "triage-xml.json", model: "stories" });
    assert.equal(res.status, 202);
    const { id, estimate } = (await res.json()) as AuditRunStarted;
    assert.equal(estimate.calls, 8);
    let status: AuditRunStatus;
    do {
      await new Promise((r) => setTimeout(r, 200));
      status = (await (await call("GET", `/hotpath/audit/${id}`)).json()) as AuditRunStatus;
    } while (status.status === "running");
    assert.equal(status.status, "done", status.error);
    assert.equal(status.report!.combined.verified, true);
    assert.equal((await call("DELETE", `/hotpath/audit/${id}`)).status, 200);
  });

  it("refuses malformed, oversized, unauthorised and hostile requests with the reason", async () => {
    const noAuth = await fetch(`${base}/hotpath/audit/sections`, { method: "POST", body: "{}" });
    assert.equal(noAuth.status, 401);
    const notJson = await call("POST", "/hotpath/audit/sections", "{ nope");
    assert.equal(notJson.status, 400);
    const neither = await call("POST", "/hotpath/audit/sections", { fileName: "x.md" });
    assert.equal(neither.status, 400);
    assert.match(
      ((await neither.json()) as { error: { message: string } }).error.message,
      /exactly one of text or span/,
    );
    const big = await call("POST", "/hotpath/audit/sections", { text: "x".repeat(5 * 1024 * 1024) });
    assert.equal(big.status, 413);
    const badChat = await call("POST", "/hotpath/audit/sections", {
      text: '{"messages":[{"role":"wizard"}]}',
      fileName: "a.json",
    });
    assert.equal(badChat.status, 400);
    assert.match(((await badChat.json()) as { error: { message: string } }).error.message, /not a JSON chat/);
    const badSpec = await call("POST", "/hotpath/audit/run", { spec: { promptText: "x", samples: -1 } });
    assert.equal(badSpec.status, 400);
    assert.match(((await badSpec.json()) as { error: { message: string } }).error.message, /samples/);
    // The daemon never reads a file a request names.
    const path = await call("POST", "/hotpath/audit/run", { spec: { prompt: "/etc/shadow" } });
    assert.equal(path.status, 400);
    assert.match(((await path.json()) as { error: { message: string } }).error.message, /does not read files/);
    assert.equal((await call("GET", "/hotpath/audit/not-an-id")).status, 400);
    assert.equal((await call("GET", `/hotpath/audit/${"a".repeat(64)}`)).status, 404);
    const notArray = await call("POST", "/hotpath/audit/run", { spec: [] });
    assert.equal(notArray.status, 400);
  });
});
