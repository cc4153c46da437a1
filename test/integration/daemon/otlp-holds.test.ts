// Issue #15: POST /v1/traces must not hold the event loop. A 100k-span export request (58 MB of OTLP/JSON; as
// OTLP/protobuf, gzip-compressed as exporters send it) is decoded, converted and stored on a worker thread, so the
// real daemon answers /healthz while it is received — in the second half of the big request's flight, not only while
// its bytes arrive — and answers the OTLP response of the request's encoding once every span is stored.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { otlpProtobuf } from "../../fixtures/otlp-bodies.js";
import { answeredWhileInFlight } from "../../fixtures/in-flight.js";
import { rawRequest, type RawResponse } from "../../fixtures/raw-http.js";
import { generateOtlpRequests } from "../../bench/_trace-generators.js";

const SPANS = 100_000;

describe("daemon: /v1/traces off the event loop (issue #15)", function () {
  this.timeout(600_000);
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon?.dispose();
  });

  /** /healthz every 20 ms, as a health check would: back to back, the probes took the CPU the receive needs. */
  const answersWhileReceiving = (big: () => Promise<RawResponse>) =>
    answeredWhileInFlight(daemon.url, big, { pauseMs: 20 });

  async function spanCount(traceId: string): Promise<number> {
    const res = await daemon.fetch("/hotpath/traces?source=otlp&limit=100");
    assert.equal(res.status, 200);
    const { traces } = (await res.json()) as { traces: { traceId: string; spanCount: number }[] };
    return traces.find((t) => t.traceId === traceId)?.spanCount ?? 0;
  }

  it("OTLP/JSON, 100k spans: /healthz answers while it is received; every span is stored before the answer", async () => {
    const traceId = "a1".repeat(16);
    const body = Buffer.from(JSON.stringify(generateOtlpRequests(SPANS, SPANS, traceId)[0]));
    const res = await answersWhileReceiving(() =>
      rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/traces",
        headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" },
        body,
        timeoutMs: 300_000,
      }),
    );
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    assert.deepEqual(res.body, { partialSuccess: {} });
    assert.equal(await spanCount(traceId), SPANS);
  });

  it("OTLP/protobuf, gzip, 100k spans: /healthz answers while it is received; every span is stored before the answer", async () => {
    const traceId = "b2".repeat(16);
    const body = gzipSync(otlpProtobuf(generateOtlpRequests(SPANS, SPANS, traceId)[0]));
    const res = await answersWhileReceiving(() =>
      rawRequest(daemon.url, {
        method: "POST",
        path: "/v1/traces",
        headers: {
          authorization: `Bearer ${daemon.token}`,
          "content-type": "application/x-protobuf",
          "content-encoding": "gzip",
        },
        body,
        timeoutMs: 300_000,
      }),
    );
    assert.equal(res.headers["content-type"], "application/x-protobuf");
    assert.equal(res.text, "", "an ExportTraceServiceResponse without partial_success is empty");
    assert.equal(await spanCount(traceId), SPANS);
  });
});
