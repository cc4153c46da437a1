// Fuzz: a seeded corpus of 2,000+ hostile requests over every endpoint against the real daemon binary. Asserts no 5xx,
// every error in its endpoint's shape, /healthz p99 ≤ 100 ms while the fuzz runs (measured from a worker thread, so
// the test's own work does not count), RSS back within a bound, and a normal chat answered afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { ALLOCATOR_ENV } from "../../../daemon/allocator.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { cpuSample, foreignCores } from "../../fixtures/foreign-cpu.js";
import { startHealthProbe, type Probe } from "../../fixtures/health-probe.js";
import { chatModelPath } from "../../fixtures/models.js";
import { rawRequest, type RawResponse } from "../../fixtures/raw-http.js";
import { generateCorpus, type FuzzCase } from "./corpus.js";

const SEED = Number(process.env.HOTPATH_FUZZ_SEED ?? 15);
// The full corpus: 200 per endpoint, 2,192 cases (45–65 s on a quiet 2-core machine, several minutes at load 10+).
const PER_ENDPOINT = Number(process.env.HOTPATH_FUZZ_PER_ENDPOINT ?? 200);
// HOTPATH_FUZZ_ALLOCATOR=glibc starts the daemon without its malloc settings (daemon/allocator.ts), to see what they
// are worth: the RSS bound below fails there.
const GLIBC_DEFAULTS = process.env.HOTPATH_FUZZ_ALLOCATOR === "glibc";
const VERBOSE = Boolean(process.env.HOTPATH_FUZZ_VERBOSE);
const CONCURRENCY = 4;
/**
 * RSS after the fuzz (and a settle) may exceed RSS before it by this much: caches, the sandbox worker, V8's grown heap.
 * Measured (full corpus, 2026-12-02, load 10–18): +81 MB with the daemon's malloc settings and streamed inflate; without
 * either lever +235 and +253 MB, with neither +378 MB — so a regression of either fails here (docs/security.md).
 */
const RSS_GROWTH_BOUND_MB = 200;
/** Issue #15: /healthz p99 while the fuzz runs. */
const HEALTHZ_P99_MS = 100;
/**
 * The p99 is asserted unless other processes kept more than this many cores busy on average while the fuzz ran
 * (measured from /proc: the machine's busy time less the daemon's and this process's). On the 2-core machines CI runs
 * on, the daemon and this test use both cores between them, so whatever else runs takes its time from /healthz:
 * at load 22 (six other sessions) p99 was 326 ms while a quiet CI run measured 68 ms. The gate looks at nothing the
 * daemon does, so a slower daemon still fails; HOTPATH_FUZZ_STRICT_LATENCY=1 asserts whatever else runs.
 */
const FOREIGN_CORES_MAX = 0.25;

/** RSS (or another /proc/<pid>/status field, e.g. RssAnon: heap and malloc, not SQLite's mapped file) in MB. */
function rssMb(pid: number, field = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Where the process's resident memory is (HOTPATH_FUZZ_VERBOSE): malloc's main arena is `[heap]`, its thread arenas
 * anonymous mappings of up to 64 MB, V8's heap anonymous mappings too; the largest mappings name themselves.
 */
function memoryMap(pid: number): string {
  const regions: { name: string; size: number; rss: number }[] = [];
  let current: { name: string; size: number; rss: number } | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = { name: head[3] || "anon", size: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1048576, rss: 0 };
      regions.push(current);
    } else if (current && line.startsWith("Rss:")) current.rss = Number(/(\d+)/.exec(line)![1]) / 1024;
  }
  const byName = new Map<string, number>();
  for (const r of regions) byName.set(r.name, (byName.get(r.name) ?? 0) + r.rss);
  const top = [...regions].sort((a, b) => b.rss - a.rss).slice(0, 10);
  return (
    `      memory map (RSS MB): ${[...byName]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([n, mb]) => `${n.split("/").pop()} ${mb.toFixed(0)}`)
      .join(", ")}\n      largest mappings (RSS/size MB): ` +
    top.map((r) => `${r.name.split("/").pop()} ${r.rss.toFixed(0)}/${r.size.toFixed(0)}`).join(", ")
  );
}

function shapeProblem(c: FuzzCase, res: RawResponse): string | undefined {
  if (res.status < 400) return undefined;
  const b = res.body;
  if (c.shape === "anthropic") {
    if (b?.type === "error" && typeof b.error?.type === "string" && typeof b.error?.message === "string")
      return undefined;
    return "not Anthropic's error shape";
  }
  if (
    typeof b?.error?.message === "string" &&
    typeof b.error.type === "string" &&
    "code" in b.error &&
    "param" in b.error
  )
    return undefined;
  return "not OpenAI's error shape";
}

const label = (c: FuzzCase) => `#${c.id} ${c.family} ${c.method} ${c.path.slice(0, 60)}`;

/**
 * HOTPATH_FUZZ_VERBOSE: time per family, the slowest cases, and for each /healthz probe over 50 ms the cases in
 * flight while it waited (what held the event loop is among them).
 */
function diagnosis(timings: { c: FuzzCase; from: number; to: number; status: number }[], health: Probe[]): string {
  const lines: string[] = ["      per family (n, total s, p50 ms, max ms):"];
  const byFamily = new Map<string, number[]>();
  for (const t of timings) byFamily.set(t.c.family, [...(byFamily.get(t.c.family) ?? []), t.to - t.from]);
  for (const [family, xs] of [...byFamily].sort((a, b) => b[1].reduce((x, y) => x + y) - a[1].reduce((x, y) => x + y)))
    lines.push(
      `        ${family}: ${xs.length}, ${(xs.reduce((a, b) => a + b) / 1000).toFixed(1)} s, ${quantile(xs, 0.5).toFixed(0)}, ${Math.max(...xs).toFixed(0)}`,
    );
  lines.push("      slowest cases:");
  for (const t of [...timings].sort((a, b) => b.to - b.from - (a.to - a.from)).slice(0, 15))
    lines.push(`        ${(t.to - t.from).toFixed(0)} ms ${label(t.c)} (${t.c.body?.length ?? 0} B) → ${t.status}`);
  const stalls = health.filter((p) => p.ms > 50).sort((a, b) => b.ms - a.ms);
  const blame = new Map<string, number>();
  lines.push(`      /healthz over 50 ms: ${stalls.length}; the worst with the cases in flight:`);
  for (const [i, p] of stalls.entries()) {
    const inFlight = timings.filter((t) => t.from < p.at + p.ms && t.to > p.at);
    for (const t of inFlight)
      blame.set(`${t.c.endpoint}/${t.c.family}`, (blame.get(`${t.c.endpoint}/${t.c.family}`) ?? 0) + 1);
    if (i < 12)
      lines.push(
        `        ${p.ms.toFixed(0)} ms: ${inFlight.map((t) => `${label(t.c)} (${t.c.body?.length ?? 0} B)`).join(" | ")}`,
      );
  }
  lines.push(
    `      in flight during stalls (endpoint/family × stalls): ${[...blame]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, n]) => `${k}×${n}`)
      .join(" ")}`,
  );
  return lines.join("\n");
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];

describe("fuzz: hostile requests over every endpoint", function () {
  this.timeout(900_000);
  let daemon: TestDaemon;
  let auth: Record<string, string>;

  before(async function () {
    daemon = await startDaemon({
      args: ["--model", `chat=${chatModelPath()}`],
      waitForModels: ["chat"],
      startTimeoutMs: 180_000, // at load 18 the daemon printed nothing within 60 s
      // Verbose: event-loop windows of 1 s, read while the fuzz runs, to tell holds of the loop from a busy machine.
      ...(VERBOSE ? { env: { HOTPATH_EVENT_LOOP_WINDOW_S: "1" } } : {}),
      ...(GLIBC_DEFAULTS
        ? { fullEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in ALLOCATOR_ENV))) }
        : {}),
    });
    auth = { authorization: `Bearer ${daemon.token}` };
  });
  after(() => daemon?.dispose());

  it(`no 5xx, errors in each endpoint's shape, the daemon answers a chat after, RSS bounded, /healthz p99 ≤ ${HEALTHZ_P99_MS} ms (seed ${SEED})`, async function () {
    const generated = performance.now();
    const corpus = generateCorpus(SEED, PER_ENDPOINT);
    const generateMs = performance.now() - generated;
    assert.ok(corpus.length >= Math.min(2000, PER_ENDPOINT * 10), `the corpus holds only ${corpus.length} cases`);
    // Every body says what it is (the content-type family says it wrongly): without one, the OTLP endpoint answered
    // every mutated body 415 before its decoder ran.
    const untyped = corpus.filter((c) => c.body !== undefined && c.headers["content-type"] === undefined);
    assert.deepEqual(untyped.map(label).slice(0, 5), [], `${untyped.length} bodies without a Content-Type`);

    // Warm the paths a first request pays for (model sequences, sandbox worker, embedder), then take RSS.
    for (const c of corpus.filter((x) => x.family === "valid"))
      await rawRequest(daemon.url, {
        method: c.method,
        path: c.path,
        headers: { ...auth, ...c.headers },
        body: c.body,
      });
    const rssBefore = rssMb(daemon.process.pid!);

    const loadBefore = loadavg()[0];
    const cpuBefore = cpuSample([process.pid, daemon.process.pid!]);
    const probe = startHealthProbe(daemon.url);
    const started = performance.now();
    const problems: string[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const auditRuns: string[] = [];
    const timings: { c: FuzzCase; from: number; to: number; status: number }[] = [];
    let next = 0;
    const runOne = async (c: FuzzCase) => {
      let res: RawResponse;
      const from = performance.timeOrigin + performance.now();
      try {
        res = await rawRequest(daemon.url, {
          method: c.method,
          path: c.path,
          headers: { ...auth, ...c.headers },
          body: c.body,
          timeoutMs: 120_000,
        });
      } catch (e) {
        // A refused oversized upload may be cut off while still being sent (after its 413): that is not a failure.
        if (/EPIPE|ECONNRESET/.test(String(e)) && (c.body?.length ?? 0) > 1024 * 1024) return;
        problems.push(`#${c.id} ${c.family} ${c.method} ${c.path.slice(0, 80)}: no answer (${(e as Error).message})`);
        return;
      }
      timings.push({ c, from, to: from + res.ms, status: res.status });
      const byStatus = statuses.get(c.family) ?? new Map<number, number>();
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      statuses.set(c.family, byStatus);
      if (res.status >= 500)
        problems.push(
          `#${c.id} ${c.family} ${c.method} ${c.path.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`,
        );
      const shape = shapeProblem(c, res);
      if (shape)
        problems.push(
          `#${c.id} ${c.family} ${c.path.slice(0, 80)} → ${res.status}: ${shape}: ${res.text.slice(0, 200)}`,
        );
      // An accepted audit is cancelled at once: the fuzz is about the request, not hours of ablation runs.
      if (c.endpoint === "audit-run" && res.status === 202 && typeof res.body?.id === "string") {
        auditRuns.push(res.body.id);
        await rawRequest(daemon.url, { method: "DELETE", path: `/hotpath/audit/${res.body.id}`, headers: auth });
      }
    };
    // RSS as the corpus goes (it is ordered by endpoint, then the heavy families): where memory grows.
    const rssTrail: { at: number; mb: number }[] = [];
    const sampler = setInterval(() => rssTrail.push({ at: next, mb: rssMb(daemon.process.pid!) }), 1000);
    const holds: { at: number; maxMs: number }[] = [];
    const holdSampler = VERBOSE
      ? setInterval(() => {
          const at = performance.timeOrigin + performance.now();
          void rawRequest(daemon.url, { path: "/hotpath/stats", headers: auth }).then((r) => {
            const w = r.body?.eventLoop?.previous as { maxMs: number } | undefined;
            if (w) holds.push({ at, maxMs: w.maxMs });
          });
        }, 1000)
      : undefined;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < corpus.length) await runOne(corpus[next++]);
      }),
    );
    clearInterval(sampler);
    clearInterval(holdSampler);
    const fuzzMs = performance.now() - started;
    const health = await probe.stop();
    const cpuAfter = cpuSample([process.pid, daemon.process.pid!]);
    const foreign = cpuBefore && cpuAfter ? foreignCores(cpuBefore, cpuAfter) : undefined;

    // Settle: the accepted work has finished; give the allocator a moment.
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssMb(daemon.process.pid!);
    const anonAfter = rssMb(daemon.process.pid!, "RssAnon");
    const chat = await rawRequest(daemon.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });

    const ms = health.map((p) => p.ms);
    const p50 = quantile(ms, 0.5);
    const p99 = quantile(ms, 0.99);
    if (process.env.HOTPATH_FUZZ_VERBOSE) {
      console.log(memoryMap(daemon.process.pid!));
      console.log(diagnosis(timings, health));
      // The daemon's own event-loop delay per 1 s window (the previous window at each read: it ended within the second
      // before), the worst with the cases in flight then.
      console.log("      event-loop windows over 50 ms (max ms: cases in flight in the second before):");
      for (const w of holds
        .filter((x) => x.maxMs > 50)
        .sort((a, b) => b.maxMs - a.maxMs)
        .slice(0, 15))
        console.log(
          `        ${w.maxMs.toFixed(0)} ms: ${timings
            .filter((t) => t.from < w.at && t.to > w.at - 2000)
            .map((t) => `${label(t.c)} (${t.c.body?.length ?? 0} B)`)
            .join(" | ")
            .slice(0, 600)}`,
        );
      // The largest RSS steps, with the cases sent just before each sample.
      const steps = rssTrail
        .slice(1)
        .map((r, i) => ({ ...r, step: r.mb - rssTrail[i].mb, from: rssTrail[i].at }))
        .sort((a, b) => b.step - a.step)
        .slice(0, 12);
      console.log("      RSS steps (MB, cases sent meanwhile):");
      for (const r of steps)
        console.log(
          `        +${r.step.toFixed(0)} → ${r.mb.toFixed(0)} MB: ${corpus
            .slice(Math.max(0, r.from - CONCURRENCY), r.at)
            .map((c) => `#${c.id} ${c.endpoint}/${c.family}`)
            .join(", ")
            .slice(0, 400)}`,
        );
    }
    const summary = [...statuses].map(
      ([family, s]) => `${family}: ${[...s].map(([status, n]) => `${status}×${n}`).join(" ")}`,
    );
    console.log(
      `      fuzz: ${corpus.length} cases (seed ${SEED}) generated in ${(generateMs / 1000).toFixed(1)} s, sent in ${(fuzzMs / 1000).toFixed(1)} s; ` +
        `/healthz n=${health.length} p50 ${p50.toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${Math.max(...ms).toFixed(1)} ms; ` +
        `RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB (peak ${Math.max(...rssTrail.map((r) => r.mb)).toFixed(0)}, anonymous ${anonAfter.toFixed(0)})\n      ${summary.join("\n      ")}`,
    );
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems`);
    assert.equal(chat.status, 200, `no normal chat after the fuzz: ${chat.text}`);
    assert.ok(
      rssAfter - rssBefore <= RSS_GROWTH_BOUND_MB,
      `RSS grew ${(rssAfter - rssBefore).toFixed(0)} MB (bound ${RSS_GROWTH_BOUND_MB} MB)`,
    );
    const machine = `load average ${loadBefore.toFixed(1)} before, other processes ${foreign === undefined ? "not measured" : `${foreign.toFixed(2)} cores`} on ${cpus().length} cores during the fuzz`;
    if (process.env.HOTPATH_FUZZ_STRICT_LATENCY === "1" || foreign === undefined || foreign <= FOREIGN_CORES_MAX)
      assert.ok(
        p99 <= HEALTHZ_P99_MS,
        `/healthz p99 ${p99.toFixed(1)} ms while fuzzing (limit ${HEALTHZ_P99_MS} ms; ${machine})`,
      );
    else
      console.log(
        `      /healthz p99 ${p99.toFixed(1)} ms (limit ${HEALTHZ_P99_MS} ms) not asserted: ${machine}, more than ${FOREIGN_CORES_MAX} (HOTPATH_FUZZ_STRICT_LATENCY=1 asserts it)`,
      );
  });
});
