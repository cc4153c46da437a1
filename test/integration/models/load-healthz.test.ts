// A model load does not hold the event loop: /healthz answers while the daemon loads a generated ChatML model, whose
// chat template node-llama-cpp takes seconds to resolve on the event loop (measured here side by side).
import assert from "node:assert/strict";
import { loadavg } from "node:os";
import { getLlama, resolveChatWrapper } from "node-llama-cpp";
import { startDaemon, waitForModel } from "../../fixtures/daemon.js";
import { startHealthProbe } from "../../fixtures/health-probe.js";
import { generatedModelPath } from "../../fixtures/models.js";

describe("model load and /healthz", function () {
  this.timeout(240_000);

  it("/healthz answers during a model load faster than the chat template resolves on an event loop", async () => {
    const path = generatedModelPath();
    const daemon = await startDaemon({ args: ["--model", `chatml=${path}`] });
    try {
      const probe = startHealthProbe(daemon.url);
      // The first request for the model loads it (on demand).
      const loading = daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "chatml", messages: [{ role: "user", content: "hi" }], max_tokens: 1 }),
      });
      await waitForModel(daemon, "chatml", 180_000);
      assert.equal((await loading).status, 200);
      const health = await probe.stop();
      // The same resolution on this test's event loop, now, on the same machine: what the daemon used to hold.
      const llama = await getLlama({ gpu: false });
      const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
      const started = performance.now();
      resolveChatWrapper(model);
      const onLoopMs = performance.now() - started;
      await model.dispose();
      await llama.dispose();
      const sorted = health.map((p) => p.ms).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      const worst = sorted[sorted.length - 1];
      console.log(
        `      /healthz during the load: n=${health.length}, p50 ${at(0.5).toFixed(0)} / p99 ${at(0.99).toFixed(0)} / max ${worst.toFixed(0)} ms; the chat template on an event loop: ${onLoopMs.toFixed(0)} ms (load average ${loadavg()[0].toFixed(1)})`,
      );
      assert.ok(health.length >= 3, "/healthz was probed during the load");
      assert.ok(
        worst < onLoopMs,
        `/healthz waited ${worst.toFixed(0)} ms; resolving on the loop takes ${onLoopMs.toFixed(0)} ms`,
      );
    } finally {
      await daemon.dispose();
    }
  });
});
