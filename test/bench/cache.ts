// `npm run bench -- cache [--long] [--sizes=10000,100000] [--one-namespace] [--no-http] [--no-write] [--keep=DIR]`: the
// response cache's lookup latency at 10k and 100k entries (1M with --long; --keep=DIR builds each database once in DIR
// and reuses it on later runs — a 1M-entry build takes minutes), without and with embedding time; binary-quantized coarse search vs float brute force;
// the coarse stage's recall; guard precision/recall vs cosine-only on the labelled pairs; HTTP hit vs miss on the
// real daemon. Results go to docs/benchmarks.md under "## cache".
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { ChatCompletion, ChatCompletionRequest } from "../../daemon/api.js";
import { dot, normalize, type Embedder } from "../../daemon/cache/embedder.js";
import { MemoEmbedder } from "../../daemon/cache/embedders/memo.js";
import { UseEmbedder } from "../../daemon/cache/embedders/use.js";
import { findCriticalDifference } from "../../daemon/cache/guards/index.js";
import { requestKey } from "../../daemon/cache/key.js";
import { ResponseCache } from "../../daemon/cache/service.js";
import "../../daemon/cache/store.js";
import { CacheConfigSchema } from "../../daemon/config.js";
import { embedAll, ownPairs, PAWS_DIR, pawsPairs, type Pair } from "./cache-corpus.js";
import { generateSwaps } from "./cache-swaps.js";
import { writeSection } from "./_report.js";
import { openDb, type Db } from "../../daemon/db.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ROUTE = "local:bench";

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
}
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

function machine(): string {
  let cpu = cpus()[0]?.model ?? "unknown CPU";
  try {
    cpu = execSync("lscpu | grep 'Model name' | sed 's/.*: *//'", { encoding: "utf8" }).trim() || cpu;
  } catch {
    /* lscpu is optional */
  }
  return `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}; load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`;
}

function chat(system: string, user: string): ChatCompletionRequest {
  return {
    model: "bench",
    temperature: 0,
    messages: [
      { role: "system", content: system },
      { role: "user", content: user },
    ],
  };
}

function answer(text: string): ChatCompletion {
  return {
    id: "x",
    object: "chat.completion",
    created: 0,
    model: "bench",
    system_fingerprint: "hotpath",
    choices: [
      { index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop", logprobs: null },
    ],
    usage: { prompt_tokens: 30, completion_tokens: 40, total_tokens: 70, prompt_tokens_details: { cached_tokens: 0 } },
    timings: {
      queue_ms: 0,
      prompt_n: 30,
      prompt_ms: 10,
      ttft_ms: 12,
      predicted_n: 40,
      predicted_ms: 400,
      predicted_per_second: 100,
    },
  };
}

/** Deterministic pseudo-random numbers, so runs are comparable. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return { next, gauss };
}

/**
 * Filler vectors shaped like real ones: mixtures of real sentence embeddings plus noise (cosine to nearest real
 * ~0.6–0.8). Made one at a time (a million 512-d vectors held at once would be 2 GB).
 */
function fillerVectors(pool: Float32Array[], seed: number): () => Float32Array {
  const r = rng(seed);
  const dims = pool[0].length;
  return () => {
    const a = pool[Math.floor(r.next() * pool.length)];
    const b = pool[Math.floor(r.next() * pool.length)];
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) v[d] = 0.7 * a[d] + 0.35 * b[d] + 0.03 * r.gauss();
    return normalize(v);
  };
}

/**
 * The longest the event loop went without running a timer while `work` was pending (ms), and the largest event-loop
 * delay perf_hooks saw (monitorEventLoopDelay, 1 ms resolution).
 */
async function loopStall<T>(work: Promise<T>): Promise<{ value: T; maxStallMs: number; maxDelayMs: number }> {
  let last = performance.now();
  let max = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const timer = setInterval(() => {
    const t = performance.now();
    max = Math.max(max, t - last - 5);
    last = t;
  }, 5);
  try {
    const value = await work;
    max = Math.max(max, performance.now() - last - 5);
    return { value, maxStallMs: Math.max(0, max), maxDelayMs: delay.max / 1e6 };
  } finally {
    clearInterval(timer);
    delay.disable();
  }
}

/**
 * A lookup whose answer is never stored. A miss makes the request the single-flight leader for its exact key; the
 * daemon's pipeline ends that flight by storing or abandoning, and so must the bench — otherwise the next lookup of the
 * same query waits out `singleFlightWaitMs` (120 s) for an answer that never comes.
 */
async function lookupOnly(cache: ResponseCache, q: ChatCompletionRequest, headers: Record<string, string> = {}) {
  const ctx = { route: ROUTE, headers };
  const r = await cache.lookup(q, ctx);
  if (r.verdict !== "hit") cache.abandon(q, ctx);
  return r;
}

interface LayoutResult {
  size: number;
  layout: string;
  noEmbed: number[];
  /** Process CPU time per lookup: what it costs on a core of its own, whatever else the machine is doing. */
  noEmbedCpu: number[];
  withEmbed: number[];
  floatKnn?: number[];
  /** Filling the bit indexes when a cache opens over the full database (a daemon restart). */
  load?: {
    constructMs: number;
    readyMs: number;
    rows: number;
    inWorker: boolean;
    maxStallMs: number;
    maxDelayMs: number;
    /** Lookups made while the index loaded, and how many of their misses said so. */
    lookupsWhileLoading: number;
    saidLoading: number;
  };
  /** Seconds to insert the entries; undefined when a kept database was reused (--keep). */
  insertS?: number;
  coarseAgreement?: { agree: number; total: number; agreeAbove: number; totalAbove: number };
  hits: number;
  lookups: number;
}

async function layoutRun(
  size: number,
  layout: "one namespace" | "1000 namespaces",
  pool: Float32Array[],
  pairs: Pair[],
  memo: MemoEmbedder,
  use: Embedder,
  withFloatBaseline: boolean,
  keep?: string,
): Promise<LayoutResult> {
  const dir = keep ?? mkdtempSync(join(tmpdir(), "hotpath-bench-cache-"));
  const file = join(dir, keep ? `cache-${size}-${layout.replace(/ /g, "-")}.db` : "hotpath.db");
  const reuse = keep !== undefined && existsSync(`${file}.complete`);
  if (keep && !reuse) {
    mkdirSync(keep, { recursive: true });
    for (const ext of ["", "-wal", "-shm"]) rmSync(file + ext, { force: true });
  }
  const db: Db = openDb(file);
  try {
    const config = CacheConfigSchema.parse({ maxEntries: 10 * size, maxBytes: 1e12 });
    const cache = new ResponseCache({ db, config, embedder: memo });
    const namespaces = layout === "one namespace" ? 1 : 1000;
    const systems = Array.from({ length: namespaces }, (_, i) => `bench system prompt ${i}`);
    const nsOf = systems.map((s) => requestKey(chat(s, "x"), ROUTE).namespace);
    const fillerCount = size - pairs.length;
    const nextFiller = fillerVectors(pool, 1234 + size);
    const started = performance.now();
    const now = Date.now();
    const pairNs = pairs.map((_, i) => i % namespaces);
    const entry = (i: number, ns: string, text: string) => ({
      exact_key: `bench-${i}`,
      namespace: ns,
      kind: "chat" as const,
      route: ROUTE,
      model: "bench",
      workload: "conversation",
      match: "semantic" as const,
      query_text: text,
      request: "{}",
      response: JSON.stringify(answer(`answer ${i}`)),
      created_ms: now,
      expires_ms: now + 30 * 86_400_000, // a kept database stays usable for a month
      prompt_tokens: 30,
      completion_tokens: 40,
      latency_ms: 400,
      cost_usd: 0,
    });
    for (const [k, s] of systems.entries())
      cache.storage.touchNamespace({ namespace: nsOf[k], label: s, route: ROUTE, model: "bench" }, now);
    let insertS: number | undefined;
    if (!reuse) {
      const BATCH = 5000;
      for (let i = 0; i < fillerCount; i += BATCH) {
        db.transaction(() => {
          for (let j = i; j < Math.min(i + BATCH, fillerCount); j++) {
            cache.storage.put(entry(j, nsOf[j % namespaces], `filler ${j}`), {
              embedder: memo.id,
              vector: nextFiller(),
            });
          }
        })();
        if (i % 100_000 === 0 && i) process.stderr.write(`  ${i} inserted\n`);
      }
      // The labelled pairs' first halves, each in a namespace of its own choosing; their second halves are the queries.
      const aVecs = await memo.embed(pairs.map((p) => p.a));
      db.transaction(() => {
        pairs.forEach((p, i) =>
          cache.storage.put(entry(fillerCount + i, nsOf[pairNs[i]], p.a), { embedder: memo.id, vector: aVecs[i] }),
        );
      })();
      insertS = (performance.now() - started) / 1000;
      process.stderr.write(`  ${size} entries (${layout}) inserted in ${f(insertS, 1)} s\n`);
      if (keep) writeFileSync(`${file}.complete`, `${size} entries, ${layout}\n`);
    } else {
      await cache.storage.ready;
      process.stderr.write(`  ${size} entries (${layout}): reusing ${file}\n`);
    }

    const queries = pairs.map((p, i) => chat(systems[pairNs[i]], p.b));
    await memo.embed(pairs.map((p) => p.b)); // "without embedding": the query vectors are already known
    for (const q of queries.slice(0, 20)) await lookupOnly(cache, q); // warm caches
    const noEmbed: number[] = [];
    const noEmbedCpu: number[] = [];
    let hits = 0;
    for (let round = 0; round < 3; round++) {
      for (const q of queries) {
        const c0 = process.cpuUsage();
        const r = await lookupOnly(cache, q);
        const c = process.cpuUsage(c0);
        noEmbedCpu.push((c.user + c.system) / 1000);
        noEmbed.push(r.lookupMs);
        if (round === 0 && r.verdict === "hit") hits++;
      }
    }
    // With embedding: the same lookups through the model (a cache of its own so nothing is memoized). Opening it over
    // the full database is a daemon restart: its bit indexes fill (in a worker above SYNC_LOAD_ROWS) before the lookups.
    // The embedding model starts first (its start-up is not the index load's), then the cache opens.
    await use.embed(["warm up the embedding model"]);
    const c0 = performance.now();
    const live = new ResponseCache({ db, config, embedder: use });
    const constructMs = performance.now() - c0;
    // Lookups keep coming while the index loads (one every 250 ms): they must answer, and a miss must say why.
    let lookupsWhileLoading = 0;
    let saidLoading = 0;
    let loaded = false;
    const asking = (async () => {
      for (let i = 0; !loaded; i++) {
        await new Promise((r) => setTimeout(r, 250));
        if (loaded) break;
        const r = await lookupOnly(live, queries[i % queries.length]);
        lookupsWhileLoading++;
        if (r.verdict === "miss" && /still loading/.test(r.reason)) saidLoading++;
      }
    })();
    const { maxStallMs, maxDelayMs } = await loopStall(live.storage.ready);
    loaded = true;
    await asking;
    const load = {
      constructMs,
      readyMs: performance.now() - c0,
      rows: live.storage.loadStats?.rows ?? 0,
      inWorker: live.storage.loadStats?.inWorker ?? false,
      maxStallMs,
      maxDelayMs,
      lookupsWhileLoading,
      saidLoading,
    };
    process.stderr.write(`  index load on open: ${JSON.stringify(load)}\n`);
    const withEmbed: number[] = [];
    for (const q of queries.slice(0, 60))
      withEmbed.push(
        (
          await lookupOnly(live, {
            ...q,
            messages: [q.messages[0], { role: "user", content: `${(q.messages[1] as { content: string }).content} ` }],
          })
        ).lookupMs,
      );

    const result: LayoutResult = {
      size,
      layout,
      noEmbed,
      noEmbedCpu,
      withEmbed,
      hits,
      lookups: queries.length,
      load,
      insertS,
    };
    if (layout === "one namespace") {
      // Does the Hamming top-k contain the float top-1? Compared with an exact scan in JS (one pass over the rows).
      const qv = await memo.embed(pairs.map((p) => p.b));
      let agree = 0,
        agreeAbove = 0,
        totalAbove = 0;
      const sample = qv.slice(0, size > 100_000 ? 30 : 100); // a JS float scan of every row per query: minutes at 1M
      const bestSim = sample.map(() => -2);
      const bestIds = sample.map(() => -1);
      const rows = db.prepare("SELECT id, embedding FROM cache_entries").iterate() as IterableIterator<{
        id: number;
        embedding: Buffer;
      }>;
      for (const r of rows) {
        const e = new Float32Array(Uint8Array.prototype.slice.call(r.embedding).buffer);
        sample.forEach((v, k) => {
          const s = dot(v, e);
          if (s > bestSim[k]) {
            bestSim[k] = s;
            bestIds[k] = r.id;
          }
        });
      }
      for (const [k, v] of sample.entries()) {
        const best = bestSim[k];
        const bestId = bestIds[k];
        const got = cache.storage.nearest(memo.id, nsOf[0], v, config.coarseCandidates, Date.now(), 1)[0];
        const ok = got?.id === bestId;
        if (ok) agree++;
        if (best >= 0.8) {
          totalAbove++;
          if (ok) agreeAbove++;
        }
      }
      result.coarseAgreement = { agree, total: sample.length, agreeAbove, totalAbove };
      if (withFloatBaseline) {
        const vecs = (
          db.prepare("SELECT id, embedding FROM cache_entries").all() as { id: number; embedding: Buffer }[]
        ).map((r) => ({ id: r.id, v: new Float32Array(Uint8Array.prototype.slice.call(r.embedding).buffer) }));
        // sqlite-vec's own float brute force over the same vectors, for comparison with the binary fast path.
        db.exec("DROP TABLE IF EXISTS bench_float");
        db.exec(
          `CREATE VIRTUAL TABLE bench_float USING vec0(namespace TEXT PARTITION KEY, embedding float[${pool[0].length}] distance_metric=cosine)`,
        );
        const ins = db.prepare("INSERT INTO bench_float(rowid, namespace, embedding) VALUES (?, ?, ?)");
        db.transaction(() => {
          for (const e of vecs) ins.run(BigInt(e.id), nsOf[0], Buffer.from(e.v.buffer, e.v.byteOffset, e.v.byteLength));
        })();
        const knn = db.prepare(
          "SELECT rowid, distance FROM bench_float WHERE embedding MATCH ? AND k = 3 AND namespace = ?",
        );
        const floatKnn: number[] = [];
        for (const v of qv.slice(0, 60)) {
          const t0 = performance.now();
          knn.all(Buffer.from(v.buffer, v.byteOffset, v.byteLength), nsOf[0]);
          floatKnn.push(performance.now() - t0);
        }
        result.floatKnn = floatKnn;
      }
    }
    return result;
  } finally {
    db.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Vectors computed up front (remembered on disk by embedAll); anything else goes to the model. */
export class KnownVectors implements Embedder {
  constructor(
    private readonly inner: Embedder,
    private readonly known: Map<string, Float32Array>,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  dimensions(): Promise<number> {
    return this.inner.dimensions();
  }
  async embed(texts: string[]): Promise<Float32Array[]> {
    const missing = texts.filter((t) => !this.known.has(t));
    if (missing.length) (await this.inner.embed(missing)).forEach((v, i) => this.known.set(missing[i], v));
    return texts.map((t) => this.known.get(t)!);
  }
}

interface Served {
  recall: number;
  falseHit: number;
  hits: number;
  misses: number;
  /** Pairs counted: paraphrases (label hit) and different-meaning pairs (label miss). */
  paraphrases: number;
  different: number;
}

interface QualityRow {
  set: string;
  defences: Served;
  cosine: Served;
  /** Median ms the defended lookup took per pair (embedding excluded: vectors are known). */
  lookupP50: number;
}

/**
 * Each pair through the real ResponseCache: side a is stored (its own namespace, so pairs never meet), side b is looked
 * up — once by a cache with the guards and structural defences, once by one without (cosine only), at the same
 * threshold, on the same database and vectors.
 */
export async function servedRun(
  name: string,
  pairs: Pair[],
  embedder: Embedder,
  threshold: number,
): Promise<QualityRow> {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-cache-quality-"));
  // One database each: a cache's similarity index holds what that cache stored (it fills from the database when the
  // cache opens), so a second cache on the same database would not see entries stored after it opened.
  const db: Db = openDb(join(dir, "hotpath.db"));
  const cosineDb: Db = openDb(join(dir, "cosine.db"));
  try {
    const config = CacheConfigSchema.parse({ threshold, maxEntries: 1e7, maxBytes: 1e12 });
    const defended = new ResponseCache({ db, config, embedder });
    const cosine = new ResponseCache({ db: cosineDb, config: { ...config, guards: false }, embedder });
    const ctx = { route: ROUTE, headers: {} };
    const times: number[] = [];
    const tally = { defences: { tp: 0, fp: 0 }, cosine: { tp: 0, fp: 0 } };
    for (const [i, p] of pairs.entries()) {
      const system = `${name} pair ${i}`;
      for (const c of [defended, cosine]) {
        const stored = await c.store(chat(system, p.a), ctx, answer(`answer ${i}`), { latencyMs: 400 });
        if (!stored.stored) throw new Error(`pair ${i} was not stored: ${stored.reason}`);
      }
      const r = await lookupOnly(defended, chat(system, p.b));
      times.push(r.lookupMs);
      const c = await lookupOnly(cosine, chat(system, p.b));
      for (const [k, v] of [
        ["defences", r],
        ["cosine", c],
      ] as const) {
        if (v.verdict !== "hit") continue;
        if (p.label === "hit") tally[k].tp++;
        else tally[k].fp++;
      }
      if (i % 500 === 499) process.stderr.write(`  ${name}: ${i + 1}/${pairs.length}\n`);
    }
    const pos = pairs.filter((p) => p.label === "hit").length;
    const neg = pairs.length - pos;
    const served = (t: { tp: number; fp: number }): Served => ({
      recall: t.tp / pos,
      falseHit: t.fp / neg,
      hits: t.tp,
      misses: t.fp,
      paraphrases: pos,
      different: neg,
    });
    return { set: name, defences: served(tally.defences), cosine: served(tally.cosine), lookupP50: pct(times, 50) };
  } finally {
    db.close();
    cosineDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PolicyRow {
  threshold: number;
  guards: { recall: number; falseHit: number; precision: number };
  cosine: { recall: number; falseHit: number; precision: number };
}

function policies(pairs: Pair[], sims: number[], thresholds: number[]): PolicyRow[] {
  const findings = pairs.map((p) => findCriticalDifference(p.b, p.a));
  return thresholds.map((t) => {
    const score = (useGuards: boolean) => {
      let tp = 0,
        fp = 0;
      const pos = pairs.filter((p) => p.label === "hit").length;
      const neg = pairs.length - pos;
      pairs.forEach((p, i) => {
        const hit = sims[i] >= t && (!useGuards || !findings[i]);
        if (hit && p.label === "hit") tp++;
        if (hit && p.label === "miss") fp++;
      });
      return { recall: tp / pos, falseHit: fp / neg, precision: tp + fp ? tp / (tp + fp) : 1 };
    };
    return { threshold: t, guards: score(true), cosine: score(false) };
  });
}

async function httpRun(): Promise<string> {
  const { startDaemon } = await import("../fixtures/daemon.js");
  const { chatModelPath } = await import("../fixtures/models.js");
  if (!existsSync(join(root, "dist/daemon/main.js")))
    return "(skipped: dist/daemon/main.js not built; `npm run bench` builds it)";
  const daemon = await startDaemon({ args: ["--model", `chat=${chatModelPath()}`], waitForModels: ["chat"] });
  try {
    const post = async (content: string, system = "You tell short stories.") => {
      const t0 = performance.now();
      const res = await daemon.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "chat",
          temperature: 0,
          max_tokens: 48,
          messages: [
            { role: "system", content: system },
            { role: "user", content },
          ],
        }),
      });
      await res.json();
      return { ms: performance.now() - t0, verdict: res.headers.get("x-hotpath-cache") };
    };
    await post("warm up the embedder and the model");
    const topics = [
      "a dog",
      "a cat",
      "a bird",
      "a fish",
      "a frog",
      "a horse",
      "a mouse",
      "a tiger",
      "a bear",
      "a lion",
      "an owl",
      "a duck",
      "a goat",
      "a wolf",
      "a fox",
      "a deer",
      "a seal",
      "a crab",
      "a bee",
      "an ant",
    ];
    const miss: number[] = [],
      exact: number[] = [],
      semantic: number[] = [];
    for (const t of topics) {
      const m = await post(`Tell me a story about ${t}.`);
      if (m.verdict === "miss") miss.push(m.ms);
    }
    for (const t of topics) {
      const h = await post(`Tell me a story about ${t}.`);
      if (h.verdict === "hit") exact.push(h.ms);
      const s = await post(`Can you tell me a story about ${t}?`);
      if (s.verdict === "hit") semantic.push(s.ms);
    }
    const med = (xs: number[]) => pct(xs, 50);
    return [
      `Real daemon (\`dist/daemon/main.js\`), model stories260K (${chatModelPath().includes("shared") ? "shared real weights" : "generated"}), max_tokens 48, temperature 0, non-streamed, fetch on loopback:`,
      "",
      "| request | n | p50 ms | p99 ms |",
      "|---|---|---|---|",
      `| miss (generate + embed + store) | ${miss.length} | ${f(med(miss), 1)} | ${f(pct(miss, 99), 1)} |`,
      `| exact hit | ${exact.length} | ${f(med(exact), 1)} | ${f(pct(exact, 99), 1)} |`,
      `| semantic hit (paraphrase; embedding included) | ${semantic.length} | ${f(med(semantic), 1)} | ${f(pct(semantic, 99), 1)} |`,
      "",
      `Exact hit ${f(med(miss) / med(exact), 1)}× faster than a miss at the median; a semantic hit pays the ~${f(med(semantic) - med(exact), 0)} ms embedding.` +
        " stories260K generates very fast; with a real 7B model a miss costs seconds and the ratio grows accordingly.",
    ].join("\n");
  } finally {
    await daemon.dispose();
  }
}

export async function run(args: string[]): Promise<void> {
  const long = args.includes("--long");
  const keep = args.find((a) => a.startsWith("--keep="))?.slice(7);
  const only = args.find((a) => a.startsWith("--only="))?.slice(7);
  const doQuality = !only || only === "quality";
  const doLatency = !only || only === "latency";
  const sizesArg = args.find((a) => a.startsWith("--sizes="));
  const sizes = sizesArg
    ? sizesArg.slice(8).split(",").map(Number)
    : long
      ? [10_000, 100_000, 1_000_000]
      : [10_000, 100_000];
  // --one-namespace: only the worst-case layout (at 1M each layout inserts for minutes on a 2-core machine).
  const layouts = args.includes("--one-namespace")
    ? (["one namespace"] as const)
    : (["one namespace", "1000 namespaces"] as const);
  const pairs = ownPairs();
  const paws = doQuality ? pawsPairs() : undefined;
  const use = new UseEmbedder();
  const memo = new MemoEmbedder(use, 100_000);
  const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const pawsTexts = paws ? [...paws.dev, ...paws.heldout].flatMap((p) => [p.a, p.b]) : [];
  process.stderr.write(`embedding ${texts.length} + ${pawsTexts.length} texts with ${use.id} (remembered on disk)…\n`);
  const known = await embedAll(use, [...texts, ...pawsTexts], (m) => process.stderr.write(m));
  const vecs = await memo.embed(texts); // latency runs embed through the memo: the query vectors are then known
  const vecOf = new Map(texts.map((t, i) => [t, vecs[i]]));
  const defaultT = CacheConfigSchema.parse({}).threshold;
  const out: string[] = [
    `Machine: ${machine()}.`,
    `Embedder ${use.id} (512-d). Default threshold ${defaultT}. Run: \`npm run bench -- cache${long ? " --long" : ""}${only ? ` --only=${only}` : ""}\`.`,
  ];

  if (doQuality) {
    // 1. Served through ResponseCache with and without the defences, at the default threshold, on each labelled set.
    const embedder = new KnownVectors(use, known);
    const rows: QualityRow[] = [await servedRun("own pairs", pairs, embedder, defaultT)];
    if (paws) {
      rows.push(await servedRun("PAWS dev odd ids", paws.dev, embedder, defaultT));
      rows.push(await servedRun("PAWS dev even ids", paws.heldout, embedder, defaultT));
    }
    const label: Record<string, string> = {
      "own pairs": `project's own pairs (\`test/fixtures/cache-pairs.json\`; the guards were written against 276 of them)`,
      "PAWS dev odd ids": "PAWS-Wiki dev, odd ids — **tuning half** (defences developed on it)",
      "PAWS dev even ids": "PAWS-Wiki dev, even ids — **held-out (untouched)**: never looked at or tuned on",
    };
    const target: Record<string, string> = {
      "own pairs": "false hits ≤ 1%, recall ≥ 70%",
      "PAWS dev odd ids": "(tuning data: no target)",
      "PAWS dev even ids": "false hits ≤ 1%, recall ≥ 30%",
    };
    const met = (r: QualityRow) =>
      r.set === "PAWS dev odd ids"
        ? "–"
        : r.defences.falseHit <= 0.01 && r.defences.recall >= (r.set === "own pairs" ? 0.7 : 0.3)
          ? "met"
          : "**missed**";
    const pc = (x: number) => `${f(x * 100, 1)}%`;
    out.push(
      "",
      "### False hits and recall: defences vs cosine-only, served through ResponseCache",
      "",
      `Each pair: side a stored in a namespace of its own, side b looked up by the real \`ResponseCache\` (exactness ladder, KNN, guards and structural defences), then by one with \`guards: false\` (cosine only; its own database, the same entries) — same vectors, same threshold ${defaultT}. "False hits" = share of different-meaning pairs served; "recall" = share of paraphrases served. PAWS (Google LLC, ../shared/data/paws-wiki-dev, sentences detokenised) was divided once, up front, in \`test/bench/cache-corpus.ts\`: odd ids to develop and tune on, even ids held out and only reported.`,
      "",
      "| labelled set | paraphrases / different | defences: recall | defences: false hits | cosine-only: recall | cosine-only: false hits | target | defended lookup p50 ms |",
      "|---|---|---|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${label[r.set]} | ${r.defences.paraphrases} / ${r.defences.different} | ${pc(r.defences.recall)} (${r.defences.hits}) | ${f(r.defences.falseHit * 100, 2)}% (${r.defences.misses}) | ${pc(r.cosine.recall)} (${r.cosine.hits}) | ${pc(r.cosine.falseHit)} (${r.cosine.misses}) | ${target[r.set]}: ${met(r)} | ${f(r.lookupP50, 1)} |`,
      ),
    );
    if (!paws) out.push("", `(PAWS rows skipped: ${PAWS_DIR} is absent.)`);

    // 1b. Generated word swaps of sentences from the tuning half and the own pairs (never labelled): how many the
    // defences let through. Computed directly (a swap keeps every word, so cosine alone serves nearly all of them).
    if (paws) {
      const swaps = generateSwaps(new Set([...paws.dev.map((p) => p.a), ...pairs.map((p) => p.a)]));
      const kinds = [...new Set(swaps.map((s) => s.kind))];
      out.push(
        "",
        "### Generated word swaps (test cases the defences were not designed on)",
        "",
        `Two names, nouns, verbs, adjectives, numbers or prepositions of one sentence exchanged (PAWS's construction; coordinated words left alone; \`test/bench/cache-swaps.ts\`), on ${swaps.length} sentences from the PAWS tuning half and the own pairs; swapped prepositions mostly give ungrammatical text. Served = no defence refuses it.`,
        "",
        "| swapped | pairs | served by the defences |",
        "|---|---|---|",
        ...kinds.map((k) => {
          const of = swaps.filter((s) => s.kind === k);
          const served = of.filter((s) => !findCriticalDifference(s.b, s.a)).length;
          return `| ${k} | ${of.length} | ${f((100 * served) / of.length, 1)}% (${served}) |`;
        }),
      );
    }

    // 2. The project's own pairs over a range of thresholds (guard findings + cosine, computed directly).
    const sims = pairs.map((p) => dot(vecOf.get(p.a)!, vecOf.get(p.b)!));
    const thresholds = [0.8, 0.85, 0.88, 0.9, 0.92, 0.95];
    const dev = pairs.map((p, i) => [p, sims[i]] as const).filter(([p]) => p.split !== "holdout");
    const hold = pairs.map((p, i) => [p, sims[i]] as const).filter(([p]) => p.split === "holdout");
    const table = (rows: PolicyRow[]) =>
      [
        "| threshold | guards: recall | guards: false hits | guards: precision | cosine-only: recall | cosine-only: false hits | cosine-only: precision |",
        "|---|---|---|---|---|---|---|",
        ...rows.map(
          (r) =>
            `| ${r.threshold} | ${f(r.guards.recall * 100, 1)}% | ${f(r.guards.falseHit * 100, 1)}% | ${f(r.guards.precision * 100, 1)}% | ${f(r.cosine.recall * 100, 1)}% | ${f(r.cosine.falseHit * 100, 1)}% | ${f(r.cosine.precision * 100, 1)}% |`,
        ),
      ].join("\n");
    const kinds = [...new Set(pairs.filter((p) => p.label === "miss").map((p) => p.kind))];
    const byKind = kinds.map((k) => {
      const idx = pairs.map((p, i) => [p, i] as const).filter(([p]) => p.kind === k);
      const cos = idx.filter(([, i]) => sims[i] >= defaultT).length;
      const g = idx.filter(([p, i]) => sims[i] >= defaultT && !findCriticalDifference(p.b, p.a)).length;
      return `| ${k} | ${idx.length} | ${cos} | ${g} |`;
    });
    out.push(
      "",
      "### The project's own pairs by threshold",
      "",
      `${pairs.length} pairs (${pairs.filter((p) => p.label === "hit").length} paraphrases that should hit, ${pairs.filter((p) => p.label === "miss").length} different-meaning pairs that must not). Precision = served pairs that were right.`,
      "",
      `Development split (${dev.length} pairs; the guards were written against it):`,
      "",
      table(
        policies(
          dev.map(([p]) => p),
          dev.map(([, x]) => x),
          thresholds,
        ),
      ),
      "",
      `Held-out split (${hold.length} pairs written after the first guards):`,
      "",
      table(
        policies(
          hold.map(([p]) => p),
          hold.map(([, x]) => x),
          thresholds,
        ),
      ),
      "",
      `Different-meaning pairs above the default threshold ${defaultT}, by kind:`,
      "",
      "| kind | pairs | served by cosine-only | served with guards |",
      "|---|---|---|---|",
      ...byKind,
    );
  }

  if (doLatency) {
    // 3. Lookup latency.
    const results: LayoutResult[] = [];
    for (const size of sizes) {
      for (const layout of layouts) {
        results.push(await layoutRun(size, layout, vecs, pairs, memo, use, size <= 100_000, keep));
      }
    }
    const http = args.includes("--no-http") ? "(skipped with --no-http)" : await httpRun();
    const lat = results.map(
      (r) =>
        `| ${r.size.toLocaleString("en")} | ${r.layout} | ${f(pct(r.noEmbed, 50))} | ${f(pct(r.noEmbed, 99))} | ${f(pct(r.noEmbedCpu, 50))} / ${f(pct(r.noEmbedCpu, 99))} | ${f(pct(r.withEmbed, 50), 1)} | ${f(pct(r.withEmbed, 99), 1)} | ${r.floatKnn ? `${f(pct(r.floatKnn, 50), 1)} / ${f(pct(r.floatKnn, 99), 1)}` : "–"} | ${r.coarseAgreement ? `${r.coarseAgreement.agreeAbove}/${r.coarseAgreement.totalAbove} (all: ${r.coarseAgreement.agree}/${r.coarseAgreement.total})` : "–"} |`,
    );
    out.push(
      "",
      "### Lookup latency (ResponseCache.lookup: admission, exact and normalised key, in-memory Hamming prefilter, float re-score, guards, hit bookkeeping)",
      "",
      `Entries are ${pairs.length} real labelled-pair texts plus filler vectors mixed from real embeddings; queries are the pairs' second halves (${results[0]?.lookups} per round, 3 rounds). "One namespace" puts every entry in the queried partition (worst case); "1000 namespaces" spreads them (the usual case: system prompt, tools and history partition the cache). Targets: p99 without embedding ≤ 10 ms at 100k in one namespace, ≤ 25 ms at 1M (\`--long\`). "CPU ms" is the process's CPU time per lookup (\`process.cpuUsage\`): on a shared machine wall time includes waiting for a core, CPU time is what the lookup itself costs.`,
      "",
      "| entries | layout | p50 ms (no embedding) | p99 ms (no embedding) | CPU ms p50 / p99 (no embedding) | p50 ms (with embedding) | p99 ms (with embedding) | sqlite-vec float KNN p50 / p99 ms | coarse top-k holds the float top-1 (where top-1 ≥ 0.8) |",
      "|---|---|---|---|---|---|---|---|---|",
      ...lat,
      "",
      'Filling the bit indexes when a cache opens over the full database (a daemon restart; `CacheStore.ready`). Up to 10,000 stored vectors are read in place at construction, more by a worker thread (`daemon/cache/index-load.ts`) while lookups search what has arrived; no request builds an index. "Longest event-loop stall" is the longest gap between 5 ms timer ticks while the load ran; a lookup is made every 250 ms meanwhile (its own time is in the stall).',
      "",
      "| entries | layout | insert s | construct ms | ready ms | vectors read | in a worker | longest event-loop stall ms | max event-loop delay ms (perf_hooks) | lookups while loading / misses saying so |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...results.map(
        (r) =>
          `| ${r.size.toLocaleString("en")} | ${r.layout} | ${r.insertS === undefined ? "reused" : f(r.insertS, 1)} | ${f(r.load?.constructMs ?? NaN, 1)} | ${f(r.load?.readyMs ?? NaN, 0)} | ${r.load?.rows ?? "–"} | ${r.load?.inWorker ? "yes" : "no"} | ${f(r.load?.maxStallMs ?? NaN, 1)} | ${f(r.load?.maxDelayMs ?? NaN, 1)} | ${r.load ? `${r.load.lookupsWhileLoading} / ${r.load.saidLoading}` : "–"} |`,
      ),
      "",
      "### HTTP: hit vs miss",
      "",
      http,
    );
  }
  const body = out.join("\n");
  process.stdout.write(body + "\n");
  if (!args.includes("--no-write")) writeSection(only ? `cache (${only})` : "cache", body);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await run(process.argv.slice(2));
