// Issue #15: GET /hotpath/traces/:id/analysis of a large trace received over OTLP (no import analysed it) must not hold
// the event loop: analysed on the event loop, 100k spans held it 3.2–3.5 s (load 4). The analysis runs on an import
// worker past ANALYSIS_INLINE_SPANS; /healthz is answered while it runs, and the answer is the analysis of the stored
// spans, the same as computed in-process from the trace's detail.
import assert from "node:assert/strict";
import { analyzeTrace } from "../../../daemon/traces/analysis/index.js";
import { ANALYSES_AT_ONCE, ANALYSIS_INLINE_SPANS } from "../../../daemon/server/routes/traces.js";
import type { Span } from "../../../daemon/traces/span.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { answeredWhileInFlight } from "../../fixtures/in-flight.js";
import { rawRequest } from "../../fixtures/raw-http.js";
import { generateOtlpRequests } from "../../bench/_trace-generators.js";

describe("daemon: a received trace's analysis off the event loop (issue #15)", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;

  before(async () => {
    daemon = await startDaemon();
    auth = { authorization: `Bearer ${daemon.token}` };
  });
  after(async () => {
    await daemon?.dispose();
  });

  async function receive(spans: number, traceId: string): Promise<void> {
    const res = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/traces",
      headers: { ...auth, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(generateOtlpRequests(spans, spans, traceId)[0])),
      timeoutMs: 300_000,
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
  }

  const analysis = (traceId: string) =>
    rawRequest(daemon.url, { path: `/hotpath/traces/${traceId}/analysis`, headers: auth, timeoutMs: 300_000 });

  it("100k spans: /healthz answers while the analysis runs; a second request is answered from the first", async () => {
    const traceId = "d4".repeat(16);
    await receive(100_000, traceId);
    const res = await answeredWhileInFlight(daemon.url, () => analysis(traceId), { pauseMs: 20 });
    assert.equal(res.body.traceId, traceId);
    assert.equal(res.body.spanCount, 100_000);
    const again = await analysis(traceId);
    assert.equal(again.status, 200);
    assert.equal(again.text, res.text);
  });

  it("past the inline size, the worker's analysis is the one computed from the stored spans; requests at once share it", async () => {
    // More traces at once than analyses run at once: the others wait their turn.
    const ids = Array.from({ length: ANALYSES_AT_ONCE + 2 }, (_, i) => `e${i}`.repeat(16));
    for (const id of ids) await receive(ANALYSIS_INLINE_SPANS + 500, id);
    const answers = await Promise.all(ids.flatMap((id) => [analysis(id), analysis(id)]));
    for (const [i, id] of ids.entries()) {
      const detail = await rawRequest(daemon.url, { path: `/hotpath/traces/${id}`, headers: auth });
      assert.equal(detail.status, 200);
      const expected = JSON.parse(JSON.stringify(analyzeTrace(detail.body.spans as Span[], id)));
      const [a, b] = answers.slice(2 * i, 2 * i + 2);
      assert.equal(a.status, 200, a.text.slice(0, 300));
      assert.deepEqual(a.body, expected);
      assert.equal(b.text, a.text);
    }
  });
});
