// Concurrent writers on the one SQLite file: import workers (each with its own connection) and the daemon's own span
// writes must wait for the write lock, never fail with "database is locked"; past the busy timeout a write is a
// DatabaseBusyError (503 with Retry-After), not a 500.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DatabaseBusyError, openDb } from "../../../daemon/db.js";
import { importFile } from "../../../daemon/traces/import/job.js";
import type { Span } from "../../../daemon/traces/span.js";
import { TraceStore } from "../../../daemon/traces/store.js";
import { toHttpError } from "../../../daemon/server/errors.js";

const otlp = (traceId: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "lock" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: "b7ad6b7169203331",
                name: "llm",
                kind: 3,
                startTimeUnixNano: "1700000000000000000",
                endTimeUnixNano: "1700000001000000000",
                attributes: [],
              },
            ],
          },
        ],
      },
    ],
  });

const span = (i: number): Span =>
  ({
    traceId: "ab".repeat(16),
    spanId: i.toString(16).padStart(16, "0"),
    name: "chat",
    kind: "llm",
    startNs: 1_700_000_000_000 + i,
    endNs: 1_700_000_000_001 + i,
    status: "ok",
    attributes: {},
  }) as Span;

describe("traces: concurrent writers wait for the SQLite write lock", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-lock-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("12 imports at once while the daemon's thread writes spans every millisecond: all stored, none locked", async function () {
    const file = join(dir, "hotpath.db");
    const db = openDb(file);
    const store = new TraceStore(db);
    const failures: string[] = [];
    let written = 0;
    const timer = setInterval(() => {
      try {
        store.writeSpans([span(written)], "daemon");
        written++;
      } catch (e) {
        failures.push(`daemon thread: ${(e as Error).message}`);
      }
    }, 1);
    try {
      const ids = Array.from({ length: 12 }, (_, i) => (i + 1).toString(16).padStart(32, "c"));
      const results = await Promise.allSettled(
        ids.map((id, i) =>
          importFile(store, { dbPath: file, name: `t${i}.json`, bytes: Buffer.from(otlp(id)), analyze: true }),
        ),
      );
      for (const r of results) if (r.status === "rejected") failures.push(`import: ${(r.reason as Error).message}`);
      assert.deepEqual(failures, []);
      for (const id of ids) assert.equal(store.getTrace(id)?.spanCount, 1, id);
      assert.ok(written > 0);
    } finally {
      clearInterval(timer);
      db.close();
    }
  });

  it("a write that cannot get the lock within the busy timeout is a 503 with Retry-After", function () {
    const file = join(dir, "hotpath.db");
    const db = openDb(file);
    db.pragma("busy_timeout = 50");
    const store = new TraceStore(db);
    const other = new Database(file);
    try {
      other.prepare("BEGIN IMMEDIATE").run();
      let thrown: unknown;
      try {
        store.writeSpans([span(1)], "daemon");
      } catch (e) {
        thrown = e;
      }
      assert.ok(thrown instanceof DatabaseBusyError, String(thrown));
      const http = toHttpError(thrown);
      assert.equal(http.status, 503);
      assert.equal(http.code, "database_busy");
      assert.equal(http.headers?.["retry-after"], "5");
      other.prepare("ROLLBACK").run();
      store.writeSpans([span(2)], "daemon");
      assert.equal(store.getTrace("ab".repeat(16))?.spanCount, 1);
    } finally {
      other.close();
      db.close();
    }
  });
});
