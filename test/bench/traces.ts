// `npm run bench -- traces [--spans N] [--runs R] [--write] [--only import] [--base-rev REV | --base <main.js>]`:
// import + analyze a generated 100k-span agent trace (Claude Code JSONL and OTLP JSON), and OTLP ingest throughput
// (receiver logic, and over HTTP to the real daemon, json and protobuf). Medians of R runs; --write puts the table into
// docs/benchmarks.md under "## traces".
//   The import as shipped: POST /hotpath/traces/import to the real daemon (dist/daemon/main.js: its import workers
//   parse, store and analyze), sent by the extension's client (extension/client.ts: what "Hotpath: Import Trace"
//   does; before 2026-12-04 this used fetch, whose own copying of the body held its first byte 0.3–0.5 s), wall clock
//   from the call to the answer, the daemon process's CPU time (all its threads) and /healthz
//   every 10 ms meanwhile (from a thread of its own). With --base-rev (a commit, built from git as `bench ab` does) or
//   --base (another build's dist/daemon/main.js) both daemons run side by side: imports alternate between them (ABBA), each run imports a file
//   of its own (fresh trace ids, same size and shape), and afterwards the analyses both daemons serve and the span rows
//   both stored are compared (they must be identical). --only import skips everything else. Each format gets daemons
//   of their own, started for it: its first run is the daemon's first import (cold: new worker threads, nothing of
//   the import's code compiled yet), later runs are on the worker threads a successful import leaves waiting (warm,
//   see daemon/traces/import/workers.ts); the table gives both, apart. Then the last file is imported again twice
//   (its trace replaced whole: a developer importing a file a second time) and, for Claude Code, a session first at
//   90% of its spans and then whole (a session file that grew since its last import): both apart in the table.
//   Last, the last trace's detail (GET /hotpath/traces/:id with the trace view's caps on long attributes: what the view
//   loads) is read DETAIL_RUNS times per daemon: its wall and the slowest /healthz probe per read (both daemons' details
//   compared too, a base's cut as the extension cuts a detail its daemon did not).
//   Where ../shared is beside the repository, a third file goes between the two: a Claude Code session of real records
//   (the shared session repeated, ids and times of each copy its own: repeatedClaudeSession) as large in bytes as the
//   generated one — real records are ~15× larger per span, so the two tell per-span from per-byte cost.
import { execSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openDb } from "../../daemon/db.js";
import { analyzeTrace } from "../../daemon/traces/analysis/index.js";
import { importText, parseTraceFile } from "../../daemon/traces/importers/index.js";
import { receiveOtlp } from "../../daemon/traces/otlp/receiver.js";
import { TraceStore } from "../../daemon/traces/store.js";
import { importAndAnalyze, type AnalyzedImport } from "../../daemon/traces/import/analyzed.js";
import { importFile, splitsImport, type ImportedFile } from "../../daemon/traces/import/job.js";
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import type { ImportResult, TraceDetail } from "../../daemon/api.js";
import { capSpanAttributes, capsQuery, VIEW_ATTRIBUTE_CAPS } from "../../daemon/traces/view-caps.js";
import { workerJsonText } from "../fixtures/worker-json.js";
import { DaemonClient } from "../../extension/client.js";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../fixtures/daemon.js";
import { startHealthProbe } from "../fixtures/health-probe.js";
import { buildRevision } from "./ab.js";
import { percentile } from "./_report.js";
import { generateClaudeSession, generateOtlpRequests, repeatedClaudeSession } from "./_trace-generators.js";

export { generateClaudeSession, generateOtlpRequests };

/** The middle value (of an even count, the mean of the two middle ones). */
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function toProtobuf(requests: object[]): Buffer[] {
  const requireCjs = createRequire(import.meta.url);
  const root = requireCjs("@opentelemetry/otlp-transformer/build/src/generated/root.js");
  const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const hexToB64 = (h: string) => Buffer.from(h, "hex").toString("base64");
  return requests.map((r) => {
    const copy = JSON.parse(JSON.stringify(r));
    for (const rs of copy.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans) {
          s.traceId = hexToB64(s.traceId);
          s.spanId = hexToB64(s.spanId);
          if (s.parentSpanId) s.parentSpanId = hexToB64(s.parentSpanId);
        }
    return Buffer.from(Req.encode(Req.fromObject(copy)).finish());
  });
}

interface Row {
  what: string;
  value: string;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spans: { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
      write: { type: "boolean", default: false },
      only: { type: "string" },
      base: { type: "string" },
      "base-rev": { type: "string" },
    },
  });
  const target = Number(values.spans);
  const runs = Number(values.runs);
  if (values.only !== undefined && values.only !== "import") throw new Error(`--only: "import" is the one choice`);
  if (values.base && values["base-rev"]) throw new Error("give --base or --base-rev, not both");
  const base = values.base
    ? { label: values.base, bin: resolvePath(values.base) }
    : values["base-rev"]
      ? (() => {
          const built = buildRevision(values["base-rev"]);
          return { label: `${values["base-rev"]} (${built.commit}, built from git)`, bin: built.bin };
        })()
      : undefined;
  if (values.only === "import") {
    const loadBefore = loadavg();
    const rows = await shippedImports(target, runs, base);
    report(rows, runs, values.write, loadBefore);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-traces-"));
  const rows: Row[] = [];
  try {
    // 1. Claude Code JSONL: parse, store (one transaction), read back, analyze.
    // One input in memory at a time: the other's 60 MB would only add GC work to this one's numbers.
    for (const [label, name, make] of [
      ["Claude Code JSONL", "session.jsonl", () => generateClaudeSession(target)],
      ["OTLP JSON file", "export.json", () => JSON.stringify(generateOtlpRequests(target))],
    ] as const) {
      const text = make();
      const parse: number[] = [];
      const store: number[] = [];
      const read: number[] = [];
      const analyze: number[] = [];
      const total: number[] = [];
      const cpu: number[] = [];
      // CPU time per stage too: the VM is shared, and wall clock alone moves with the neighbours' load.
      const stageCpu: number[][] = [[], [], [], []];
      let spanCount = 0;
      let groups = 0;
      for (let i = 0; i < runs; i++) {
        const db = openDb(join(dir, `${label.replace(/\W/g, "")}-${i}.db`));
        const s = new TraceStore(db);
        const c0 = process.cpuUsage();
        const cpuMs = () => {
          const c = process.cpuUsage(c0);
          return (c.user + c.system) / 1000;
        };
        const t0 = performance.now();
        const parsed = parseTraceFile(name, text);
        const t1 = performance.now();
        const u1 = cpuMs();
        s.writeImport(parsed.traces.map((t) => ({ spans: t.spans, source: t.source, origin: t.origin, name: t.name })));
        const t2 = performance.now();
        const u2 = cpuMs();
        const spans = s.getSpans(parsed.traces[0].spans[0].traceId);
        const t3 = performance.now();
        const u3 = cpuMs();
        const a = analyzeTrace(spans);
        const t4 = performance.now();
        const u4 = cpuMs();
        [u1, u2 - u1, u3 - u2, u4 - u3].forEach((u, k) => stageCpu[k].push(u));
        parse.push(t1 - t0);
        store.push(t2 - t1);
        read.push(t3 - t2);
        analyze.push(t4 - t3);
        total.push(t4 - t0);
        cpu.push(u4);
        spanCount = spans.length;
        groups = a.parallelGroups.length;
        db.close();
      }
      const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
      const withCpu = (wall: number[], k: number) =>
        `${median(wall).toFixed(0)} ms (CPU ${median(stageCpu[k]).toFixed(0)} ms)`;
      rows.push({
        what: `${label}, ${spanCount.toLocaleString("en")} spans (${mb} MB): parse`,
        value: withCpu(parse, 0),
      });
      rows.push({ what: `… store (one transaction, WAL file DB)`, value: withCpu(store, 1) });
      rows.push({ what: `… read back (getSpans)`, value: withCpu(read, 2) });
      rows.push({
        what: `… analyze (critical path, parallelism, prefix, heatmap) — ${groups} parallel groups`,
        value: withCpu(analyze, 3),
      });
      rows.push({
        what: `… **import + analyze total** (target ≤ 2000 ms), wall clock`,
        value: `**${median(total).toFixed(0)} ms**`,
      });
      rows.push({
        what: `… import + analyze total, CPU time of this process (less sensitive to the shared VM's load)`,
        value: `${median(cpu).toFixed(0)} ms`,
      });
      // Sanity: the CLI path (importText) gives the same count.
      void importText;
      // The import path as shipped: parse, store, analyze the parsed spans (no read-back); in-process and in the
      // daemon's worker (its own connection; the bytes are handed over), alternating.
      const inProcess: number[] = [];
      const inWorker: number[] = [];
      let same = true;
      for (let i = 0; i < runs; i++) {
        for (const mode of i % 2 ? (["worker", "process"] as const) : (["process", "worker"] as const)) {
          const file = join(dir, `${label.replace(/\W/g, "")}-${mode}-${i}.db`);
          const db = openDb(file);
          const s = new TraceStore(db);
          const t0 = performance.now();
          const r =
            mode === "process"
              ? importAndAnalyze(s, name, text, { analyze: true })
              : await importFile(s, { dbPath: file, name, bytes: Buffer.from(text), analyze: true });
          (mode === "process" ? inProcess : inWorker).push(performance.now() - t0);
          if (i === 0)
            same &&=
              (mode === "process"
                ? JSON.stringify((r as AnalyzedImport).analyses)
                : `[${(r as ImportedFile).analyses!.map(workerJsonText).join(",")}]`) ===
              JSON.stringify(r.traceIds.map((id) => analyzeTrace(s.getSpans(id), id)));
          db.close();
        }
      }
      rows.push({
        what: `… **import + analyze, analysis of the parsed spans (no read-back), in-process**, wall clock`,
        value: `**${median(inProcess).toFixed(0)} ms**`,
      });
      rows.push({
        what: `… the same in the daemon's import worker (bytes handed to a worker thread, own connection)`,
        value: `${median(inWorker).toFixed(0)} ms (analysis identical to the read-back one: ${same ? "yes" : "NO"})`,
      });
    }

    // 2. OTLP ingest: receiver logic on a file DB, then over HTTP to the real daemon.
    const reqs = generateOtlpRequests(50_000, 512, "7b".repeat(16));
    const jsonBodies = reqs.map((r) => Buffer.from(JSON.stringify(r)));
    const protoBodies = toProtobuf(reqs);
    for (const [label, bodies, type] of [
      ["json", jsonBodies, "application/json"],
      ["protobuf", protoBodies, "application/x-protobuf"],
    ] as const) {
      const rates: number[] = [];
      const cpuRates: number[] = [];
      for (let i = 0; i < runs; i++) {
        const db = openDb(join(dir, `ingest-${label}-${i}.db`));
        const s = new TraceStore(db);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        let n = 0;
        for (const b of bodies) n += receiveOtlp(s, b, type).accepted;
        rates.push(n / ((performance.now() - t0) / 1000));
        const c = process.cpuUsage(c0);
        cpuRates.push(n / ((c.user + c.system) / 1e6));
        db.close();
      }
      rows.push({
        what: `OTLP ingest, receiver logic (decode + map + store), ${label}, 512 spans/request`,
        value: `${Math.round(median(rates)).toLocaleString("en")} spans/s (per CPU-second: ${Math.round(median(cpuRates)).toLocaleString("en")})`,
      });
    }
    if (existsSync("dist/daemon/main.js")) {
      const daemon = await startDaemon();
      try {
        for (const [label, bodies, type] of [
          ["json", jsonBodies, "application/json"],
          ["protobuf", protoBodies, "application/x-protobuf"],
        ] as const) {
          const rates: number[] = [];
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            // 4 exporters sending at once, as several instrumented processes would.
            let next = 0;
            let sent = 0;
            await Promise.all(
              Array.from({ length: 4 }, async () => {
                while (next < bodies.length) {
                  const b = bodies[next++];
                  const res = await daemon.fetch("/v1/traces", {
                    method: "POST",
                    body: new Uint8Array(b),
                    headers: { "content-type": type },
                  });
                  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
                  await res.arrayBuffer();
                  sent += 512;
                }
              }),
            );
            rates.push(sent / ((performance.now() - t0) / 1000));
          }
          rows.push({
            what: `OTLP ingest over HTTP to the daemon, ${label}, 4 concurrent exporters`,
            value: `${Math.round(median(rates)).toLocaleString("en")} spans/s`,
          });
        }
      } finally {
        await daemon.dispose();
      }
      rows.push(...(await shippedImports(target, runs, base)));
    } else {
      rows.push({
        what: "OTLP ingest over HTTP",
        value: "skipped: build the daemon first (`node esbuild.mjs --only daemon`)",
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  report(rows, runs, values.write, undefined);
}

function report(rows: Row[], runs: number, write: boolean | undefined, loadBefore: number[] | undefined): void {
  const machine = describeMachine();
  const table = [
    "| measurement | median of " + runs + " |",
    "|---|---|",
    ...rows.map((r) => `| ${r.what} | ${r.value} |`),
  ].join("\n");
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  if (loadBefore) {
    // --only import: its own subsection under "## traces", the rest of the section stays.
    const load = loadBefore.map((x) => x.toFixed(1)).join(" / ");
    const body = `### traces: import as shipped\n\n\`npm run bench -- traces --only import\` (${when} UTC). Load average before: ${load}. ${machine}\n\n${table}\n`;
    console.log(`\n${body}`);
    if (write) writeSubsection("traces: import as shipped", body);
    return;
  }
  console.log(`\n${machine}\n\n${table}\n`);
  if (write) writeSection(`## traces\n\n\`npm run bench -- traces\` (${when} UTC). ${machine}\n\n${table}\n`);
}

/** POST /hotpath/traces/import with fetch (how the bench and the extension sent files before 2026-12-04). */
async function fetchedImport(daemon: TestDaemon, name: string, body: Uint8Array<ArrayBuffer>): Promise<ImportResult> {
  const res = await daemon.fetch(`/hotpath/traces/import?name=${name}`, { method: "POST", body });
  const json = (await res.json()) as ImportResult;
  if (res.status !== 200) throw new Error(`import answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** The daemon process's CPU time (all threads: the import workers too), ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz clock ticks
}

/** Span rows of a daemon's database, in key order, as one hash (and a count). */
function storedRows(daemon: TestDaemon): { count: number; hash: string } {
  const db = new Database(join(daemon.dataDir, "hotpath.db"), { readonly: true });
  try {
    const h = createHash("sha256");
    let count = 0;
    for (const row of db.prepare("SELECT * FROM spans ORDER BY trace_id, span_id").raw().iterate()) {
      h.update(JSON.stringify(row));
      count++;
    }
    return { count, hash: h.digest("hex") };
  } finally {
    db.close();
  }
}

interface Shipped {
  /** New traces' imports (run 1 first). */
  wall: number[];
  cpu: number[];
  /** Imports of a trace the daemon holds (see ImportStep), by kind. */
  again: { wall: number[]; cpu: number[] };
  /** `again`, sent by fetch instead of the extension's client. */
  fetched: { wall: number[]; cpu: number[] };
  grown: { wall: number[]; cpu: number[] };
  health: number[];
}

/**
 * One import of the bench, in order: a new trace (`new`, run r), the last new file sent again (`again`: its trace is
 * replaced whole, as when a developer imports a file twice; `fetched`: the same, sent with fetch, the client the
 * extension used before, side by side with its node:http one), or a Claude Code session imported at 90% of its size
 * (`grow-from`, not reported) and then whole (`grown`: the session file grew since its last import).
 */
interface ImportStep {
  kind: "new" | "again" | "fetched" | "grow-from" | "grown";
  run: number;
}

/** Imports of a trace already stored, per format: a file sent again, twice. */
const AGAIN_RUNS = 2;

/** A file the shipped import bench sends. */
interface ShippedFormat {
  label: string;
  /** The file name it is sent under (the format is detected from it and the bytes). */
  name: string;
  /** Its bytes for run `r` (a trace of its own), of `spans` spans (default: the bench's). */
  make: (r: number, spans?: number) => string;
  /** Also imported at 90% of its spans, then whole (a session file that grew). */
  grows: boolean;
  /** The 2 s wall target applies (it is for generated traces of the target's span count). */
  walled: boolean;
}

/** A real Claude Code session (../shared, beside the repository; absent from a user's clone): see repeatedClaudeSession. */
const REAL_SESSION = "session-3fe1b6bc.jsonl";
const REAL_SESSION_PATH = fileURLToPath(
  new URL(`../../../shared/fixtures/traces/claude-code/${REAL_SESSION}`, import.meta.url),
);

/** The real session and how many copies of it make as many bytes as the generated `target`-span one, when it is there. */
function realSessionCopies(target: number): { source: string; copies: number } | undefined {
  if (!existsSync(REAL_SESSION_PATH)) return undefined;
  const source = readFileSync(REAL_SESSION_PATH, "utf8");
  const copies = Math.max(1, Math.round(Buffer.byteLength(generateClaudeSession(target)) / Buffer.byteLength(source)));
  return { source, copies };
}
/**
 * A detail as the trace view gets it: cut to its caps where the daemon did not (a base build from before them ignores
 * the query), as the extension does.
 */
function viewedDetail(text: string): string {
  const detail = JSON.parse(text) as TraceDetail;
  if (detail.attributeCaps) return text;
  capSpanAttributes(detail.spans, VIEW_ATTRIBUTE_CAPS);
  return JSON.stringify({ ...detail, attributeCaps: VIEW_ATTRIBUTE_CAPS });
}

/** Reads of the last imported trace's detail per daemon and format. */
const DETAIL_RUNS = 3;

/**
 * POST /hotpath/traces/import of a `target`-span file to the daemon (and to a base build, alternating), `runs` times
 * per format; see the comment at the top.
 */
async function shippedImports(
  target: number,
  runs: number,
  base: { label: string; bin: string } | undefined,
): Promise<Row[]> {
  if (!existsSync(DAEMON_BIN)) throw new Error("build the daemon first (`node esbuild.mjs --only daemon`)");
  const sides = [{ label: "new", bin: DAEMON_BIN }, ...(base ? [{ label: "base", bin: base.bin }] : [])];
  let daemons = new Map<string, TestDaemon>();
  /** The pause before each import (see its use). */
  const IMPORT_SETTLE_MS = 1500;
  const rows: Row[] = [];
  const stored: { count: number; hash: string }[][] = [];
  // /healthz is probed from a thread of its own (one per daemon and format; the probes within each import count): polled
  // from this thread, the first check of each import waited 50–120 ms behind this process starting the upload (fetch
  // copies the 60 MB body) after the daemon had answered it in under 1 ms.
  let probes = new Map<string, ReturnType<typeof startHealthProbe>>();
  try {
    const analysesDiffer: string[] = [];
    let analysesCompared = 0;
    let detailsCompared = 0;
    const real = realSessionCopies(target);
    const formats: ShippedFormat[] = [
      {
        label: "Claude Code JSONL",
        name: "session.jsonl",
        make: (r, spans = target) => generateClaudeSession(spans).replaceAll("bench-session", `bench-session-${r}`),
        grows: true,
        walled: true,
      },
      ...(real
        ? [
            {
              label: `Claude Code JSONL of real records (${REAL_SESSION}, ${real.copies} ${real.copies === 1 ? "copy" : "copies"}: as many bytes as the generated one)`,
              name: "session-real.jsonl",
              make: (r: number, spans = target) =>
                repeatedClaudeSession(real.source, Math.round((real.copies * spans) / target), r),
              grows: true,
              walled: false,
            },
          ]
        : []),
      {
        label: "OTLP JSON file",
        name: "export.json",
        make: (r) =>
          JSON.stringify(generateOtlpRequests(target, 512, (r + 1).toString(16).padStart(2, "0").repeat(16))),
        grows: false,
        walled: true,
      },
    ];
    for (const { label, name, make, grows, walled } of formats) {
      const steps: ImportStep[] = [
        ...Array.from({ length: runs }, (_, run) => ({ kind: "new" as const, run })),
        ...Array.from({ length: AGAIN_RUNS }, () => ({ kind: "again" as const, run: runs - 1 })),
        ...Array.from({ length: AGAIN_RUNS }, () => ({ kind: "fetched" as const, run: runs - 1 })),
        // A session of its own (run number `runs`), first at 90% of its spans, then whole.
        ...(grows
          ? [
              { kind: "grow-from" as const, run: runs },
              { kind: "grown" as const, run: runs },
            ]
          : []),
      ];
      // Daemons of its own per format (see the top): run 1 is each daemon's first import.
      for (const d of daemons.values()) await d.dispose();
      daemons = new Map();
      for (const side of sides) daemons.set(side.label, await startDaemon({ bin: side.bin }));
      const by = new Map<string, Shipped>(
        sides.map((s) => [
          s.label,
          {
            wall: [],
            cpu: [],
            again: { wall: [], cpu: [] },
            fetched: { wall: [], cpu: [] },
            grown: { wall: [], cpu: [] },
            health: [],
          },
        ]),
      );
      probes = new Map(sides.map((s) => [s.label, startHealthProbe(daemons.get(s.label)!.url, 10)]));
      const windows = new Map<string, { from: number; to: number }[]>(sides.map((s) => [s.label, []]));
      let bytes = 0;
      let spans = 0;
      let split = 0; // imports the new daemon ran on two workers (it decides by the load average, as this does)
      let body = Buffer.alloc(0);
      const lastImported = new Map<string, string>();
      for (const [i, step] of steps.entries()) {
        const r = step.run;
        if (step.kind !== "again" && step.kind !== "fetched") {
          body = Buffer.alloc(0); // one input in memory at a time
          body = Buffer.from(make(r, step.kind === "grow-from" ? Math.round(target * 0.9) : target));
        }
        if (step.kind === "new") bytes = body.length;
        const order = i % 2 ? [...sides].reverse() : sides;
        const imported = new Map<string, string>();
        for (const side of order) {
          // The last import's aftermath on either daemon (its store thread's checkpoint, its idle collection once
          // its loop was quiet CHECK_MS) is over before the next starts: otherwise one build's leftover work lands in
          // the other's import and /healthz probes (an A/B of a build with less of it read that build as worse).
          await new Promise((r) => setTimeout(r, IMPORT_SETTLE_MS));
          const daemon = daemons.get(side.label)!;
          const t = by.get(side.label)!;
          if (side.label === "new" && step.kind === "new" && splitsImport(body.length)) split++;
          const cpu0 = processCpuMs(daemon.process.pid!);
          const t0 = performance.now();
          // Sent as the extension's "Import Trace" sends it (see the top), or by fetch to compare.
          const json =
            step.kind === "fetched"
              ? await fetchedImport(daemon, name, body)
              : await new DaemonClient(daemon.url, () => daemon.token).importTrace(name, body);
          const t1 = performance.now();
          const cpu = processCpuMs(daemon.process.pid!) - cpu0;
          const into = { new: t, again: t.again, fetched: t.fetched, grown: t.grown, "grow-from": undefined }[
            step.kind
          ];
          into?.wall.push(t1 - t0);
          into?.cpu.push(cpu);
          windows.get(side.label)!.push({ from: performance.timeOrigin + t0, to: performance.timeOrigin + t1 });
          if (step.kind === "new") spans = json.spanCount!;
          imported.set(side.label, json.traceIds![0]);
          lastImported.set(side.label, json.traceIds![0]);
          console.log(
            `${label} ${step.kind} run ${r + 1} ${side.label}: ${Math.round(t1 - t0)} ms wall, ${cpu} ms CPU, ${json.spanCount} spans`,
          );
        }
        if (base) {
          const texts = await Promise.all(
            sides.map(async (s) =>
              (await daemons.get(s.label)!.fetch(`/hotpath/traces/${imported.get(s.label)}/analysis`)).text(),
            ),
          );
          analysesCompared++;
          if (texts[0] !== texts[1]) analysesDiffer.push(`${label} ${step.kind} run ${r + 1}`);
        }
      }
      // The last trace's detail read back (what the extension's trace view asks for), as many times per daemon.
      const details = new Map<string, { wall: number[]; windows: { from: number; to: number }[] }>(
        sides.map((s) => [s.label, { wall: [], windows: [] }]),
      );
      let detailBytes = 0;
      for (let k = 0; k < DETAIL_RUNS; k++) {
        const texts: string[] = [];
        for (const side of k % 2 ? [...sides].reverse() : sides) {
          await new Promise((r) => setTimeout(r, IMPORT_SETTLE_MS));
          const t0 = performance.now();
          // With the caps the trace view asks for (extension/panels/trace.ts).
          const res = await daemons
            .get(side.label)!
            .fetch(`/hotpath/traces/${lastImported.get(side.label)}${capsQuery(VIEW_ATTRIBUTE_CAPS)}`);
          const text = await res.text();
          const t1 = performance.now();
          if (res.status !== 200) throw new Error(`detail: ${res.status} ${text.slice(0, 300)}`);
          const d = details.get(side.label)!;
          d.wall.push(t1 - t0);
          d.windows.push({ from: performance.timeOrigin + t0, to: performance.timeOrigin + t1 });
          if (side.label === "new") detailBytes = Buffer.byteLength(text);
          texts.push(text);
        }
        if (base) {
          detailsCompared++;
          if (viewedDetail(texts[0]) !== viewedDetail(texts[1])) analysesDiffer.push(`${label} detail ${k + 1}`);
        }
      }
      const detailSlowest = new Map<string, number[]>();
      for (const [label, probe] of probes) {
        const during = windows.get(label)!;
        const detailWindows = details.get(label)!.windows;
        const slowestDetail = detailWindows.map(() => 0);
        detailSlowest.set(label, slowestDetail);
        const slowest = during.map(() => 0); // per import, in step order (the log's)
        for (const p of await probe.stop()) {
          const d = detailWindows.findIndex((w) => p.at >= w.from && p.at <= w.to);
          if (d !== -1) slowestDetail[d] = Math.max(slowestDetail[d], p.ms);
          const i = during.findIndex((w) => p.at >= w.from && p.at <= w.to);
          if (i === -1) continue;
          by.get(label)!.health.push(p.ms);
          slowest[i] = Math.max(slowest[i], p.ms);
        }
        console.log(`${label}: slowest /healthz per import, ms: ${slowest.map((ms) => ms.toFixed(0)).join(", ")}`);
      }
      probes = new Map();
      if (base) stored.push(sides.map((s) => storedRows(daemons.get(s.label)!)));
      const mb = (bytes / 1e6).toFixed(1);
      // First (cold) and later (warm) imports apart: a reused worker thread has the import's code compiled.
      const cell = (t: Shipped) =>
        `first ${t.wall[0].toFixed(0)} ms wall, ${t.cpu[0].toFixed(0)} ms CPU` +
        (t.wall.length > 1
          ? `; later ${median(t.wall.slice(1)).toFixed(0)} ms wall, ${median(t.cpu.slice(1)).toFixed(0)} ms CPU`
          : "") +
        `; again ${median(t.again.wall).toFixed(0)} ms wall, ${median(t.again.cpu).toFixed(0)} ms CPU` +
        ` (sent by fetch: ${median(t.fetched.wall).toFixed(0)} ms wall)` +
        (t.grown.wall.length
          ? `; grown ${t.grown.wall[0].toFixed(0)} ms wall, ${t.grown.cpu[0].toFixed(0)} ms CPU`
          : "") +
        `; /healthz p50 ${median(t.health).toFixed(1)} / p99 ${percentile(t.health, 99).toFixed(1)} / max ${Math.max(...t.health).toFixed(1)} ms (${t.health.length} checks, all runs)`;
      const n = by.get("new")!;
      rows.push({
        what: `${label}, ${spans.toLocaleString("en")} spans (${mb} MB), POST /hotpath/traces/import (parse, store, analyze in the daemon's workers; two workers in ${split} of ${runs} runs); first: the daemon's first import (cold), later: median of runs 2–${runs} (warm worker threads), again: the last file imported again (its trace replaced whole, median of ${AGAIN_RUNS}; and as many sent by fetch)${grows ? `, grown: a session imported at 90% of its spans, then whole` : ""} — **${walled ? "target ≤ 2000 ms wall" : `no wall target (it is for ${target.toLocaleString("en")} spans)`}, /healthz ≤ 50 ms**`,
        value: `**${cell(n)}**`,
      });
      const detailCell = (side: string) =>
        `median ${median(details.get(side)!.wall).toFixed(0)} ms wall; slowest /healthz per read ${detailSlowest
          .get(side)!
          .map((ms) => ms.toFixed(0))
          .join(", ")} ms`;
      if (base) {
        const b = by.get("base")!;
        rows.push({ what: `… the same, base ${base.label}`, value: cell(b) });
        const pairs = n.wall.map((w, i) => (w / b.wall[i]).toFixed(2)).join(", ");
        const later = (xs: number[]) => median(xs.slice(1));
        rows.push({
          what: `… new / base`,
          value:
            `first wall **${(n.wall[0] / b.wall[0]).toFixed(2)}×**, CPU ${(n.cpu[0] / b.cpu[0]).toFixed(2)}×` +
            (runs > 1
              ? `; later wall **${(later(n.wall) / later(b.wall)).toFixed(2)}×**, CPU ${(later(n.cpu) / later(b.cpu)).toFixed(2)}×`
              : "") +
            `; again wall ${(median(n.again.wall) / median(b.again.wall)).toFixed(2)}×` +
            (n.grown.wall.length ? `, grown wall ${(n.grown.wall[0] / b.grown.wall[0]).toFixed(2)}×` : "") +
            ` (pairwise wall ${pairs})`,
        });
      }
      rows.push({
        what: `${label}: GET /hotpath/traces/:id with the view's caps, the last imported trace's detail (${(detailBytes / 1e6).toFixed(1)} MB of JSON), ${DETAIL_RUNS} reads per daemon — /healthz ≤ 50 ms`,
        value: `**${detailCell("new")}**${base ? `; base ${base.label}: ${detailCell("base")}` : ""}`,
      });
    }
    if (base) {
      const [a, b] = [0, 1].map((i) => stored.reduce((n, f) => n + f[i].count, 0));
      const same = stored.every(([x, y]) => x.hash === y.hash && x.count === y.count);
      rows.push({
        what: `Identity: the analyses both daemons serve after each import, and the details read; every span row both stored`,
        value: `${analysesCompared + detailsCompared - analysesDiffer.length} of ${analysesCompared + detailsCompared} analyses and details identical${analysesDiffer.length ? ` (DIFFER: ${analysesDiffer.join(", ")})` : ""}; ${a.toLocaleString("en")} / ${b.toLocaleString("en")} rows, ${same ? "identical" : "DIFFERENT"}`,
      });
      if (analysesDiffer.length || !same) console.error("bench traces: new and base stored or analysed differently");
    }
  } finally {
    for (const probe of probes.values()) await probe.stop(); // a failed run: the probes' threads end too
    for (const d of daemons.values()) await d.dispose();
  }
  return rows;
}

/** Replaces (or adds) the `### name` subsection under `## traces`, leaving every other section as it was. */
function writeSubsection(name: string, body: string): void {
  const file = "docs/benchmarks.md";
  const text = readFileSync(file, "utf8");
  const own = new RegExp(`### ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n[\\s\\S]*?(?=\\n##? |\\n### |$)`);
  if (own.test(text))
    return writeFileSync(
      file,
      text.replace(own, () => body.trim() + "\n"),
    );
  const section = /## traces\n[\s\S]*?(?=\n## |$)/.exec(text);
  if (!section) throw new Error(`no "## traces" section in ${file}: run \`npm run bench -- traces --write\` first`);
  const at = section.index + section[0].length;
  writeFileSync(file, `${text.slice(0, at).trimEnd()}\n\n${body.trim()}\n${text.slice(at)}`);
}

function describeMachine(): string {
  let model = cpus()[0]?.model ?? "unknown CPU";
  try {
    model =
      execSync("lscpu", { encoding: "utf8" })
        .match(/Model name:\s*(.+)/)?.[1]
        ?.trim() ?? model;
  } catch {
    /* no lscpu */
  }
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(" / ");
  return `Machine: ${cpus().length}-core VM (${model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; load average during the run ${load} (1/5/15 min) — the VM is shared, so times are inflated by that much contention.`;
}

function writeSection(section: string): void {
  const file = "docs/benchmarks.md";
  const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  // Up to the next section or subsection: "### …" under "## traces" (traces-ab's table, hand-written comparisons) stays.
  const re = /## traces\n[\s\S]*?(?=\n##+ |\s*$)/;
  const next = re.test(current) ? current.replace(re, `${section.trimEnd()}\n`) : `${current.trimEnd()}\n\n${section}`;
  writeFileSync(file, `${next.trimEnd()}\n`);
}
