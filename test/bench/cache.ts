// `npm run bench -- cache [--long] [--sizes=10000,100000] [--no-http] [--no-write]`: the response cache's lookup latency at 10k and 100k
// entries (1M with --long), without and with embedding time; binary-quantized coarse search vs float brute force;
// the coarse stage's recall; guard precision/recall vs cosine-only on the labelled pairs; HTTP hit vs miss on the
// real daemon. Results go to docs/benchmarks.md under "## cache".
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatCompletion, ChatCompletionRequest } from "../../daemon/api.js";
import { dot, normalize, type Embedder } from "../../daemon/cache/embedder.js";
import { MemoEmbedder } from "../../daemon/cache/embedders/memo.js";
import { UseEmbedder } from "../../daemon/cache/embedders/use.js";
import { findCriticalDifference } from "../../daemon/cache/guards/index.js";
import { requestKey } from "../../daemon/cache/key.js";
import { ResponseCache } from "../../daemon/cache/service.js";
import "../../daemon/cache/store.js";
import { CacheConfigSchema } from "../../daemon/config.js";
import { openDb, type Db } from "../../daemon/db.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ROUTE = "local:bench";

interface Pair {
  a: string;
  b: string;
  label: "hit" | "miss";
  kind: string;
  split?: string;
}

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

function writeSection(name: string, body: string): void {
  const file = join(root, "docs/benchmarks.md");
  mkdirSync(dirname(file), { recursive: true });
  const header =
    "# Benchmarks\n\nEach section is written by `npm run bench -- <name>`; numbers are medians from one run on the machine named in it.\n";
  const text = existsSync(file) ? readFileSync(file, "utf8") : header;
  const section = `## ${name}\n\n${body.trim()}\n`;
  const pattern = new RegExp(`## ${name}\\n[\\s\\S]*?(?=\\n## |$)`);
  writeFileSync(
    file,
    pattern.test(text) ? text.replace(pattern, section.trimEnd() + "\n") : `${text.trimEnd()}\n\n${section}`,
  );
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

/** Filler vectors shaped like real ones: mixtures of real sentence embeddings plus noise (cosine to nearest real ~0.6–0.8). */
function fillerVectors(pool: Float32Array[], n: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const dims = pool[0].length;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = pool[Math.floor(r.next() * pool.length)];
    const b = pool[Math.floor(r.next() * pool.length)];
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) v[d] = 0.7 * a[d] + 0.35 * b[d] + 0.03 * r.gauss();
    out.push(normalize(v));
  }
  return out;
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
  withEmbed: number[];
  floatKnn?: number[];
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
): Promise<LayoutResult> {
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-cache-"));
  const db: Db = openDb(join(dir, "hotpath.db"));
  try {
    const config = CacheConfigSchema.parse({ maxEntries: 10 * size, maxBytes: 1e12 });
    const cache = new ResponseCache({ db, config, embedder: memo });
    const namespaces = layout === "one namespace" ? 1 : 1000;
    const systems = Array.from({ length: namespaces }, (_, i) => `bench system prompt ${i}`);
    const nsOf = systems.map((s) => requestKey(chat(s, "x"), ROUTE).namespace);
    const filler = fillerVectors(pool, size - pairs.length, 1234 + size);
    const started = performance.now();
    const now = Date.now();
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
      expires_ms: now + 3600_000,
      prompt_tokens: 30,
      completion_tokens: 40,
      latency_ms: 400,
      cost_usd: 0,
    });
    for (const [k, s] of systems.entries())
      cache.storage.touchNamespace({ namespace: nsOf[k], label: s, route: ROUTE, model: "bench" }, now);
    const BATCH = 5000;
    for (let i = 0; i < filler.length; i += BATCH) {
      db.transaction(() => {
        for (let j = i; j < Math.min(i + BATCH, filler.length); j++) {
          cache.storage.put(entry(j, nsOf[j % namespaces], `filler ${j}`), { embedder: memo.id, vector: filler[j] });
        }
      })();
    }
    // The labelled pairs' first halves, each in a namespace of its own choosing; their second halves are the queries.
    const aVecs = await memo.embed(pairs.map((p) => p.a));
    const pairNs = pairs.map((_, i) => i % namespaces);
    db.transaction(() => {
      pairs.forEach((p, i) =>
        cache.storage.put(entry(filler.length + i, nsOf[pairNs[i]], p.a), { embedder: memo.id, vector: aVecs[i] }),
      );
    })();
    const insertS = (performance.now() - started) / 1000;
    process.stderr.write(`  ${size} entries (${layout}) inserted in ${f(insertS, 1)} s\n`);

    const queries = pairs.map((p, i) => chat(systems[pairNs[i]], p.b));
    await memo.embed(pairs.map((p) => p.b)); // "without embedding": the query vectors are already known
    for (const q of queries.slice(0, 20)) await lookupOnly(cache, q); // warm caches
    const noEmbed: number[] = [];
    let hits = 0;
    for (let round = 0; round < 3; round++) {
      for (const q of queries) {
        const r = await lookupOnly(cache, q);
        noEmbed.push(r.lookupMs);
        if (round === 0 && r.verdict === "hit") hits++;
      }
    }
    // With embedding: the same lookups through the model (a cache of its own so nothing is memoized).
    const live = new ResponseCache({ db, config, embedder: use });
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

    const result: LayoutResult = { size, layout, noEmbed, withEmbed, hits, lookups: queries.length };
    if (layout === "one namespace") {
      // Does the Hamming top-k contain the float top-1? Compared with an exact scan in JS.
      const all = db.prepare("SELECT id, embedding FROM cache_entries").all() as { id: number; embedding: Buffer }[];
      const vecs = all.map((r) => ({
        id: r.id,
        v: new Float32Array(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength / 4),
      }));
      const qv = await memo.embed(pairs.map((p) => p.b));
      let agree = 0,
        agreeAbove = 0,
        totalAbove = 0;
      const sample = qv.slice(0, 100);
      for (const v of sample) {
        let best = -2,
          bestId = -1;
        for (const e of vecs) {
          const s = dot(v, e.v);
          if (s > best) {
            best = s;
            bestId = e.id;
          }
        }
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
        // sqlite-vec's own float brute force over the same vectors, for comparison with the binary fast path.
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
  const sizesArg = args.find((a) => a.startsWith("--sizes="));
  const sizes = sizesArg
    ? sizesArg.slice(8).split(",").map(Number)
    : long
      ? [10_000, 100_000, 1_000_000]
      : [10_000, 100_000];
  const { pairs } = JSON.parse(readFileSync(join(root, "test/fixtures/cache-pairs.json"), "utf8")) as { pairs: Pair[] };
  const use = new UseEmbedder();
  const memo = new MemoEmbedder(use, 100_000);
  const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  process.stderr.write(`embedding ${texts.length} texts with ${use.id}…\n`);
  const vecs: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 64) vecs.push(...(await memo.embed(texts.slice(i, i + 64))));
  const vecOf = new Map(texts.map((t, i) => [t, vecs[i]]));

  // 1. Guards vs cosine-only on the labelled pairs, dev and held-out splits.
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
  const defaultT = CacheConfigSchema.parse({}).threshold;
  const byKind = kinds.map((k) => {
    const idx = pairs.map((p, i) => [p, i] as const).filter(([p]) => p.kind === k);
    const cos = idx.filter(([, i]) => sims[i] >= defaultT).length;
    const g = idx.filter(([p, i]) => sims[i] >= defaultT && !findCriticalDifference(p.b, p.a)).length;
    return `| ${k} | ${idx.length} | ${cos} | ${g} |`;
  });

  // 2. Lookup latency.
  const results: LayoutResult[] = [];
  for (const size of sizes) {
    for (const layout of ["one namespace", "1000 namespaces"] as const) {
      results.push(await layoutRun(size, layout, vecs, pairs, memo, use, size <= 100_000));
    }
  }
  const http = args.includes("--no-http") ? "(skipped with --no-http)" : await httpRun();

  const lat = results.map(
    (r) =>
      `| ${r.size.toLocaleString("en")} | ${r.layout} | ${f(pct(r.noEmbed, 50))} | ${f(pct(r.noEmbed, 99))} | ${f(pct(r.withEmbed, 50), 1)} | ${f(pct(r.withEmbed, 99), 1)} | ${r.floatKnn ? `${f(pct(r.floatKnn, 50), 1)} / ${f(pct(r.floatKnn, 99), 1)}` : "–"} | ${r.coarseAgreement ? `${r.coarseAgreement.agreeAbove}/${r.coarseAgreement.totalAbove} (all: ${r.coarseAgreement.agree}/${r.coarseAgreement.total})` : "–"} |`,
  );
  const body = [
    `Machine: ${machine()}.`,
    `Embedder ${use.id} (512-d). Default threshold ${defaultT}. Run: \`npm run bench -- cache${long ? " --long" : ""}\`.`,
    "",
    "### Lookup latency (ResponseCache.lookup: admission, exact key, Hamming top-32 in sqlite-vec, float re-score, guards, hit bookkeeping)",
    "",
    `Entries are ${pairs.length} real labelled-pair texts plus filler vectors mixed from real embeddings; queries are the pairs' second halves (${results[0]?.lookups} per round, 3 rounds). "One namespace" puts every entry in the queried partition (worst case); "1000 namespaces" spreads them (the usual case: system prompt, tools and history partition the cache).`,
    "",
    "| entries | layout | p50 ms (no embedding) | p99 ms (no embedding) | p50 ms (with embedding) | p99 ms (with embedding) | sqlite-vec float KNN p50 / p99 ms | coarse top-32 holds the float top-1 (where top-1 ≥ 0.8) |",
    "|---|---|---|---|---|---|---|---|",
    ...lat,
    "",
    "### False-hit guards vs cosine-only (same threshold, same embeddings)",
    "",
    `Labelled set: ${pairs.length} pairs (${pairs.filter((p) => p.label === "hit").length} paraphrases that should hit, ${pairs.filter((p) => p.label === "miss").length} swaps that must not). "False hits" = share of must-not pairs served; precision = served pairs that were right.`,
    "",
    `Development split (${dev.length} pairs; the guards were written against it):`,
    "",
    table(
      policies(
        dev.map(([p]) => p),
        dev.map(([, s]) => s),
        thresholds,
      ),
    ),
    "",
    `Held-out split (${hold.length} pairs written after the guards, never tuned on):`,
    "",
    table(
      policies(
        hold.map(([p]) => p),
        hold.map(([, s]) => s),
        thresholds,
      ),
    ),
    "",
    `Swaps above the default threshold ${defaultT}, by kind (all pairs):`,
    "",
    "| kind | pairs | served by cosine-only | served with guards |",
    "|---|---|---|---|",
    ...byKind,
    "",
    "### HTTP: hit vs miss",
    "",
    http,
  ].join("\n");
  process.stdout.write(body + "\n");
  if (!args.includes("--no-write")) writeSection("cache", body);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await run(process.argv.slice(2));
