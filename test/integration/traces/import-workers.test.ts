// Import workers started ahead of their imports (traces/import/workers.ts): an import takes the waiting workers and
// gets what a worker started for it gives; they are started again after it; waiting ones never keep a process alive.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../../daemon/db.js";
import { importAndAnalyze } from "../../../daemon/traces/import/analyzed.js";
import { startImport, type ImportedFile } from "../../../daemon/traces/import/job.js";
import {
  BLOCK_BYTES,
  MAX_BLOCKS_AHEAD,
  spareBlockCount,
  takeBlock,
} from "../../../daemon/traces/import/upload-blocks.js";
import { ImportWorkers } from "../../../daemon/traces/import/workers.js";
import { workerJsonText } from "../../fixtures/worker-json.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/traces.js";

/**
 * The import's analyses (UTF-8 JSON per trace) as JSON.stringify of the array would give them. Each came from a worker
 * with an ArrayBuffer of its own (moved, not copied on the daemon's thread: see worker-json.ts).
 */
function analysesJson(r: ImportedFile): string {
  for (const json of r.analyses!)
    if (json instanceof Uint8Array)
      assert.equal(json.byteLength, json.buffer.byteLength, "an analysis shares a buffer");
  return `[${r.analyses!.map(workerJsonText).join(",")}]`;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `text` imported through `workers` on two threads (parse, store), fed in 100 kB blocks as an upload arrives. */
function importSplit(store: TraceStore, dbPath: string, workers: ImportWorkers, name: string, text: string) {
  const feed = startImport(store, { dbPath, name, analyze: true, maxAttributeChars: 200, split: true, workers });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += 100_000) feed.push(bytes.subarray(i, i + 100_000));
  feed.end();
  return feed.result;
}

describe("traces: import workers started ahead", function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-import-workers-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("an import takes the waiting workers, stores and analyses as a fresh worker does; they start again after", async function () {
    const file = join(dir, "warm.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 200 });
    const reference = new TraceStore(openDb(":memory:"), { maxAttributeChars: 200 });
    const workers = new ImportWorkers();
    try {
      workers.keepWarm(0);
      await until("2 waiting workers", () => workers.waiting === 2);
      for (const [name, text, split] of [
        ["w.jsonl", generateClaudeSession(4000), true],
        ["w.json", JSON.stringify(generateOtlpRequests(3000, 512, "3e".repeat(16))), true],
        ["small.jsonl", generateClaudeSession(50).replace(/bench-session/g, "small"), false],
      ] as const) {
        await until("2 waiting workers", () => workers.waiting === 2);
        const feed = startImport(store, { dbPath: file, name, analyze: true, maxAttributeChars: 200, split, workers });
        assert.equal(workers.waiting, split ? 0 : 1, `${name}: the import took the waiting workers`);
        assert.equal(
          workers.running,
          split ? 2 : 1,
          `${name}: its threads count as running (the idle collection waits)`,
        );
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += 100_000) feed.push(bytes.subarray(i, i + 100_000));
        feed.end();
        const r = await feed.result;
        assert.equal(workers.running, 0, `${name}: done, its threads wait for the next job`);
        const same = importAndAnalyze(reference, name, text, { analyze: true });
        assert.deepEqual(r.traceIds, same.traceIds, name);
        assert.equal(r.spanCount, same.spanCount, name);
        assert.equal(analysesJson(r), JSON.stringify(same.analyses), name);
      }
      await until("the workers started again", () => workers.waiting === 2);
      // A bad file on a waiting worker is the same 400-kind error as on a new one.
      const feed = startImport(store, { dbPath: file, name: "bad.jsonl", analyze: true, split: true, workers });
      feed.push(Buffer.from("{not json\n"));
      feed.end();
      await assert.rejects(feed.result, (e: Error) => /^bad\.jsonl: unrecognised trace format/.test(e.message));
      await until("the failed import's threads ended", () => workers.running === 0);
    } finally {
      await workers.close();
      db.close();
    }
    assert.equal(workers.waiting, 0);
    workers.keepWarm(0); // closed: starts nothing
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(workers.waiting, 0);
  });

  it("a worker whose import succeeded runs the next one (same role), with the same rows and analysis as a new worker", async function () {
    const file = join(dir, "reuse.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 200 });
    const reference = new TraceStore(openDb(":memory:"), { maxAttributeChars: 200 });
    // No spares started ahead (no keepWarm): every worker waiting below is one that ran an import.
    const workers = new ImportWorkers(2, 3);
    const imported = (name: string, text: string) => importSplit(store, file, workers, name, text);
    const same = async (name: string, text: string) => {
      const r = await imported(name, text);
      const want = importAndAnalyze(reference, name, text, { analyze: true });
      assert.deepEqual(r.traceIds, want.traceIds, name);
      assert.equal(analysesJson(r), JSON.stringify(want.analyses), name);
      for (const id of r.traceIds) assert.deepEqual(store.getSpans(id), reference.getSpans(id), `${name}: rows`);
    };
    const session = (n: number, id: string) => generateClaudeSession(n).replace(/bench-session/g, id);
    const roles = () => workers.waitingThreads.map((t) => t.role).sort();
    try {
      await same("a.jsonl", session(3000, "reuse-a"));
      assert.deepEqual(roles(), ["parse", "store"], "both threads wait for the next import");
      const first = workers.waitingThreads;
      // A different format next: the same threads, each in the role it ran.
      await same("b.json", JSON.stringify(generateOtlpRequests(2500, 512, "5d".repeat(16))));
      assert.deepEqual(workers.waitingThreads, first, "the same two threads, by role");

      // A bad file on reused threads: the same 400-kind error as on new ones, nothing stored, and both are ended.
      const before = store.countSpans();
      await assert.rejects(imported("bad.jsonl", "{not json\n"), (e: Error) =>
        /^bad\.jsonl: unrecognised trace format/.test(e.message),
      );
      // One that fails after its first rows reached the store thread (a Claude Code session's rows go out while the
      // file is still parsed): rolled back there.
      const broken = session(5000, "reuse-broken") + "{not json\n";
      await assert.rejects(imported("broken.jsonl", broken), (e: Error) => /broken\.jsonl/.test(e.message));
      assert.equal(store.countSpans(), before, "nothing stored");
      assert.equal(workers.waiting, 0, "threads of a failed import are never reused");
      // A good import after the failures, then on the threads it leaves: what new workers give.
      await same("c.jsonl", session(3000, "reuse-c"));
      const third = workers.waitingThreads;
      await same("d.jsonl", session(3000, "reuse-d"));
      assert.deepEqual(workers.waitingThreads, third, "reused");
      // At most maxJobs (3 here) jobs per thread: after its third, a thread ends.
      await same("e.jsonl", session(2000, "reuse-e"));
      await until("the threads at their limit ended", () => workers.waiting === 0);
    } finally {
      await workers.close();
      db.close();
    }
  });

  it("a reused worker not taken within the idle time ends (its heap with it); a new spare takes its place", async function () {
    const file = join(dir, "idle.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 200 });
    const workers = new ImportWorkers(2, 32, 300);
    try {
      workers.keepWarm(0);
      await until("2 waiting workers", () => workers.waiting === 2);
      const started = workers.waitingThreads.map((t) => t.threadId);
      const feed = startImport(store, { dbPath: file, name: "i.jsonl", analyze: true, split: true, workers });
      feed.push(Buffer.from(generateClaudeSession(500).replace(/bench-session/g, "idle")));
      feed.end();
      await feed.result;
      assert.deepEqual(
        workers.waitingThreads.map((t) => t.threadId).sort(),
        [...started].sort(),
        "the import's threads wait",
      );
      await until("new spares in place of the reused ones", () => {
        const t = workers.waitingThreads;
        return t.length === 2 && t.every((x) => x.role === undefined && !started.includes(x.threadId));
      });
    } finally {
      await workers.close();
      db.close();
    }
  });

  it("a worker waiting after its job lets go of the job's memory (kept buffers, garbage), and runs the next one warm", async function () {
    const file = join(dir, "collect.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 200 });
    const reference = new TraceStore(openDb(":memory:"), { maxAttributeChars: 200 });
    const workers = new ImportWorkers(2, 32, 60_000, 300);
    const imported = async (name: string, text: string) => {
      const r = await importSplit(store, file, workers, name, text);
      const want = importAndAnalyze(reference, name, text, { analyze: true });
      assert.equal(analysesJson(r), JSON.stringify(want.analyses), name);
      for (const id of r.traceIds) assert.deepEqual(store.getSpans(id), reference.getSpans(id), `${name}: rows`);
    };
    const collected = async () => {
      await until("both waiting threads let go of their job's memory", () =>
        workers.waitingThreads.every((t) => t.collected !== undefined),
      );
      const byRole = new Map(workers.waitingThreads.map((t) => [t.role, t.collected!]));
      return { parse: byRole.get("parse")!, store: byRole.get("store")! };
    };
    try {
      // A session large enough that V8 keeps its garbage (at 20k spans it had collected it by then: ~12 MB either way).
      await imported("c.jsonl", generateClaudeSession(50_000).replace(/bench-session/g, "collected"));
      const threads = workers.waitingThreads.map((t) => t.threadId).sort();
      const first = await collected();
      assert.ok(
        first.parse.heapBytesAfter < first.parse.heapBytesBefore / 2,
        `the parsing thread's garbage collected (${first.parse.heapBytesBefore} → ${first.parse.heapBytesAfter} bytes)`,
      );
      assert.ok(first.parse.keptBytes > 0, "the parsing thread had kept the row buffers handed back");
      for (const [role, c] of Object.entries(first))
        assert.ok(c.heapBytesAfter < 48 * 1024 * 1024, `${role}: waits with ${c.heapBytesAfter} bytes of heap`);
      // The same threads take the next import, without those buffers, and give what new ones give; an OTLP file's
      // parse keeps the file's buffer too, let go of in turn.
      await imported("d.json", JSON.stringify(generateOtlpRequests(20_000, 512, "6d".repeat(16))));
      assert.deepEqual(workers.waitingThreads.map((t) => t.threadId).sort(), threads, "the same threads ran it");
      const second = await collected();
      assert.ok(second.parse.keptBytes > 10 * 1024 * 1024, `the file's buffer too (${second.parse.keptBytes} bytes)`);
      await imported("e.jsonl", generateClaudeSession(2000).replace(/bench-session/g, "collected-e"));
    } finally {
      await workers.close();
      db.close();
    }
  });

  it("a file the parse needs whole is kept byte for byte: its length known or not, characters cut between blocks", async function () {
    // The parsing thread copies each block it keeps into one buffer of its own (sized by the declared length, or grown)
    // and hands the block back: three-byte characters over several blocks land across every block boundary.
    const requests = generateOtlpRequests(2000, 512, "4c".repeat(16)) as {
      resourceSpans: { scopeSpans: { spans: { attributes: unknown[] }[] }[] }[];
    }[];
    const long = "€ü".repeat(700_000) + "x";
    requests[0].resourceSpans[0].scopeSpans[0].spans[0].attributes.push({ key: "long", value: { stringValue: long } });
    // One request, not an array of them: not a file the parse streams (stream.ts), so it is parsed whole at the end.
    const text = JSON.stringify({ resourceSpans: requests.flatMap((r) => r.resourceSpans) });
    const bytes = Buffer.from(text);
    assert.ok(bytes.length > 3 * (1 << 20), "spans several blocks");
    const reference = new TraceStore(openDb(":memory:"), { maxAttributeChars: 2_000_000 });
    const same = importAndAnalyze(reference, "long.json", text, { analyze: true });
    for (const [i, sizeHint] of [undefined, bytes.length].entries()) {
      const file = join(dir, `long${i}.db`);
      const db = openDb(file);
      const store = new TraceStore(db, { maxAttributeChars: 2_000_000 });
      try {
        const feed = startImport(store, {
          dbPath: file,
          name: "long.json",
          analyze: true,
          maxAttributeChars: 2_000_000,
          sizeHint,
          split: true,
        });
        for (let at = 0; at < bytes.length; at += 77_777) feed.push(bytes.subarray(at, at + 77_777));
        feed.end();
        const r = await feed.result;
        assert.deepEqual(r.traceIds, same.traceIds);
        assert.equal(analysesJson(r), JSON.stringify(same.analyses), `sizeHint ${sizeHint}`);
        const stored = store.getSpans(r.traceIds[0]);
        assert.deepEqual(stored, reference.getSpans(r.traceIds[0]), `sizeHint ${sizeHint}`);
        assert.ok(stored.some((s) => s.attributes.long === long));
      } finally {
        db.close();
      }
    }
  });

  it("a reused parsing thread fills the last file's buffer and row buffers again, the daemon's thread its upload blocks: shorter, longer, length known or not", async function () {
    // worker.ts keeps the buffer a whole-parsed file was copied into (keptFile) and the row buffers the store thread
    // handed back (packBuffers) for the thread's next job. A shorter file after a longer one leaves the longer one's
    // bytes past its own end in that buffer, a longer one grows it; each must import as on a new worker.
    const file = join(dir, "refill.db");
    const db = openDb(file);
    const store = new TraceStore(db, { maxAttributeChars: 100_000 });
    const reference = new TraceStore(openDb(":memory:"), { maxAttributeChars: 100_000 });
    const workers = new ImportWorkers(2, 10); // not kept warm: no blocks made ahead (upload-blocks.ts warmBlocks)
    while (spareBlockCount() > 0) takeBlock(); // earlier tests' blocks: each import's own come back
    /** One OTLP request (not an array of them: parsed whole at the end, stream.ts), `spans` spans, long attributes. */
    const request = (spans: number, traceByte: string, fill: string) => {
      const requests = generateOtlpRequests(spans, 512, traceByte.repeat(16)) as {
        resourceSpans: { scopeSpans: { spans: { attributes: unknown[] }[] }[] }[];
      }[];
      for (const [i, s] of requests.flatMap((r) => r.resourceSpans[0].scopeSpans[0].spans).entries())
        if (i % 7 === 0) s.attributes.push({ key: "fill", value: { stringValue: `${i}${fill}`.repeat(200) } });
      return JSON.stringify({ resourceSpans: requests.flatMap((r) => r.resourceSpans) });
    };
    try {
      let threads: unknown[] | undefined;
      for (const [name, text, known] of [
        ["long.json", request(3000, "6a", "long-é"), true],
        ["short.json", request(1200, "6b", "short"), true],
        ["short-unknown.json", request(1500, "6c", "ü"), false],
        ["longer.json", request(4500, "6d", "longer"), false],
      ] as const) {
        const bytes = Buffer.from(text);
        const feed = startImport(store, {
          dbPath: file,
          name,
          analyze: true,
          maxAttributeChars: 100_000,
          sizeHint: known ? bytes.length : undefined,
          split: true,
          workers,
        });
        for (let at = 0; at < bytes.length; at += 65_536) feed.push(bytes.subarray(at, at + 65_536));
        feed.end();
        const r = await feed.result;
        // The upload's blocks came back with the parse's acks, ahead of its answer: the next upload fills them again
        // (upload-blocks.ts), past this one's end with this one's bytes — which must not reach the next import.
        const blocks = Math.max(1, Math.min(MAX_BLOCKS_AHEAD, Math.floor(bytes.length / BLOCK_BYTES)));
        assert.ok(spareBlockCount() >= blocks, `${name}: ${spareBlockCount()} blocks kept, ${blocks} filled`);
        const want = importAndAnalyze(reference, name, text, { analyze: true });
        assert.deepEqual(r.traceIds, want.traceIds, name);
        assert.equal(analysesJson(r), JSON.stringify(want.analyses), name);
        for (const id of r.traceIds) assert.deepEqual(store.getSpans(id), reference.getSpans(id), `${name}: rows`);
        if (threads) assert.deepEqual(workers.waitingThreads, threads, `${name}: ran on the reused threads`);
        threads = workers.waitingThreads;
      }
    } finally {
      await workers.close();
      db.close();
    }
  });

  it("the store thread copies its commit into the database file once the parse thread is done, reused or not", async function () {
    // The checkpoint waits for the parsing thread to close the rows (worker.ts, store role): if that never came, the
    // rows would stay in the WAL only and the database file would not grow. The test's own connection never writes.
    for (const reuse of [false, true]) {
      const file = join(dir, `checkpoint-${reuse}.db`);
      const db = openDb(file);
      const store = new TraceStore(db);
      const workers = reuse ? new ImportWorkers() : undefined;
      try {
        const before = statSync(file).size;
        for (const [name, text] of [
          ["c.jsonl", generateClaudeSession(4000)],
          ["c.json", JSON.stringify(generateOtlpRequests(4000, 512, "4c".repeat(16)))],
        ] as const) {
          const feed = startImport(store, { dbPath: file, name, analyze: true, split: true, workers });
          feed.push(Buffer.from(text));
          feed.end();
          const r = await feed.result;
          assert.equal(r.spanCount, 4000, name);
        }
        await until("the database file holds the imports", () => statSync(file).size > before + 2_000_000);
        assert.equal(store.countSpans(), 8000);
      } finally {
        await workers?.close();
        db.close();
      }
    }
  });

  it("waiting workers do not keep a process alive", async function () {
    // Without unref() on them, this child never exits on its own.
    const code = `
      const { ImportWorkers } = await import(${JSON.stringify(new URL("../../../daemon/traces/import/workers.ts", import.meta.url).href)});
      const w = new ImportWorkers();
      w.keepWarm(0);
      while (w.waiting < 2) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      console.log("waiting " + w.waiting);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = await new Promise<number | null | "killed">((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve("killed");
      }, 60_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.match(out, /waiting 2/, out);
    assert.equal(exited, 0, out);
  });
});
