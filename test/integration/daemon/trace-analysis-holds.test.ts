// Issue #15: GET /hotpath/traces/:id/analysis and GET /hotpath/traces/:id of a large trace received over OTLP (no
// import analysed it) must not hold the event loop: on it, 100k spans held it 3.2–3.5 s (analysis, load 4) and ~2 s
// (detail, 49 MB of JSON). Past ANALYSIS_INLINE_SPANS both run on an import worker; /healthz is answered while they
// run, the analysis is the one computed in-process from the trace's detail, and the detail is byte for byte what
// serialising the stored trace gives.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../../daemon/db.js";
import { TraceStore } from "../../../daemon/traces/store.js";
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

  const big = "d4".repeat(16);

  before(async () => {
    daemon = await startDaemon();
    auth = { authorization: `Bearer ${daemon.token}` };
    await receive(100_000, big);
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

  /** The daemon's analyses directory: its kept analyses' and details' files. */
  const analysisFiles = () => (existsSync(analysesDir()) ? readdirSync(analysesDir()).sort() : []);
  const analysesDir = () => join(daemon.dataDir, "analyses");

  const analysis = (traceId: string) =>
    rawRequest(daemon.url, { path: `/hotpath/traces/${traceId}/analysis`, headers: auth, timeoutMs: 300_000 });

  it("100k spans: /healthz answers while the analysis runs; a second request is answered from the first", async () => {
    const traceId = big;
    const res = await answeredWhileInFlight(daemon.url, () => analysis(traceId), { pauseMs: 20 });
    assert.equal(res.body.traceId, traceId);
    assert.equal(res.body.spanCount, 100_000);
    const again = await analysis(traceId);
    assert.equal(again.status, 200);
    assert.equal(again.text, res.text);
  });

  it("100k spans: /healthz answers while the detail is read; its bytes are the stored trace serialised; its file is kept", async () => {
    const filesBefore = analysisFiles();
    const res = await answeredWhileInFlight(
      daemon.url,
      () => rawRequest(daemon.url, { path: `/hotpath/traces/${big}`, headers: auth, timeoutMs: 300_000 }),
      { pauseMs: 20 },
    );
    assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(Number(res.headers["content-length"]), Buffer.byteLength(res.text));
    // The daemon's own file, read on a connection of this process (WAL: readers beside the daemon's writer).
    const db = openDb(join(daemon.dataDir, "hotpath.db"));
    try {
      const store = new TraceStore(db);
      assert.ok(res.text === JSON.stringify({ trace: store.getTrace(big), spans: store.getSpans(big) }));
    } finally {
      db.close();
    }
    assert.equal(res.body.spans.length, 100_000);
    // Written to a file of the daemon's, streamed, and kept for the next GET: sent again, nothing read back.
    const kept = analysisFiles();
    assert.equal(kept.length, filesBefore.length + 1);
    const again = await rawRequest(daemon.url, { path: `/hotpath/traces/${big}`, headers: auth, timeoutMs: 300_000 });
    assert.ok(again.text === res.text);
    assert.deepEqual(analysisFiles(), kept);
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
