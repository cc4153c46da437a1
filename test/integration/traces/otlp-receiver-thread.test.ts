// POST /v1/traces's worker path (issue #15: no request may hold the event loop): receiving a body on the worker
// stores exactly the rows, answers exactly the bytes and refuses exactly the bodies that receiving it inline does —
// for the shared OpenInference fixtures (every request alone and all merged), a generated 100k-span body with bad spans
// among the good (partial success), as OTLP/JSON and OTLP/protobuf — and the worker's time, memory and queue limits
// answer clear errors and store nothing.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../../daemon/db.js";
import { OtlpRequestError, receiveOtlp, type OtlpReceipt } from "../../../daemon/traces/otlp/receiver.js";
import {
  OTLP_RECEIVER_LIMITS,
  otlpReceiverQueue,
  receiveOtlpBody,
} from "../../../daemon/traces/otlp/receiver-thread.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { generateOtlpRequests } from "../../bench/_trace-generators.js";
import { mergedOtlpRequest, otlpProtobuf } from "../../fixtures/otlp-bodies.js";

const FIXTURES = join(process.cwd(), "../shared/fixtures/traces/otlp-openinference");
const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";

interface Side {
  file: string;
  db: Db;
  store: TraceStore;
}

/** Every stored row of both tables; a trace's created_at is the time of the write, not part of what was stored. */
function rows(db: Db): { spans: unknown[]; traces: unknown[] } {
  return {
    spans: db.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").all(),
    traces: (db.prepare("SELECT * FROM traces ORDER BY trace_id").all() as Record<string, unknown>[]).map(
      ({ created_at: _, ...rest }) => rest,
    ),
  };
}

/** What a receipt says, its answer's bytes included. */
const said = (r: OtlpReceipt) => ({ ...r, response: { ...r.response, body: r.response.body.toString("base64") } });

/** The outcome of receiving: the receipt, or the refusal's status and message. */
async function outcome(receive: () => OtlpReceipt | Promise<OtlpReceipt>) {
  try {
    return { ok: said(await receive()) };
  } catch (e) {
    assert.ok(e instanceof OtlpRequestError, `not a refusal: ${(e as Error).stack}`);
    return { refused: { status: e.status, message: e.message, code: e.code } };
  }
}

/** A 100k-span body with a bad span every 9,973 (end before start) and one all-zero trace id: partial success. */
function bigRequest(spans: number): object {
  const [request] = generateOtlpRequests(spans, spans, "5c".repeat(16)) as {
    resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  }[];
  const list = request.resourceSpans[0].scopeSpans[0].spans;
  for (let i = 17; i < list.length; i += 9973) list[i].endTimeUnixNano = "1";
  list[5].traceId = "0".repeat(32);
  return request;
}

describe("traces/otlp: receiving a body on the worker is receiving it inline (issue #15)", function () {
  this.timeout(600_000);
  let dir: string;
  let receiver: ReturnType<typeof otlpReceiverQueue>;
  let n = 0;
  const sides: Side[] = [];
  const side = (): Side => {
    const file = join(dir, `s${n++}.db`);
    const db = openDb(file);
    const s = { file, db, store: new TraceStore(db) };
    sides.push(s);
    return s;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-otlp-thread-"));
    receiver = otlpReceiverQueue();
  });
  after(async () => {
    await receiver.queue.dispose(new Error("test over"));
    for (const s of sides) s.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Receives each body inline into one database and on the worker into another; both must agree throughout. */
  async function same(bodies: { body: Buffer; type: string }[]) {
    const inline = side();
    const worker = side();
    const outcomes = [];
    for (const { body, type } of bodies) {
      const a = await outcome(() => receiveOtlp(inline.store, body, type));
      // The worker takes the body's memory: give it its own copy.
      const b = await outcome(() => receiver.receive(worker.store, worker.file, Buffer.from(body), type));
      assert.deepEqual(b, a);
      outcomes.push(a);
    }
    // Read on the daemon's own connection as soon as the worker answered: the spans are committed.
    const expected = rows(inline.db);
    assert.deepEqual(rows(worker.db), expected);
    return outcomes;
  }

  it("the shared OpenInference fixtures, each request alone and all merged, as JSON and protobuf", async function () {
    if (!existsSync(FIXTURES)) return this.skip();
    for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith(".json"))) {
      const file = JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));
      const requests = [...(Array.isArray(file) ? file : [file]), mergedOtlpRequest(file)];
      await same(requests.map((r) => ({ body: Buffer.from(JSON.stringify(r)), type: JSON_TYPE })));
      await same(requests.map((r) => ({ body: otlpProtobuf(r), type: PROTOBUF_TYPE })));
    }
  });

  it("a generated 100k-span body with bad spans among the good, as JSON and protobuf (partial success)", async () => {
    const request = bigRequest(100_000);
    for (const [body, type] of [
      [Buffer.from(JSON.stringify(request)), JSON_TYPE],
      [otlpProtobuf(request), PROTOBUF_TYPE],
    ] as const) {
      const [{ ok }] = await same([{ body, type }]);
      assert.equal(ok?.accepted, 100_000 - 12);
      assert.equal(ok?.rejected, 12);
      assert.match(
        ok!.errorMessage,
        /^12 span\(s\) rejected: .*traceId: missing or all zero; .*endTimeUnixNano: before/,
      );
    }
  });

  it("refuses the bodies inline refuses, with the same status and message", async () => {
    const padding = "x".repeat(100_000);
    await same([
      { body: Buffer.from(`{"resourceSpans": [${padding}`), type: JSON_TYPE },
      { body: Buffer.from(`${"[".repeat(100)}"${padding}"${"]".repeat(100)}`), type: JSON_TYPE },
      { body: Buffer.from(JSON.stringify({ resourceSpans: { pad: padding } })), type: JSON_TYPE },
      { body: Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: padding }] }] })), type: JSON_TYPE },
      { body: Buffer.alloc(100_000, 0xff), type: PROTOBUF_TYPE },
      { body: Buffer.from(JSON.stringify([padding])), type: JSON_TYPE },
    ]);
  });

  it("goes to the worker only past the inline size, and hands the spans to the store's write listeners", async () => {
    const s = side();
    const heard: Span[][] = [];
    s.store.onWrite((spans) => heard.push(spans));
    const [small] = generateOtlpRequests(10, 10, "6d".repeat(16));
    const [large] = generateOtlpRequests(2000, 2000, "6e".repeat(16));
    const smallReceipt = receiveOtlpBody(s.store, s.file, Buffer.from(JSON.stringify(small)), JSON_TYPE);
    assert.ok(!(smallReceipt instanceof Promise), "a 10-span body is received inline");
    const largeReceipt = receiveOtlpBody(s.store, s.file, Buffer.from(JSON.stringify(large)), JSON_TYPE);
    assert.ok(largeReceipt instanceof Promise, "a 2,000-span body goes to the worker");
    assert.equal((await largeReceipt).accepted, 2000);
    assert.deepEqual(
      heard.map((spans) => spans.length),
      [10, 2000],
    );
    assert.equal(heard[1][0].traceId, "6e".repeat(16));
  });

  it("a body past the time limit: 413 naming it, nothing stored, and the next body is received", async () => {
    const s = side();
    const slow = otlpReceiverQueue({ ...OTLP_RECEIVER_LIMITS, ms: 50 });
    try {
      const body = Buffer.from(JSON.stringify(bigRequest(50_000)));
      const r = await outcome(() => slow.receive(s.store, s.file, body, JSON_TYPE));
      assert.equal(r.refused?.status, 413);
      assert.equal(r.refused?.code, "otlp_time_limit");
      assert.match(r.refused!.message, /took more than the receiver's 50 ms; nothing of it was stored/);
      assert.deepEqual(rows(s.db), { spans: [], traces: [] });
      const [small] = generateOtlpRequests(5, 5, "7f".repeat(16));
      const next = await receiver.receive(s.store, s.file, Buffer.from(JSON.stringify(small)), JSON_TYPE);
      assert.equal(next.accepted, 5);
    } finally {
      await slow.queue.dispose(new Error("test over"));
    }
  });

  it("a body past the memory limit: 413 naming it, nothing stored", async () => {
    const s = side();
    const small = otlpReceiverQueue({ ...OTLP_RECEIVER_LIMITS, heapMb: 64 });
    try {
      const body = Buffer.from(JSON.stringify(bigRequest(100_000)));
      const r = await outcome(() => small.receive(s.store, s.file, body, JSON_TYPE));
      assert.equal(r.refused?.status, 413, JSON.stringify(r));
      assert.equal(r.refused?.code, "otlp_memory_limit");
      assert.match(r.refused!.message, /more than the receiver's 64 MB of memory/);
      assert.deepEqual(rows(s.db), { spans: [], traces: [] });
    } finally {
      await small.queue.dispose(new Error("test over"));
    }
  });

  it("an idle worker stops after idleStopMs (its heap goes back), and the next body starts one and is stored", async () => {
    const s = side();
    const idle = otlpReceiverQueue({ ...OTLP_RECEIVER_LIMITS, idleStopMs: 300 });
    try {
      const body = (id: string) => Buffer.from(JSON.stringify(generateOtlpRequests(2000, 2000, id.repeat(16))[0]));
      assert.equal((await idle.receive(s.store, s.file, body("9a"), JSON_TYPE)).accepted, 2000);
      assert.ok(idle.queue.started, "the worker is up right after its body");
      const stoppedBy = Date.now() + 10_000;
      while (idle.queue.started && Date.now() < stoppedBy) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!idle.queue.started, "the idle worker did not stop");
      // Its connection closed with it: the next worker writes to the same file.
      assert.equal((await idle.receive(s.store, s.file, body("9b"), JSON_TYPE)).accepted, 2000);
      assert.equal((s.db.prepare("SELECT count(*) AS n FROM spans").get() as { n: number }).n, 4000);
    } finally {
      await idle.queue.dispose(new Error("test over"));
    }
  });

  it("more bodies waiting than the queue takes: 503 with Retry-After (OTLP exporters retry it)", async () => {
    const s = side();
    const one = otlpReceiverQueue({ ...OTLP_RECEIVER_LIMITS, waiting: 1 });
    try {
      const body = () => Buffer.from(JSON.stringify(generateOtlpRequests(500, 500, "8a".repeat(16))[0]));
      const all = await Promise.all(
        [0, 1, 2].map(() => outcome(() => one.receive(s.store, s.file, body(), JSON_TYPE))),
      );
      assert.equal(all[0].ok?.accepted, 500);
      assert.equal(all[1].ok?.accepted, 500);
      assert.equal(all[2].refused?.status, 503);
      assert.equal(all[2].refused?.code, "otlp_receiver_busy");
    } finally {
      await one.queue.dispose(new Error("test over"));
    }
  });
});
