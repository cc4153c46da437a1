// OTLP span times are fixed64 nanoseconds (opentelemetry-proto trace.proto): a decimal string in proto3's JSON
// mapping, a number from many writers. What is no fixed64 — a fraction, a negative, 1e300, 2^64 and past — rejects the
// span (OTLP partial success) instead of storing a time that the analyses then spread their buckets across.
import assert from "node:assert/strict";
import { otlpToSpans } from "../../../daemon/traces/otlp/decode.js";

function convert(start: unknown, end: unknown) {
  return otlpToSpans({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: "0af7651916cd43dd8448eb211c80319c",
                spanId: "b7ad6b7169203331",
                name: "s",
                startTimeUnixNano: start,
                endTimeUnixNano: end,
              },
            ],
          },
        ],
      },
    ],
  });
}

describe("OTLP span times", function () {
  it("takes fixed64 values as strings, numbers and {low, high}, up to the largest fixed64", function () {
    for (const [start, end, startNs] of [
      ["1700000000000000000", "1700000001000000000", 1.7e18],
      [1700000000000000000, 1700000001000000000, 1.7e18],
      ["0", "0", 0],
      ["00017", "18", 17],
      ["18446744073709551615", "18446744073709551615", 2 ** 64],
      [{ low: 5, high: 1 }, { low: 6, high: 1 }, 2 ** 32 + 5],
    ] as const) {
      const { spans, rejected } = convert(start, end);
      assert.deepEqual(rejected, [], JSON.stringify([start, end]));
      assert.equal(spans[0].startNs, startNs);
    }
  });

  it("rejects the span when a time is no fixed64, naming the field", function () {
    for (const [start, end] of [
      ["18446744073709551616", "18446744073709551616"],
      ["99999999999999999999", "99999999999999999999"],
      ["000018446744073709551616", "1"],
      [1e300, 1e300],
      [2 ** 64, 2 ** 64],
      [1.5, 2.5],
      [-1, 5],
      ["-1", "5"],
      ["1e18", "2e18"],
      [" 17", "18"],
      ["", "18"],
      [{ low: 1, high: -1 }, "18"], // high read as unsigned: past every real time, but in range — see below
    ] as const) {
      const { spans, rejected } = convert(start, end);
      if (typeof start === "object") {
        // {low, high} with high -1 is 2^64 - 2^32 + 1 unsigned: a fixed64, later than its end, so rejected for that.
        assert.match(rejected[0] ?? "", /endTimeUnixNano: before startTimeUnixNano/);
        continue;
      }
      assert.equal(spans.length, 0, JSON.stringify([start, end]));
      assert.match(rejected[0], /(start|end)TimeUnixNano: expected unsigned 64-bit nanoseconds/);
    }
  });
});
