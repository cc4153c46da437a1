// Analyses kept on disk, not on the daemon's thread (traces/import/worker-json.ts WorkerJsonFile): an import's
// analysis is a file in <dataDir>/analyses, served as it is, dropped with its entry, and made again when it is gone.
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../../daemon/db.js";
import { importAndAnalyze } from "../../../daemon/traces/import/analyzed.js";
import { workerJson, type WorkerJson } from "../../../daemon/traces/import/worker-json.js";
import { RecentDocuments } from "../../../daemon/traces/import/job.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/traces.js";
import { startDaemon } from "../../fixtures/daemon.js";

const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** A trace's detail kept by the daemon (view-caps.ts detailBody's JSON), told from an analysis by its first bytes. */
function isDetail(dir: string, file: string): boolean {
  const fd = openSync(join(dir, file), "r");
  try {
    const head = Buffer.alloc(9);
    readSync(fd, head, 0, 9, 0);
    return head.toString() === '{"spans":';
  } finally {
    closeSync(fd);
  }
}
const analysesIn = (dir: string) => filesIn(dir).filter((f) => !isDetail(dir, f));
const detailsIn = (dir: string) => filesIn(dir).filter((f) => isDetail(dir, f));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The analysis JSON the in-process import gives for `text` (what the daemon must serve). */
function reference(name: string, text: string): string {
  const r = importAndAnalyze(new TraceStore(openDb(":memory:")), name, text, { analyze: true });
  return JSON.stringify(r.analyses![0]);
}

describe("traces: analyses kept as files", function () {
  this.timeout(120_000);

  it("RecentDocuments deletes the file of an analysis replaced, pushed out, stale or of a trace gone", async function () {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-analyses-"));
    try {
      const file = (n: number): WorkerJson => workerJson({ n }, dir);
      const name = (json: WorkerJson) => (json as { file: string }).file.slice(dir.length + 1);
      const kept = new RecentDocuments(2);
      const [a, b, c, a2, gone] = [1, 2, 3, 4, 5].map(file);
      kept.put(
        [
          { traceId: "a", json: a },
          { traceId: "b", json: b },
        ],
        () => "k1",
      );
      kept.put([{ traceId: "c", json: c }], () => "k1"); // room for 2: a goes
      kept.put([{ traceId: "b", json: a2 }], () => "k1"); // b replaced
      kept.put([{ traceId: "x", json: gone }], () => undefined); // its trace is gone
      await until("the dropped files deleted", () => filesIn(dir).length === 2);
      assert.deepEqual(filesIn(dir), [name(c), name(a2)].sort());
      assert.equal(kept.get("b", "k1"), a2);
      // The same analysis kept again is not deleted.
      kept.put([{ traceId: "b", json: a2 }], () => "k1");
      // Asked for with a newer summary: the one kept is of no use any more.
      assert.equal(kept.get("c", "k2"), undefined);
      await until("the stale file deleted", () => filesIn(dir).length === 1);
      assert.deepEqual(filesIn(dir), [name(a2)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the daemon keeps an import's analysis as a file, serves it byte for byte, replaces it, and remakes it when gone", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "hotpath-test-"));
    const dir = join(dataDir, "analyses");
    // Left by an earlier daemon: a new one knows none of them.
    mkdirSync(dir);
    writeFileSync(join(dir, "earlier.json"), "{}");
    const daemon = await startDaemon({ dataDir });
    try {
      assert.deepEqual(filesIn(dir), [], "the earlier daemon's analyses are cleared at start");
      // Two threads (≥ 2 MB: parse + store) and one (a small OTLP file).
      const session = generateClaudeSession(5000).replace(/refactor the module/g, "refactor the módule ✓");
      const otlp = JSON.stringify(generateOtlpRequests(800, 512, "4e".repeat(16)));
      const imported: { id: string; want: string }[] = [];
      for (const [name, text] of [
        ["s.jsonl", session],
        ["t.json", otlp],
      ]) {
        const res = await daemon.fetch(`/hotpath/traces/import?name=${name}`, { method: "POST", body: text });
        const json = (await res.json()) as { traceIds: string[] };
        assert.equal(res.status, 200, JSON.stringify(json));
        imported.push({ id: json.traceIds[0], want: reference(name, text) });
      }
      assert.equal(analysesIn(dir).length, 2, "one analysis per imported trace");
      // The large one's detail, prepared for its view after the import answered.
      await until("the session's detail prepared", () => detailsIn(dir).length === 1);
      const served = async (id: string) => {
        const res = await daemon.fetch(`/hotpath/traces/${id}/analysis`);
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.equal(Number(res.headers.get("content-length")), Buffer.byteLength(text));
        return text;
      };
      for (const { id, want } of imported) assert.equal(await served(id), want);

      // The same file again: its trace replaced whole, a new analysis and detail; the old ones' files go.
      const before = filesIn(dir);
      const again = await daemon.fetch("/hotpath/traces/import?name=s.jsonl", { method: "POST", body: session });
      assert.equal(again.status, 200);
      await again.arrayBuffer();
      // The old ones are deleted and the new detail written as the import's aftermath: waited for all three.
      const settled = () =>
        filesIn(dir).length === 3 &&
        filesIn(dir).filter((f) => before.includes(f)).length === 1 &&
        detailsIn(dir).length === 1;
      await until("the replaced analysis and detail deleted, the new detail written", settled);
      assert.equal(filesIn(dir).filter((f) => before.includes(f)).length, 1, "the small trace's analysis stays");
      assert.equal(await served(imported[0].id), imported[0].want);

      // Gone from disk (a cleaner, another daemon's start): made again from the stored trace, and kept again.
      await until("the detail prepared", () => detailsIn(dir).length === 1);
      for (const f of filesIn(dir)) rmSync(join(dir, f));
      for (const { id, want } of imported) assert.equal(await served(id), want);
      assert.equal(
        filesIn(dir).length,
        1,
        "the large trace's analysis, made on a worker, kept again (the small one is analysed inline)",
      );
      assert.equal(await served(imported[0].id), imported[0].want);
      assert.equal(await daemon.stop(), 0);
      assert.equal(existsSync(dir), false, "a daemon that stops leaves no analyses behind");
    } finally {
      await daemon.dispose();
      rmSync(dataDir, { recursive: true, force: true }); // given to the daemon: not its to delete
    }
  });

  it("a client that stops reading an analysis is cut off at the request timeout: its file is let go, the daemon serves on", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "hotpath-test-"));
    const config = join(dataDir, "config.json");
    writeFileSync(config, JSON.stringify({ requestTimeoutS: 2 }));
    const daemon = await startDaemon({ dataDir, args: ["--config", config] });
    try {
      // Large enough (~15 MB) that the socket's buffers cannot take it all while the client reads nothing.
      const res = await daemon.fetch("/hotpath/traces/import?name=big.jsonl", {
        method: "POST",
        body: generateClaudeSession(100_000),
      });
      const { traceIds } = (await res.json()) as { traceIds: string[] };
      assert.equal(res.status, 200);
      const [file] = filesIn(join(dataDir, "analyses"));
      const opened = () =>
        readdirSync(`/proc/${daemon.process.pid}/fd`).filter((fd) => {
          try {
            return readlinkSync(`/proc/${daemon.process.pid}/fd/${fd}`).endsWith(file);
          } catch {
            return false; // closed meanwhile
          }
        }).length;
      const url = new URL(daemon.url);
      const socket = connect(Number(url.port), url.hostname);
      socket.pause(); // reads nothing
      socket.write(
        `GET /hotpath/traces/${traceIds[0]}/analysis HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${daemon.token}\r\n\r\n`,
      );
      await until("the daemon sending the analysis", () => opened() === 1);
      await until("the stalled response cut off and its file closed", () => opened() === 0, 15_000);
      const health = await daemon.fetch("/healthz");
      assert.equal(health.status, 200);
      // What did arrive is the analysis cut short of its length.
      let received = 0;
      socket.on("data", (d: Buffer) => (received += d.length));
      socket.resume();
      await new Promise((r) => socket.once("close", r));
      const served = await daemon.fetch(`/hotpath/traces/${traceIds[0]}/analysis`);
      const whole = (await served.arrayBuffer()).byteLength;
      assert.ok(received > 0 && received < whole, `received ${received} of ${whole} bytes`);
    } finally {
      await daemon.dispose();
      rmSync(dataDir, { recursive: true, force: true }); // given to the daemon: not its to delete
    }
  });

  it("a large trace's detail is a file kept for the next GET, also when its client went, until pushed out", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "hotpath-test-"));
    const daemon = await startDaemon({ dataDir });
    try {
      // Past ANALYSIS_INLINE_SPANS (read on a worker), and ~15 MB of detail: more than the socket's buffers take.
      const res = await daemon.fetch("/hotpath/traces/import?name=big.jsonl", {
        method: "POST",
        body: generateClaudeSession(20_000),
      });
      assert.equal(res.status, 200);
      const { traceIds, spanCount } = (await res.json()) as { traceIds: string[]; spanCount: number };
      const dir = join(dataDir, "analyses");
      // The import's analysis, and the detail it prepared for the trace views (cut to their caps).
      await until("the views' detail prepared", () => detailsIn(dir).length === 1);
      const [analysis] = analysesIn(dir);
      const [prepared] = detailsIn(dir);
      const url = new URL(daemon.url);
      const socket = connect(Number(url.port), url.hostname);
      socket.pause(); // reads nothing: the daemon is held mid-way through the file
      // The whole detail (no caps): not the prepared one, read on a worker into a file of its own.
      socket.write(
        `GET /hotpath/traces/${traceIds[0]} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${daemon.token}\r\n\r\n`,
      );
      await until("the detail written to a file of its own", () => detailsIn(dir).length === 2);
      const whole = detailsIn(dir).find((f) => f !== prepared)!;
      socket.destroy();
      // Kept for the next GET, which reads nothing back: the same file, the same bytes twice.
      const read = async (query = "") => {
        const r = await daemon.fetch(`/hotpath/traces/${traceIds[0]}${query}`);
        assert.equal(r.status, 200);
        return r.text();
      };
      const first = await read();
      assert.equal((JSON.parse(first) as { spans: unknown[] }).spans.length, spanCount);
      assert.equal(await read(), first);
      assert.deepEqual(filesIn(dir), [analysis, prepared, whole].sort());
      // A third kind (other caps): KEPT_DETAILS are kept, the least recent (the prepared one) goes.
      await read("?attributeChars=100");
      await until("the least recent detail deleted", () => !filesIn(dir).includes(prepared));
      assert.equal(detailsIn(dir).length, 2);
      assert.ok(filesIn(dir).includes(whole) && filesIn(dir).includes(analysis));
    } finally {
      await daemon.dispose();
      rmSync(dataDir, { recursive: true, force: true }); // given to the daemon: not its to delete
    }
  });
});
