// Priority classes through the real daemon: queued requests are served interactive → workflow → background, per-class
// queue depth and wait show in /metrics, background work leaves a sequence free for interactive requests, and a route's
// configured default class applies to requests without the header.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatModelPath } from "../../fixtures/models.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";

function send(daemon: TestDaemon, priority: string, content: string, maxTokens: number) {
  return daemon.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", "x-hotpath-priority": priority },
    body: JSON.stringify({
      model: "chat",
      messages: [{ role: "user", content }],
      temperature: 0,
      max_tokens: maxTokens,
      stream: true,
    }),
  });
}

/** Reads an SSE response to its end; returns when it finished. */
async function finish(res: Promise<Response>): Promise<number> {
  const r = await res;
  assert.equal(r.status, 200);
  await r.text();
  return performance.now();
}

describe("daemon: priority scheduling", function () {
  it("queued requests are served by class, and /metrics shows per-class depth and wait", async function () {
    const daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`, "--sequences", "1", "--no-response-cache"],
      waitForModels: ["chat"],
    });
    try {
      // One request holds the only sequence; the rest queue in the worst order for FIFO.
      // Long enough to outlast the checks below on the fast generated model too (clamped to the context).
      const blocker = await send(daemon, "interactive", "Once upon a time", 4000);
      const reader = blocker.body!.getReader();
      await reader.read();
      const order: string[] = [];
      const queued = ["background", "workflow", "background", "interactive"].map((p, i) =>
        finish(send(daemon, p, `story ${i}`, 8)).then(() => order.push(p)),
      );
      // Wait until all four are queued (their requests are parsed and admitted asynchronously).
      let during = "";
      for (let i = 0; i < 50 && !/hotpath_queue_depth\{model="chat",priority="background"\} 2/.test(during); i++) {
        await new Promise((r) => setTimeout(r, 50));
        during = await (await daemon.fetch("/metrics")).text();
      }
      assert.match(during, /hotpath_queue_depth\{model="chat",priority="background"\} 2/);
      assert.match(during, /hotpath_queue_depth\{model="chat",priority="workflow"\} 1/);
      assert.match(during, /hotpath_queue_depth\{model="chat",priority="interactive"\} 1/);
      while (!(await reader.read()).done);
      await Promise.all(queued);
      assert.deepEqual(order, ["interactive", "workflow", "background", "background"]);
      const after = await (await daemon.fetch("/metrics")).text();
      assert.match(after, /hotpath_queue_wait_seconds_count\{priority="background"\} 2/);
      assert.match(after, /hotpath_queue_depth\{model="chat",priority="background"\} 0/);
    } finally {
      await daemon.dispose();
    }
  });

  it("background generations never take the last free sequence: an interactive request starts without queueing", async function () {
    const daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`, "--sequences", "3", "--no-response-cache"],
      waitForModels: ["chat"],
    });
    try {
      const background = Array.from({ length: 4 }, (_, i) => send(daemon, "background", `long story ${i}`, 200));
      const readers = await Promise.all(background.map(async (r) => (await r).body!.getReader()));
      await Promise.all(readers.slice(0, 2).map((r) => r.read())); // two are generating, two wait
      const res = await daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "chat",
          messages: [{ role: "user", content: "hi" }],
          temperature: 0,
          max_tokens: 4,
        }),
      });
      const body = (await res.json()) as any;
      assert.ok(body.timings.queue_ms < 50, `interactive queued ${body.timings.queue_ms} ms behind background work`);
      await Promise.all(
        readers.map(async (r) => {
          while (!(await r.read()).done);
        }),
      );
    } finally {
      await daemon.dispose();
    }
  });

  it("a route's configured default class applies when the header is absent; the header still wins", async function () {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-priority-"));
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ router: { routes: { "local:chat": { priority: "background" } } } }));
    const daemon = await startDaemon({
      args: ["--config", config, "--model", `chat=${chatModelPath()}`, "--no-response-cache"],
      waitForModels: ["chat"],
    });
    try {
      const post = (path: string, body: object, headers: Record<string, string> = {}) =>
        daemon
          .fetch(path, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify(body),
          })
          .then((r) => r.json());
      const chat = { model: "chat", messages: [{ role: "user", content: "hi" }], temperature: 0, max_tokens: 2 };
      await post("/v1/chat/completions", chat);
      await post("/v1/completions", { model: "chat", prompt: "Once", temperature: 0, max_tokens: 2 });
      await post("/v1/messages", { model: "chat", max_tokens: 2, messages: [{ role: "user", content: "hi" }] });
      await post("/v1/chat/completions", chat, { "x-hotpath-priority": "interactive" });
      // The wait histogram is labelled with the class each request's span records.
      const metrics = await (await daemon.fetch("/metrics")).text();
      assert.match(metrics, /hotpath_queue_wait_seconds_count\{priority="background"\} 3/);
      assert.match(metrics, /hotpath_queue_wait_seconds_count\{priority="interactive"\} 1/);
    } finally {
      await daemon.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
