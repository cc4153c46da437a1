// `npm run bench -- router [--requests N]`: what routing through Hotpath adds to a cloud call. A fake OpenAI
// upstream (its own process, answers at once) is called by one client on keep-alive connections, interleaved request
// by request (in an order shuffled each round, so no path mostly follows the same one) so load drifts hit all alike:
// directly; through the Router in-process (router + provider); through the daemon's HTTP stack run in-process (server,
// auth, router, span write: CPU cost without scheduling); through the real daemon process (what a client sees: one
// more process hop); through a minimal Node proxy process (the floor: what the hop alone costs here); and through the
// Portkey gateway (peer). Non-streamed first, then streamed, so each proxy process's CPU time per non-streamed request
// can be read from /proc (load-robust, unlike latency). Non-streamed: full-response latency p50/p99. Streamed: time
// to the first body byte. Added = path minus direct.
// Same-run A/B: `--old-rev REV` (built from git like `bench ab`) or `--old <main.js>` adds another build's daemon as one
// more interleaved path, so a change is judged against its base under the same load; `--paths direct,daemon,old,floor`
// runs only those paths (a shorter run). Either writes the "router (A/B)" section instead of "router". `--large KB`
// sends a coding agent's late-session turn (~KB of code-heavy messages, 20 tools) instead of a short prompt, and writes
// "router (large request)". `--wire messages|responses` sends Claude Code's Anthropic Messages or Codex's Responses
// requests through their pass-through paths instead of Chat Completions (see _router-wires.ts); its section's name
// says which.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, RouterConfigSchema } from "../../daemon/config.js";
import { Router } from "../../daemon/router/router.js";
import { startDaemon as startInProcess } from "../../daemon/server/daemon.js";
import { startDaemon } from "../fixtures/daemon.js";
import { startUpstreamProcess } from "../fixtures/upstreams/process.js";
import { prng } from "../../daemon/audit/stats.js";
import { buildRevision } from "./ab.js";
import { fmt, machineDescription, median, percentile, writeSection } from "./_report.js";
import { BENCH_KEY, BENCH_KEY_ENV, wireNamed, type Conversation } from "./_router-wires.js";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** POSTs JSON; resolves with [ms to first body byte, ms to end]. */
function post(url: string, body: string, headers: Record<string, string>): Promise<[number, number]> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        let first = 0;
        const failed: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          if (!first) first = performance.now() - t0;
          if (res.statusCode !== 200) failed.push(chunk);
        });
        res.on("end", () =>
          res.statusCode === 200
            ? resolve([first, performance.now() - t0])
            : reject(new Error(`${url} answered ${res.statusCode}: ${Buffer.concat(failed).toString().slice(0, 500)}`)),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A free loopback port (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The Portkey gateway (@portkey-ai/gateway, pinned devDependency) as a peer: its start-server has --port but no host
 * option and listens on every interface, so it runs with a preload that binds its listen() to 127.0.0.1; the bound
 * address it reports is checked, and anything else stops it before a request is sent.
 */
async function startPortkey(): Promise<{ url: string; proc: ChildProcess } | { skipped: string }> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve("@portkey-ai/gateway/build/start-server.js");
  } catch {
    return { skipped: "@portkey-ai/gateway is not installed (npm install)" };
  }
  const port = await freePort();
  const preload = new URL("./loopback-preload.mjs", import.meta.url).href;
  // Its streamed path needs this on Node (see the file); its non-streamed path is untouched.
  const streamHeaders = new URL("./stream-headers-preload.mjs", import.meta.url).href;
  const proc = spawn(
    process.execPath,
    ["--import", preload, "--import", streamHeaders, entry, `--port=${port}`, "--headless"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  process.once("exit", () => proc.kill("SIGTERM"));
  const bound = await new Promise<string | undefined>((resolve) => {
    let err = "";
    const timer = setTimeout(() => resolve(undefined), 30_000);
    proc.stderr!.on("data", (d) => {
      err += d;
      const m = /loopback-preload: listening (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once("exit", () => resolve(undefined));
  });
  if (bound !== `127.0.0.1:${port}`) {
    proc.kill("SIGTERM");
    return {
      skipped: `the Portkey gateway did not bind to 127.0.0.1:${port} (${bound ?? "no listening address reported"}), so it was not run`,
    };
  }
  return { url: `http://${bound}`, proc };
}

/** A process's CPU time so far (user + system, all threads), ms; undefined where /proc cannot tell (not Linux). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** "median ms (95% CI low to high)" of per-round differences. */
function medianWithInterval(d: number[]): string {
  if (!d.length) return "n/a";
  // A 95% interval for the median from order statistics (normal approximation of Binomial(n, ½): n is 100s).
  const sorted = [...d].sort((x, y) => x - y);
  const half = 0.98 * Math.sqrt(sorted.length);
  const low = sorted[Math.max(0, Math.floor(sorted.length / 2 - half))];
  const high = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length / 2 + half))];
  return `${fmt(median(d), 3)} ms (95% CI ${fmt(low, 3)} to ${fmt(high, 3)})`;
}

/** A process's resident memory now, MB; undefined where /proc cannot tell (not Linux). */
function processRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux build Node supports. */
const CLOCK_TICKS = 100;
/** Warm-up rounds reported as "cold": a process's first requests, before V8 has compiled its per-request code. */
const COLD_ROUNDS = 100;
/** Warm-up rounds of the peer's streamed pass (its process is warm from the non-streamed rounds by then). */
const PEER_STREAM_WARMUP = 100;
/**
 * The warm-up's rounds in windows, each window's added p50 reported per path: how soon a fresh process serves at its
 * warm speed (a developer's daemon serves hundreds of requests a day, not the thousands the warm columns wait for).
 */
const WARMUP_WINDOWS = [0, 100, 250, 500, 1000, 1500, 2500];

/** A copy of `items` in a random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The floor proxy (router-floor-proxy.mjs) in its own process. */
async function startFloorProxy(upstreamUrl: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [new URL("./router-floor-proxy.mjs", import.meta.url).pathname, upstreamUrl], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.once("exit", () => proc.kill("SIGTERM"));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once("exit", (code) => reject(new Error(`the floor proxy exited with ${code}`)));
  });
  return { url, proc };
}

interface Series {
  full: number[];
  ttfb: number[];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: "string", default: "400" },
      warmup: { type: "string", default: "2500" },
      old: { type: "string" },
      "old-rev": { type: "string" },
      paths: { type: "string" },
      // A Claude Code-sized request: this many KB of conversation (code with quotes and newlines) and 20 tools.
      large: { type: "string" },
      // The fake upstream takes this long before each answer, as a model does before its first token (default 0).
      "upstream-ms": { type: "string", default: "0" },
      // The API the client speaks: chat (Chat Completions), messages (Anthropic, Claude Code's), responses (Codex's).
      wire: { type: "string", default: "chat" },
    },
  });
  const wire = wireNamed(values.wire!);
  if (values.old && values["old-rev"]) throw new Error("give --old or --old-rev, not both");
  const oldBuild = values.old
    ? { label: values.old, bin: values.old }
    : values["old-rev"]
      ? (() => {
          const built = buildRevision(values["old-rev"]!);
          return { label: `${values["old-rev"]} (${built.commit})`, bin: built.bin };
        })()
      : undefined;
  const chosen = values.paths?.split(",").map((p) => p.trim());
  const known = ["direct", "router", "inproc", "daemon", "old", "floor", "portkey"];
  for (const p of chosen ?? []) if (!known.includes(p)) throw new Error(`--paths: no path "${p}" (${known})`);
  // The Router in-process takes Chat Completions; another wire's request goes through the daemon's HTTP routes.
  if (wire.name !== "chat" && chosen?.includes("router"))
    throw new Error(`--paths: "router" (the Router in-process) speaks Chat Completions only, not --wire ${wire.name}`);
  if (chosen && !chosen.includes("direct"))
    throw new Error("--paths must include direct (every path is read against it)");
  const n = Number(values.requests);
  // Every path is measured warm: V8 compiles a process's per-request code over its first ~2,500 requests (daemon CPU
  // per request fell from 3.6 to 1.2 ms over them here, the floor proxy's from 1.6 to 0.3), and a daemon serves far
  // more than that. The first COLD_ROUNDS of the warm-up are reported on their own (a freshly started process).
  const warmup = Number(values.warmup);
  const upstreamMs = Number(values["upstream-ms"]);
  if (!(upstreamMs >= 0)) throw new Error("--upstream-ms: a number of milliseconds, 0 or more");
  const upstream = await startUpstreamProcess(wire.flavor, upstreamMs);
  const fake = { baseURL: `${upstream.url}/v1` };
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-router-"));
  const config = join(dir, "config.yaml");
  writeFileSync(config, `router:\n  providers:\n    fake: ${wire.provider(upstream.url)}\n`);
  // The provider's key (where its config names one), for the daemons started here and the one in this process.
  process.env[BENCH_KEY_ENV] = BENCH_KEY;
  // Past this point every process started is stopped, also when a later start fails (a loaded machine is slow).
  const daemon = await startDaemon({ dataDir: join(dir, "data"), args: ["--config", config] });
  const oldDaemon = oldBuild
    ? await startDaemon({ bin: oldBuild.bin, dataDir: join(dir, "old"), args: ["--config", config] })
    : undefined;
  const local = await startInProcess(
    loadConfig({ flags: { config, dataDir: join(dir, "inproc"), port: 0, logLevel: "error" }, env: {} }),
    "bench",
  );
  const localToken = readFileSync(local.tokenFile, "utf8").trim();
  const router = new Router({
    config: RouterConfigSchema.parse({ providers: { fake: { type: "openai-compatible", baseURL: fake.baseURL } } }),
  });
  const portkey: Awaited<ReturnType<typeof startPortkey>> =
    chosen && !chosen.includes("portkey") ? { skipped: "not in --paths" } : await startPortkey();
  if ("skipped" in portkey) console.log(`Portkey: ${portkey.skipped}`);
  const floor = await startFloorProxy(upstream.url);
  // Portkey's documented way to reach any server of a provider's API: the provider + a custom host.
  const portkeyHeaders = wire.portkeyHeaders(upstream.url);

  const large = values.large === undefined ? undefined : largeRequest(Number(values.large));
  const conversation: Conversation = large ?? { messages: [{ role: "user", content: "Say something short." }] };
  const messages = conversation.messages;
  const directBody = (stream: boolean) => wire.body(conversation, { model: "bench", stream, askUsage: true });
  const viaBody = (stream: boolean) => wire.body(conversation, { model: "fake:bench", stream });
  const directUrl = `${upstream.url}${wire.path}`;
  const daemonUrl = `${daemon.url}${wire.path}`;
  const auth = { authorization: `Bearer ${daemon.token}` };

  async function inProcess(stream: boolean): Promise<[number, number]> {
    const t0 = performance.now();
    const r = await router.chat(
      { model: "fake:bench", messages, stream },
      { signal: new AbortController().signal, priority: "interactive", requestId: "bench" },
    );
    const first = performance.now() - t0; // the router resolves at the first event
    for await (const _e of r.events) {
      /* drain */
    }
    return [first, performance.now() - t0];
  }

  const series = () => ({ full: [], ttfb: [] }) as Series;
  /** Non-streamed full latency of every warm-up round, per path (the "cold" column: its first COLD_ROUNDS; the warm-up table). */
  const warming: Partial<Record<string, number[]>> = {};
  const results = {
    direct: { plain: series(), stream: series() },
    router: { plain: series(), stream: series() },
    inproc: { plain: series(), stream: series() },
    daemon: { plain: series(), stream: series() },
    old: { plain: series(), stream: series() },
    floor: { plain: series(), stream: series() },
    portkey: { plain: series(), stream: series() },
  };
  /** The direct requests of the peer's streamed pass: its streamed baseline. */
  const peerDirect = series();
  type Path = keyof typeof results;
  // CPU time of this process per non-streamed request (client, plus the router or the whole HTTP stack when they run
  // here): unlike latency it barely moves with the machine's load, so it shows the stack's own cost on a busy machine.
  const cpu = { direct: [] as number[], router: [] as number[], inproc: [] as number[] };
  const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
  // The proxy processes' own CPU time over the measured non-streamed rounds (every thread: GC and compilers included).
  const procs = {
    daemon: daemon.process.pid,
    old: oldDaemon?.process.pid,
    floor: floor.proc.pid,
    portkey: "proc" in portkey ? portkey.proc.pid : undefined,
  };
  const procCpu: Partial<Record<keyof typeof procs, number>> = {};
  /** The proxy processes' resident memory at the end of the run, MB. */
  const rss: Partial<Record<keyof typeof procs, number>> = {};
  let portkeyStreamFailure: string | undefined;
  const loadBefore = loadavg();

  /** One request on one path; [ms to first byte, ms to end], or undefined where the path is not run. */
  async function call(path: Path, stream: boolean): Promise<[number, number] | undefined> {
    switch (path) {
      case "direct":
        return post(directUrl, directBody(stream), wire.clientHeaders);
      case "router":
        return inProcess(stream);
      case "inproc":
        return post(`${local.url}${wire.path}`, viaBody(stream), { authorization: `Bearer ${localToken}` });
      case "daemon":
        return post(daemonUrl, viaBody(stream), auth);
      case "old":
        return oldDaemon
          ? post(`${oldDaemon.url}${wire.path}`, viaBody(stream), {
              authorization: `Bearer ${oldDaemon.token}`,
            })
          : undefined;
      case "floor":
        // It buffers whole answers, so its streamed "first byte" would be the last: non-streamed only.
        return stream ? undefined : post(`${floor.url}${wire.path}`, directBody(false), wire.clientHeaders);
      case "portkey":
        // Should Portkey's streamed path fail all the same (stream-headers-preload.mjs is what lets Portkey 1.15.2
        // stream on Node), the streamed peer row says so instead of a number.
        if (!("url" in portkey) || (stream && portkeyStreamFailure)) return undefined;
        return post(`${portkey.url}${wire.path}`, directBody(stream), portkeyHeaders).catch((e: Error) => {
          if (!stream) throw e;
          portkeyStreamFailure = e.message;
          return undefined;
        });
    }
  }

  const paths = (Object.keys(results) as Path[]).filter(
    (p) =>
      (chosen ? chosen.includes(p) : true) && (p !== "old" || oldDaemon) && (p !== "router" || wire.name === "chat"),
  );
  // Each round in an order of its own (seeded: a run is reproducible). A fixed order rotated each round had each path
  // follow its neighbour in the list in most rounds: "old" came right after "daemon" in half of them and paid for the
  // new daemon's work after its answer (span move, bypass count, metrics) on the shared cores, so the same build read
  // ~0.06 ms faster as "daemon" than as "old" (A/A, 1,500 rounds, CI -0.087 to -0.040).
  const rand = prng(17);
  // Portkey's streamed answers take ~27 ms whatever the upstream does: its stream splitter waits 25 ms before the first
  // chunk it hands on (a setTimeout in its code). Interleaved with the others, those idle gaps put the other streamed
  // paths in another regime (2026-12-06, two runs: the daemon's streamed TTFB +1.18 and +1.83 ms, the in-process
  // stack's +1.68; in seven runs without them, +0.57 to +1.02 and +0.60 to +0.97), so its streamed requests get a pass of
  // their own, interleaved with direct ones that are its baseline.
  const streamedPeerPass = paths.includes("portkey") && "url" in portkey;
  try {
    for (const stream of [false, true]) {
      const key = stream ? "stream" : "plain";
      let cpuStart: Partial<Record<keyof typeof procs, number | undefined>> = {};
      const inRounds = stream && streamedPeerPass ? paths.filter((p) => p !== "portkey") : paths;
      for (let i = 0; i < warmup + n; i++) {
        if (!stream && i === warmup)
          cpuStart = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, processCpuMs(pid)]));
        for (const path of shuffled(inRounds, rand)) {
          const c0 = process.cpuUsage();
          const r = await call(path, stream);
          const c1 = process.cpuUsage();
          if (!stream && i < warmup && r) (warming[path] ??= []).push(r[1]);
          if (i < warmup || !r) continue;
          results[path][key].ttfb.push(r[0]);
          results[path][key].full.push(r[1]);
          if (!stream && (path === "direct" || path === "router" || path === "inproc")) cpu[path].push(cpuMs(c0, c1));
        }
      }
      if (stream && streamedPeerPass)
        for (let i = 0; i < PEER_STREAM_WARMUP + n; i++)
          for (const path of shuffled(["direct", "portkey"] as const, rand)) {
            const r = await call(path, true);
            if (i < PEER_STREAM_WARMUP || !r) continue;
            const into = path === "direct" ? peerDirect : results.portkey.stream;
            into.ttfb.push(r[0]);
            into.full.push(r[1]);
          }
      if (!stream)
        for (const [k, pid] of Object.entries(procs) as [keyof typeof procs, number | undefined][]) {
          const end = processCpuMs(pid);
          const start = cpuStart[k];
          if (end !== undefined && start !== undefined) procCpu[k] = (end - start) / n;
        }
    }
  } finally {
    for (const [k, pid] of Object.entries(procs) as [keyof typeof procs, number | undefined][])
      rss[k] = processRssMb(pid);
    router.close();
    await local.close();
    await daemon.dispose();
    await oldDaemon?.dispose();
    upstream.stop();
    floor.proc.kill("SIGTERM");
    if ("proc" in portkey) portkey.proc.kill("SIGTERM");
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  const cpuCell = (label: Path) => {
    const v = label in procs ? procCpu[label as keyof typeof procs] : undefined;
    return v === undefined ? "" : fmt(v, 3);
  };
  const coldCell = (path: Path) => {
    const xs = warming[path]?.slice(0, COLD_ROUNDS);
    const base = warming.direct?.slice(0, COLD_ROUNDS);
    if (!xs?.length || !base?.length) return "";
    const added = median(xs) - median(base);
    return path === "direct" ? fmt(median(xs), 3) : `${added < 0 ? "" : "+"}${fmt(added, 3)}`;
  };
  /** The direct requests a path's figures are taken against: those of its rounds (the peer's own streamed pass). */
  const baselineOf = (path: Path, stream: boolean) =>
    stream && path === "portkey" && streamedPeerPass ? peerDirect : results.direct[stream ? "stream" : "plain"];
  const row = (label: string, path: Path, stream: boolean) => {
    if (!paths.includes(path)) return undefined;
    const s = results[path][stream ? "stream" : "plain"];
    const base = baselineOf(path, stream);
    const xs = stream ? s.ttfb : s.full;
    const bs = stream ? base.ttfb : base.full;
    const p50 = median(xs);
    const p99 = percentile(xs, 99);
    const same = path === "direct";
    const cells = [
      label,
      fmt(p50, 3),
      fmt(p99, 3),
      same ? "—" : fmt(p50 - median(bs), 3),
      same ? "—" : fmt(p99 - percentile(bs, 99), 3),
      same ? "1.00" : fmt(p50 / median(bs), 2),
      ...(stream ? [] : [cpuCell(path), coldCell(path)]),
    ];
    return `| ${cells.join(" | ")} |`;
  };
  const table = (stream: boolean) =>
    [
      `| path | p50 ms | p99 ms | added p50 ms | added p99 ms | p50 ÷ direct |${stream ? "" : ` process CPU ms/request | cold: p50 (added) over the first ${COLD_ROUNDS} |`}`,
      `|---|---|---|---|---|---|${stream ? "" : "---|---|"}`,
      row("fake upstream, direct", "direct", stream),
      row("Router in-process (router + provider)", "router", stream),
      row("Hotpath HTTP stack in-process (server, auth, router, span)", "inproc", stream),
      row("**Hotpath daemon process over HTTP**", "daemon", stream),
      row(`Hotpath daemon process over HTTP, old build ${oldBuild?.label ?? ""}`, "old", stream),
      ...(stream ? [] : [row("minimal Node proxy process (floor: the hop alone)", "floor", stream)]),
      ...("url" in portkey && paths.includes("portkey")
        ? [
            stream && portkeyStreamFailure
              ? `| Portkey gateway 1.15.2 process over HTTP (peer) | failed: ${portkeyStreamFailure.replace(/\|/g, "/")} | | | | |`
              : row("Portkey gateway 1.15.2 process over HTTP (peer)", "portkey", stream),
          ]
        : []),
    ]
      .filter((r) => r !== undefined)
      .join("\n");
  const added = (path: Path) => median(results[path].plain.full) - median(results.direct.plain.full);
  /** The warm-up's windows this run has ([from, to) rounds, WARMUP_WINDOWS cut at `warmup`). */
  const ends = WARMUP_WINDOWS.filter((e) => e > 0 && e <= warmup);
  const windows = ends.map((end, i) => [i === 0 ? 0 : ends[i - 1], end] as const);
  /** Added p50 per window of the warm-up, per process path: how soon each serves at its warm speed. */
  const warmupTable = () => {
    if (windows.length < 2 || !warming.direct) return "";
    const labels: [Path, string][] = [
      ["daemon", "Hotpath daemon"],
      ["old", `old build ${oldBuild?.label ?? ""}`],
      ["floor", "minimal Node proxy (floor)"],
      ["portkey", "Portkey gateway"],
    ];
    const cell = (path: Path, [from, to]: readonly [number, number]) => {
      const xs = warming[path]?.slice(from, to);
      const bs = warming.direct!.slice(from, to);
      return xs?.length ? fmt(median(xs) - median(bs), 3) : "";
    };
    const rows = labels
      .filter(([path]) => paths.includes(path) && warming[path]?.length)
      .map(
        ([path, label]) => `| ${label} | ${windows.map((w) => cell(path, w)).join(" | ")} | ${fmt(added(path), 3)} |`,
      );
    return [
      `| path: added p50 ms over requests … | ${windows.map(([a, b]) => `${a + 1}–${b}`).join(" | ")} | warm (after ${warmup}) |`,
      `|---|${windows.map(() => "---|").join("")}---|`,
      ...rows,
    ].join("\n");
  };

  const addedDaemon = added("daemon");
  /** Streamed TTFB added over direct, daemon against Portkey, when both have numbers. */
  const streamedPeer = () => {
    if (portkeyStreamFailure || !results.portkey.stream.ttfb.length || !results.daemon.stream.ttfb.length) return "";
    const [d, p] = (["daemon", "portkey"] as const).map(
      (path) => median(results[path].stream.ttfb) - median(baselineOf(path, true).ttfb),
    );
    return ` Streamed, time to first byte: Hotpath adds ${fmt(d, 3)} ms p50, Portkey ${fmt(p, 3)} ms (in a pass of its own with direct requests, ${PEER_STREAM_WARMUP} rounds of warm-up and ${n} measured: its stream splitter waits 25 ms before its first chunk; interleaved with the other paths, those gaps put them in another regime: see the comment in test/bench/router.ts).`;
  };
  const addedFloor = added("floor");
  const addedPortkey = added("portkey");
  const peer =
    "url" in portkey
      ? `Peer: the Portkey gateway (\`@portkey-ai/gateway\` 1.15.2, its own Node process, provider ${portkeyHeaders["x-portkey-provider"]} with a custom host
pointing at the same fake upstream; its server has no host option, so a preload binds its listen() to 127.0.0.1 and the
bench checks the bound address; a second preload gives its streamed answers a Response whose headers it may change — on
Node fetch's are immutable, and Portkey's streamed path answered 500 without it) adds ${fmt(addedPortkey, 3)} ms p50 in
the same run; Hotpath's daemon adds ${fmt(addedDaemon, 3)} ms: ${addedDaemon < addedPortkey ? "lower than Portkey's (target met)" : "not lower than Portkey's (target not met)"}.${streamedPeer()}`
      : `Peer: not run — ${portkey.skipped}.`;
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  /** New minus old, per round (both paths ran in every round, next to each other): its median, and how often new won. */
  const paired = (stream: boolean) => {
    const key = stream ? "stream" : "plain";
    const [a, b] = [results.daemon[key], results.old[key]];
    const [xs, ys] = stream ? [a.ttfb, b.ttfb] : [a.full, b.full];
    const d = xs.slice(0, Math.min(xs.length, ys.length)).map((x, i) => x - ys[i]);
    return `median per-round difference ${medianWithInterval(d)}, new faster in ${fmt((100 * d.filter((x) => x < 0).length) / d.length, 0)}% of ${d.length} rounds`;
  };
  /** The warm-up's rounds, new minus old, per WARMUP_WINDOWS window (paired as `paired` pairs the warm rounds). */
  const warmupPaired = () =>
    windows
      .map(([from, end]) => {
        const [xs, ys] = [warming.daemon?.slice(from, end) ?? [], warming.old?.slice(from, end) ?? []];
        return `${from + 1}–${end}: ${medianWithInterval(xs.slice(0, ys.length).map((x, j) => x - ys[j]))}`;
      })
      .join("; ");
  const ab = oldDaemon
    ? `
Same-run A/B, new (this checkout's dist) vs old build ${oldBuild!.label}: non-streamed added p50 ${fmt(addedDaemon, 3)} vs
${fmt(added("old"), 3)} ms (${paired(false)}); process CPU per request ${procCpu.daemon !== undefined ? fmt(procCpu.daemon, 3) : "n/a"} vs ${procCpu.old !== undefined ? fmt(procCpu.old, 3) : "n/a"} ms;
streamed TTFB ${paired(true)}.
Warming up, new minus old per round (median, 95% CI) over requests ${warmupPaired()}; resident memory at the end
${rss.daemon !== undefined ? fmt(rss.daemon, 0) : "n/a"} vs ${rss.old !== undefined ? fmt(rss.old, 0) : "n/a"} MB.
`
    : "";
  const body = `
Fake OpenAI upstream in its own process on 127.0.0.1, answering ${upstreamMs ? `after ${upstreamMs} ms` : "at once"} (44-character reply, 8 characters per streamed
delta); one client, keep-alive connections on every path, one request at a time; the paths interleaved request by
request in an order shuffled each round; ${n} requests per path after ${warmup} warm-up rounds (every process
warm: V8 compiles per-request code over the first ~2,500 requests; the "cold" column is the first ${COLD_ROUNDS} rounds
of the warm-up, a freshly started process), non-streamed first, then streamed. Medians and 99th percentiles of this
one run.
Machine: ${machineDescription()}; at the start: ${la(loadBefore)}.

Non-streamed, full response latency (the target's measure):

${table(false)}

Warming up: each process's added p50 (minus direct's in the same rounds) over windows of its first ${warmup} requests
— a freshly started process, then V8 compiling and optimising its per-request code as requests come:

${warmupTable()}

Streamed, time to first body byte (TTFB):

${table(true)}

**Target: the daemon path adds ≤ 1 ms p50 non-streamed: ${fmt(addedDaemon, 3)} ms here (${addedDaemon <= 1 ? "met" : "not met"}).**
Of that, ${fmt(addedFloor, 3)} ms is what a minimal Node proxy process adds on this machine in the same run (one more
process hop each way: client → proxy → upstream, each waiting for a CPU slice under load), so Hotpath's own work
(HTTP server, Host/Origin and token checks, validation, cache policy, router, SQLite span write committed before the
response ends) adds ${fmt(addedDaemon - addedFloor, 3)} ms beyond the floor. The Router alone adds ${fmt(added("router"), 3)} ms in-process;
Hotpath's whole HTTP path in-process ${fmt(added("inproc"), 3)} ms (requests here are sampled, so the response cache only
decides not to look).
CPU per non-streamed request: in the bench process (median), direct ${fmt(median(cpu.direct), 3)} ms (the client alone),
Router in-process +${fmt(median(cpu.router) - median(cpu.direct), 3)} ms, Hotpath's HTTP stack in-process
+${fmt(median(cpu.inproc) - median(cpu.direct), 3)} ms over the client's own; in the proxy processes (the column above:
/proc user + system time over the ${n} measured rounds ÷ ${n}, every thread — GC included) the daemon
${procCpu.daemon !== undefined ? fmt(procCpu.daemon, 3) : "n/a"} ms, the floor proxy ${procCpu.floor !== undefined ? fmt(procCpu.floor, 3) : "n/a"} ms${procCpu.portkey !== undefined ? `, Portkey ${fmt(procCpu.portkey, 3)} ms` : ""}.
Streamed TTFB includes the router's wait for the upstream's first event before it commits to a route.

${peer}
${ab}
Rerun: \`npm run bench -- router\` (the deciding command); \`--old-rev REV\` adds that build's daemon side by side,
\`--paths direct,daemon,old,floor\` runs only those.
`;
  // A run of chosen paths or builds reports only what it ran.
  const short = `
${n} requests per path after ${warmup} warm-up rounds, paths interleaved as in the "router" section; medians and 99th
percentiles of this one run. Machine: ${machineDescription()}; at the start: ${la(loadBefore)}.

Non-streamed, full response latency:

${table(false)}

Warming up, added p50 ms per window of each process's first ${warmup} requests:

${warmupTable()}

Streamed, time to first body byte:

${table(true)}
${ab}
Rerun: \`npm run bench -- router ${argv.join(" ")}\`${large || oldDaemon || chosen ? "; the deciding command is `npm run bench -- router`" : ""}.
`;
  const largeNote = large
    ? `
The request: ${fmt(Buffer.byteLength(viaBody(false)) / 1024, 0)} KB of JSON — a coding agent's turn late in a session: a
system prompt, ${large.messages.length - 2} earlier turns of code (quotes, newlines: text JSON escapes), 20 tool definitions —
where the "router" section's request is a 20-character prompt. Every byte of it is read, parsed and validated, sent on,
and recorded in the span (its content attributes, capped at 256K characters each) before the answer ends.
`
    : "";
  const thinkNote = upstreamMs
    ? `
The fake upstream waits ${upstreamMs} ms before each answer, as a model takes time to its first token, on every path
alike: what a proxy does meanwhile is not added to anyone's latency.
`
    : "";
  const wireNote =
    wire.name === "chat"
      ? ""
      : `
The wire: ${wire.label}, POST ${wire.path} on every path (the fake upstream speaks it; the daemon's provider \`fake\` is
${wire.provider("<upstream>")}, a route that passes the request through as sent with the route's model).
${
  large || oldDaemon || chosen
    ? ""
    : `Non-streamed, the daemon adds ${fmt(addedDaemon, 3)} ms p50 (${addedDaemon <= 1 ? "≤ 1 ms: met" : "over 1 ms: not met"}), the floor proxy ${fmt(addedFloor, 3)} ms.
${peer}
`
}`;
  const text =
    thinkNote + wireNote + (large ? largeNote + short : oldDaemon || chosen || wire.name !== "chat" ? short : body);
  console.log(text);
  const qualifiers = [
    ...(large ? ["large request"] : []),
    // A run of some paths, or against another build, never replaces a full run's section.
    ...(oldDaemon || chosen ? ["A/B"] : []),
    ...(wire.section ? [wire.section] : []),
    ...(upstreamMs ? [`upstream ${upstreamMs} ms`] : []),
  ];
  // e.g. "router (large request, upstream 20 ms)"
  const section = qualifiers.length ? `router (${qualifiers.join(", ")})` : "router";
  writeSection(section, text);
}

/**
 * A request the size of a coding agent's turn late in a session (~`kb` KB of messages): turns of source code, whose
 * quotes and newlines JSON escapes, and 20 tools. Deterministic, so runs compare.
 */
export function largeRequest(kb: number): Required<Conversation> {
  const code = 'function step(x) {\n  return "value: " + x; // a \\"quoted\\" line\n}\n';
  const messages: { role: "system" | "user" | "assistant"; content: string }[] = [
    { role: "system", content: `You are a coding agent.\n${code.repeat(200)}` },
  ];
  for (let t = 0, size = 0; size < kb * 1024; t++) {
    const content = `turn ${t}\n${code.repeat(40)}`;
    size += content.length;
    messages.push({ role: t % 2 ? "assistant" : "user", content });
  }
  messages.push({ role: "user", content: "Say something short." });
  const tools = Array.from({ length: 20 }, (_, i) => ({
    type: "function" as const,
    function: {
      name: `tool_${i}`,
      description: "Reads or changes the workspace. ".repeat(10),
      parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    },
  }));
  return { messages, tools };
}
