import assert from "node:assert/strict";
import { RecentAnalyses } from "../../../daemon/traces/import/job.js";

const json = (n: number, fill = 32) => new Uint8Array(n).fill(fill);
const key = () => "k";

describe("traces: recent analyses (kept for the first view after an import)", () => {
  it("keeps an analysis while its trace's summary is unchanged, and counts its bytes", () => {
    const r = new RecentAnalyses();
    r.put([{ traceId: "a", json: json(100) }], key);
    assert.equal(r.get("a", "k")?.byteLength, 100);
    assert.equal(r.get("a", "other"), undefined, "spans added since: computed afresh");
    assert.equal(r.bytes, 100);
    r.put([{ traceId: "a", json: json(40) }], key);
    assert.equal(r.bytes, 40, "a trace put again replaces its bytes");
  });

  it("drops the oldest past its byte bound, keeps the newest even when it alone is over", () => {
    const r = new RecentAnalyses(16, 250);
    for (const id of ["a", "b", "c"]) r.put([{ traceId: id, json: json(100) }], key);
    assert.equal(r.get("a", "k"), undefined);
    assert.ok(r.get("b", "k") && r.get("c", "k"));
    assert.equal(r.bytes, 200);
    r.put([{ traceId: "big", json: json(1000) }], key);
    assert.ok(r.get("big", "k"));
    assert.equal(r.get("c", "k"), undefined);
    assert.equal(r.bytes, 1000);
  });

  it("drops the oldest past its entry bound; a trace without a summary (gone) is not kept", () => {
    const r = new RecentAnalyses(2);
    for (const id of ["a", "b", "c"]) r.put([{ traceId: id, json: json(1) }], key);
    assert.equal(r.get("a", "k"), undefined);
    assert.equal(r.bytes, 2);
    r.put([{ traceId: "d", json: json(5) }], () => undefined);
    assert.equal(r.get("d", "k"), undefined);
    assert.equal(r.bytes, 2);
  });
});
