// A large import's thread that parsed the file writes, after the import's answer, the detail a trace view asks for
// (job.ts PrepareDetails), from the spans it parsed instead of reading them back: each must be byte for byte the detail
// read back from the store (every shared fixture, generated traces, a session grown, spans written twice, values JSON
// cannot hold, random attributes cut at and around the caps), none may be made of a trace that keeps spans from before,
// and through the daemon the first GET after an import sends it — the same bytes a daemon started afresh reads back.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AttributeCaps } from "../../../daemon/api.js";
import { prng } from "../../../daemon/audit/stats.js";
import { openDb } from "../../../daemon/db.js";
import { EncodingError, importFile, RemoteImportError, type ImportedFile } from "../../../daemon/traces/import/job.js";
import { ImportWorkers } from "../../../daemon/traces/import/workers.js";
import type { WorkerJson } from "../../../daemon/traces/import/worker-json.js";
import { traceFilesUnder } from "../../../daemon/traces/importers/index.js";
import { EXPORT_FORMAT, TraceStore } from "../../../daemon/traces/store.js";
import { detailJsonHead, detailOf, VIEW_ATTRIBUTE_CAPS } from "../../../daemon/traces/view-caps.js";
import { generateClaudeSession, generateOtlpRequests } from "../../bench/_trace-generators.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { workerJsonText } from "../../fixtures/worker-json.js";
import { skipWithoutFixture, TRACE_FIXTURES, traceFixture } from "../../support/trace-fixtures.js";

/** Small caps as well as the views': most attributes of the fixtures are then cut, some at exactly the cap. */
const CAPS: AttributeCaps[] = [VIEW_ATTRIBUTE_CAPS, { chars: 40, argumentChars: 60 }];

/** A Hotpath export (hotpath-jsonl) of the given spans of one trace. */
function exportText(traceId: string, spans: object[]): string {
  return [
    JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: new Date(0).toISOString() }),
    JSON.stringify({ trace: { traceId, source: "import:test", name: "random" } }),
    ...spans.map((span) => JSON.stringify({ span })),
  ].join("\n");
}

/** Random attribute values: text of every kind around the caps' lengths, numbers JSON changes, arrays, keys V8 orders. */
function randomSpans(traceId: string, count: number, seed: number): object[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const alphabet = ["a", "é", "😀", "\u2028", '"', "\\", "\n", "\u0000", "字"];
  const text = () => {
    const n = pick([0, 1, 39, 40, 41, 59, 60, 61, 3999, 4000, 4001, 5000]);
    let s = "";
    while (s.length < n) s += pick(alphabet);
    return s.slice(0, n); // may cut a surrogate pair: a lone half, as JSON.stringify writes it
  };
  const value = (): unknown =>
    pick([
      text,
      () => pick([0, -0, 1.5, 1e21, -7, 2 ** 53]),
      () => pick([true, false, null]),
      () => [text(), text()],
      () => [1, 2.5, -0],
    ])();
  const keys = ["gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "input.value", "10", "2", "__proto__", "x.y"];
  return Array.from({ length: count }, (_, i) => {
    const attributes: Record<string, unknown> = {};
    for (const key of keys)
      if (rand() < 0.6)
        Object.defineProperty(attributes, key, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    const start = 1.7e18 + i * 1e6 + rand();
    return {
      traceId,
      spanId: (i % 97 === 5 ? 1 : i + 1).toString(16).padStart(16, "0"), // some ids twice: the later replaces
      name: `s${i}`,
      kind: pick(["tool", "llm", "agent"] as const),
      startNs: start,
      endNs: start + rand() * 1e7,
      status: "ok",
      attributes,
    };
  });
}

/** A daemon on a data dir of its own for `body`; stopped, and the dir removed, after. */
async function withDaemon(body: (daemon: TestDaemon, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "hotpath-prepared-"));
  const daemon = await startDaemon({ dataDir });
  try {
    await body(daemon, dataDir);
  } finally {
    await daemon.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("traces: details prepared by the import after its answer", function () {
  this.timeout(300_000);
  let dir: string;
  let workers: ImportWorkers;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-prepared-details-"));
    workers = new ImportWorkers();
  });
  after(async () => {
    await workers.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A store on a file database, and an import into it on two threads that prepares every trace's detail. */
  function storeAt(name: string, maxAttributeChars?: number) {
    const dbPath = join(dir, name);
    const db = openDb(dbPath);
    const store = new TraceStore(db, { maxAttributeChars });
    const analysisDir = join(dir, `${name}-docs`);
    const run = (file: string, text: string, caps: AttributeCaps): Promise<ImportedFile> =>
      importFile(store, {
        dbPath,
        name: file,
        bytes: Buffer.from(text),
        analyze: true,
        maxAttributeChars,
        split: true,
        workers,
        analysisDir,
        prepareDetails: { caps, minSpans: 0, max: 1000 },
      });
    return { store, run, close: () => db.close() };
  }

  /** Each prepared detail, sent as the daemon sends it, against the detail read back from the store. */
  async function assertReadBack(store: TraceStore, r: ImportedFile, caps: AttributeCaps, label: string) {
    const prepared: [string, WorkerJson][] = await r.details!;
    for (const [id, json] of prepared) {
      const summary = store.getTrace(id)!;
      const sent = detailJsonHead(summary) + workerJsonText(json).slice(1);
      assert.equal(sent, JSON.stringify(detailOf(summary, store.getSpans(id), caps)), `${label}: trace ${id}`);
    }
    return prepared.map(([id]) => id);
  }

  it("every shared fixture, imported and then imported again: each prepared detail is the one read back", async function () {
    skipWithoutFixture(this, traceFixture(), "the shared trace fixtures");
    const { store, run, close } = storeAt("fixtures.db");
    try {
      let compared = 0;
      const files = traceFilesUnder(TRACE_FIXTURES);
      // The second round's traces all had spans: each one a file replaces whole is prepared again.
      for (const [round, file] of [...files, ...files].entries()) {
        let r: ImportedFile;
        try {
          r = await run(file.split("/").pop()!, readFileSync(file, "utf8"), CAPS[round % 2]);
        } catch (e) {
          if (e instanceof RemoteImportError || e instanceof EncodingError) continue; // not a trace file
          throw e;
        }
        compared += (await assertReadBack(store, r, CAPS[round % 2], file)).length;
      }
      assert.ok(compared >= 20, `compared ${compared} details`);
    } finally {
      close();
    }
  });

  it("generated and random traces, a session grown, spans written twice: each prepared detail is the one read back", async () => {
    const { store, run, close } = storeAt("generated.db", 1024);
    try {
      const session = generateClaudeSession(3000);
      const cases: [string, string][] = [
        ["s.jsonl", generateClaudeSession(2000)],
        ["s.jsonl", session], // grown: every span written again, so replaced whole
        ["s.jsonl", session],
        ["o.json", JSON.stringify(generateOtlpRequests(3000, 512, "7e".repeat(16)))],
      ];
      for (let seed = 1; seed <= 3; seed++) {
        const id = `${seed}f`.repeat(16);
        cases.push([`r${seed}.jsonl`, exportText(id, randomSpans(id, 1500, seed))]);
      }
      for (const [i, [name, text]] of cases.entries()) {
        const r = await run(name, text, CAPS[i % 2]);
        const ids = await assertReadBack(store, r, CAPS[i % 2], name);
        assert.deepEqual(ids, r.traceIds, `${name}: a detail for each trace`);
      }
    } finally {
      close();
    }
  });

  it("none of a trace that keeps spans from before (the file has part of it); none at all when not asked", async () => {
    const { store, run, close } = storeAt("kept.db");
    try {
      const id = "8a".repeat(16);
      const spans = randomSpans(id, 1200, 9);
      await (
        await run("all.jsonl", exportText(id, spans), VIEW_ATTRIBUTE_CAPS)
      ).details; // its analysis and detail
      const docs = join(dir, "kept.db-docs");
      const before = readdirSync(docs).length;
      const part = await run("part.jsonl", exportText(id, spans.slice(0, 600)), VIEW_ATTRIBUTE_CAPS);
      assert.deepEqual(await part.details, []);
      // The detail its parsing thread wrote goes (deleted as it is dropped): the writer's analysis is the one file left.
      for (let i = 0; i < 100 && readdirSync(docs).length !== before + 1; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(readdirSync(docs).length, before + 1);
      const plain = await importFile(store, {
        dbPath: join(dir, "kept.db"),
        name: "plain.jsonl",
        bytes: Buffer.from(generateClaudeSession(1500)),
        analyze: true,
        split: true,
        workers,
        analysisDir: join(dir, "kept.db-docs"),
      });
      assert.equal(plain.details, undefined);
      assert.equal(readdirSync(docs).length, before + 2, "its analysis is the one file it wrote");
    } finally {
      close();
    }
  });

  it("details that cannot be written: none prepared, the import stands, its threads wait for the next job", async () => {
    const dbPath = join(dir, "unwritable.db");
    const db = openDb(dbPath);
    const store = new TraceStore(db);
    writeFileSync(join(dir, "a-file"), "");
    try {
      const r = await importFile(store, {
        dbPath,
        name: "s.jsonl",
        bytes: Buffer.from(generateClaudeSession(1500)),
        analyze: true,
        split: true,
        workers,
        analysisDir: join(dir, "a-file", "docs"), // under a file: nothing can be written there
        prepareDetails: { caps: VIEW_ATTRIBUTE_CAPS, minSpans: 0, max: 10 },
      });
      assert.equal(store.getTrace(r.traceIds[0])?.spanCount, r.spanCount);
      assert.equal(r.analyses, undefined, "its analysis is made when first asked for");
      assert.deepEqual(await r.details, []);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(
        workers.waitingThreads.some((w) => w.role === "parse"),
        "the parsing thread waits for a next job",
      );
    } finally {
      db.close();
    }
  });

  it("through the daemon: a file of one large trace and many small ones — the large one's prepared detail is served", async () => {
    await withDaemon(async (daemon, dataDir) => {
      const large = "5a".repeat(16);
      const small = Array.from({ length: 6 }, (_, i) => `${i}b`.repeat(16));
      const requests = [
        ...generateOtlpRequests(5000, 512, large),
        ...small.flatMap((id) => generateOtlpRequests(10, 10, id)),
      ];
      const res = await daemon.fetch("/hotpath/traces/import?name=many.json", {
        method: "POST",
        body: JSON.stringify(requests),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { traceIds: string[] }).traceIds.length, 7);
      const docs = join(dataDir, "analyses");
      const details = () =>
        readdirSync(docs).filter((f) => readFileSync(join(docs, f), "utf8").startsWith('{"spans":'));
      for (let i = 0; i < 100 && details().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const prepared = details();
      assert.equal(prepared.length, 1, "the large trace's detail prepared");
      const detail = await daemon.fetch(`/hotpath/traces/${large}?attributeChars=4000&argumentChars=200000`);
      assert.equal(detail.status, 200);
      assert.equal(((await detail.json()) as { spans: unknown[] }).spans.length, 5000);
      // Sent from that file, kept: the GET read nothing back (the small traces' entries did not push it out).
      assert.deepEqual(details(), prepared);
    });
  });

  it("a daemon stopped right after a large import lets the detail being written finish, and leaves no file behind", async () => {
    await withDaemon(async (daemon, dataDir) => {
      const res = await daemon.fetch("/hotpath/traces/import?name=s.jsonl", {
        method: "POST",
        body: generateClaudeSession(30_000).replaceAll("bench-session", "stopped-session"),
      });
      assert.equal(res.status, 200);
      assert.equal(await daemon.stop(), 0);
      assert.equal(existsSync(join(dataDir, "analyses")), false, "no analyses or details left behind");
    });
  });

  it("through the daemon: the first GET after an import sends the prepared detail, what a fresh daemon reads back", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hotpath-prepared-daemon-"));
    let daemon = await startDaemon({ dataDir });
    try {
      const session = generateClaudeSession(5000).replaceAll("bench-session", "prepared-session");
      assert.ok(Buffer.byteLength(session) > 2 * 1024 * 1024, "large enough for two threads");
      const imported = async (text: string) => {
        const res = await daemon.fetch("/hotpath/traces/import?name=s.jsonl", { method: "POST", body: text });
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()) as { traceIds: string[]; spanCount: number };
      };
      const detail = async (id: string) => {
        const res = await daemon.fetch(`/hotpath/traces/${id}?attributeChars=4000&argumentChars=200000`);
        assert.equal(res.status, 200);
        return res.text();
      };
      const { traceIds, spanCount } = await imported(session);
      const id = traceIds[0];
      // Asked at once (the detail may still be being written) and twice at the same time: one detail, the same bytes.
      const [first, second] = await Promise.all([detail(id), detail(id)]);
      assert.equal(first, second);
      assert.equal((JSON.parse(first) as { spans: unknown[] }).spans.length, spanCount);
      assert.equal(readdirSync(join(dataDir, "analyses")).length, 2, "its analysis and its detail");
      await daemon.dispose();
      daemon = await startDaemon({ dataDir });
      assert.equal(await detail(id), first, "read back by a daemon started afresh");
      // The session grown: the detail kept for it is not sent again.
      const grown = generateClaudeSession(5500).replaceAll("bench-session", "prepared-session");
      const again = await imported(grown);
      assert.deepEqual(again.traceIds, [id]);
      assert.ok(again.spanCount > spanCount);
      assert.equal((JSON.parse(await detail(id)) as { spans: unknown[] }).spans.length, again.spanCount);
    } finally {
      await daemon.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
