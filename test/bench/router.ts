// `npm run bench -- router [--requests N]`: what routing through Hotpath adds to a cloud call. A fake OpenAI
// upstream (its own process, answers at once) is called four ways, interleaved request by request so load drifts hit
// all alike: directly; through the Router in-process (router + provider); through the daemon's HTTP stack run
// in-process (server, auth, router, span write: CPU cost without scheduling); and through the real daemon process
// (what a client sees: one more process hop). Non-streamed: full-response latency p50/p99. Streamed: time to the
// first body byte. Added = path minus direct.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, RouterConfigSchema } from "../../daemon/config.js";
import { Router } from "../../daemon/router/router.js";
import { startDaemon as startInProcess } from "../../daemon/server/daemon.js";
import { readFileSync } from "node:fs";
import { startDaemon } from "../fixtures/daemon.js";
import { startUpstreamProcess } from "../fixtures/upstreams/process.js";
import { fmt, machineDescription, median, percentile, writeSection } from "./_report.js";

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
  const proc = spawn(process.execPath, ["--import", preload, entry, `--port=${port}`, "--headless"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_ENV: "production" },
  });
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

interface Series {
  full: number[];
  ttfb: number[];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { requests: { type: "string", default: "400" } } });
  const n = Number(values.requests);
  const warmup = Math.min(50, Math.ceil(n / 10));
  const upstream = await startUpstreamProcess("openai");
  const fake = { baseURL: `${upstream.url}/v1` };
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-router-"));
  const config = join(dir, "config.yaml");
  writeFileSync(config, `router:\n  providers:\n    fake: { type: openai-compatible, baseURL: "${fake.baseURL}" }\n`);
  // Past this point every process started is stopped, also when a later start fails (a loaded machine is slow).
  const daemon = await startDaemon({ dataDir: join(dir, "data"), args: ["--config", config] });
  const local = await startInProcess(
    loadConfig({ flags: { config, dataDir: join(dir, "inproc"), port: 0, logLevel: "error" }, env: {} }),
    "bench",
  );
  const localToken = readFileSync(local.tokenFile, "utf8").trim();
  const router = new Router({
    config: RouterConfigSchema.parse({ providers: { fake: { type: "openai-compatible", baseURL: fake.baseURL } } }),
  });
  const portkey = await startPortkey();
  if ("skipped" in portkey) console.log(`Portkey: ${portkey.skipped}`);
  // Portkey's documented way to reach any OpenAI-compatible server: provider openai + custom host.
  const portkeyHeaders = {
    authorization: "Bearer sk-bench",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": fake.baseURL,
  };

  const messages = [{ role: "user" as const, content: "Say something short." }];
  const directBody = (stream: boolean) =>
    JSON.stringify({
      model: "bench",
      messages,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    });
  const viaBody = (stream: boolean) => JSON.stringify({ model: "fake:bench", messages, stream });
  const directUrl = `${fake.baseURL}/chat/completions`;
  const daemonUrl = `${daemon.url}/v1/chat/completions`;
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
  const results = {
    direct: { plain: series(), stream: series() },
    router: { plain: series(), stream: series() },
    inproc: { plain: series(), stream: series() },
    daemon: { plain: series(), stream: series() },
    portkey: { plain: series(), stream: series() },
  };
  // CPU time of this process per non-streamed request (client, plus the router or the whole HTTP stack when they run
  // here): unlike latency it barely moves with the machine's load, so it shows the stack's own cost on a busy machine.
  const cpu = { direct: [] as number[], router: [] as number[], inproc: [] as number[] };
  const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
  let portkeyStreamFailure: string | undefined;
  try {
    for (let i = 0; i < warmup + n; i++) {
      for (const stream of [false, true]) {
        const key = stream ? "stream" : "plain";
        const c0 = process.cpuUsage();
        const d = await post(directUrl, directBody(stream), {});
        const c1 = process.cpuUsage();
        const r = await inProcess(stream);
        const c2 = process.cpuUsage();
        const l = await post(`${local.url}/v1/chat/completions`, viaBody(stream), {
          authorization: `Bearer ${localToken}`,
        });
        const c3 = process.cpuUsage();
        if (i >= warmup && !stream) {
          cpu.direct.push(cpuMs(c0, c1));
          cpu.router.push(cpuMs(c1, c2));
          cpu.inproc.push(cpuMs(c2, c3));
        }
        const h = await post(daemonUrl, viaBody(stream), auth);
        // Portkey 1.15.2 on Node answers every streamed request 500 ("TypeError: immutable": it rewrites the headers of
        // Node's fetch Response, which are read-only); the streamed peer row then says so instead of a number.
        const p =
          "url" in portkey && !(stream && portkeyStreamFailure)
            ? await post(`${portkey.url}/v1/chat/completions`, directBody(stream), portkeyHeaders).catch((e: Error) => {
                if (!stream) throw e;
                portkeyStreamFailure = e.message;
                return undefined;
              })
            : undefined;
        if (i < warmup) continue;
        for (const [name, [ttfb, full]] of [
          ["direct", d],
          ["router", r],
          ["inproc", l],
          ["daemon", h],
          ...(p ? [["portkey", p] as const] : []),
        ] as const) {
          results[name][key].full.push(full);
          results[name][key].ttfb.push(ttfb);
        }
      }
    }
  } finally {
    router.close();
    await local.close();
    await daemon.dispose();
    upstream.stop();
    if ("proc" in portkey) portkey.proc.kill("SIGTERM");
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  const row = (label: string, s: Series, base: Series, stream: boolean) => {
    const xs = stream ? s.ttfb : s.full;
    const bs = stream ? base.ttfb : base.full;
    const p50 = median(xs);
    const p99 = percentile(xs, 99);
    const same = xs === bs;
    return `| ${label} | ${fmt(p50, 3)} | ${fmt(p99, 3)} | ${same ? "—" : fmt(p50 - median(bs), 3)} | ${same ? "—" : fmt(p99 - percentile(bs, 99), 3)} |`;
  };
  const table = (stream: boolean) => {
    const key = stream ? "stream" : "plain";
    return [
      `| path | p50 ms | p99 ms | added p50 ms | added p99 ms |`,
      `|---|---|---|---|---|`,
      row("fake upstream, direct", results.direct[key], results.direct[key], stream),
      row("Router in-process (router + provider)", results.router[key], results.direct[key], stream),
      row(
        "Hotpath HTTP stack in-process (server, auth, router, span)",
        results.inproc[key],
        results.direct[key],
        stream,
      ),
      row("Hotpath daemon process over HTTP", results.daemon[key], results.direct[key], stream),
      ...("url" in portkey
        ? [
            stream && portkeyStreamFailure
              ? `| Portkey gateway 1.15.2 process over HTTP (peer) | failed: ${portkeyStreamFailure.replace(/\|/g, "/")} | | | |`
              : row(
                  "Portkey gateway 1.15.2 process over HTTP (peer)",
                  results.portkey[key],
                  results.direct[key],
                  stream,
                ),
          ]
        : []),
    ].join("\n");
  };
  const addedDaemon = median(results.daemon.plain.full) - median(results.direct.plain.full);
  const addedInproc = median(results.inproc.plain.full) - median(results.direct.plain.full);
  const addedRouter = median(results.router.plain.full) - median(results.direct.plain.full);
  const addedPortkey = median(results.portkey.plain.full) - median(results.direct.plain.full);
  const peer =
    "url" in portkey
      ? `Peer: the Portkey gateway (\`@portkey-ai/gateway\` 1.15.2, its own Node process, provider openai with a custom host
pointing at the same fake upstream; its server has no host option, so a preload binds its listen() to 127.0.0.1 and the
bench checks the bound address) adds ${fmt(addedPortkey, 3)} ms p50 in the same run; Hotpath's daemon adds
${fmt(addedDaemon, 3)} ms: ${addedDaemon < addedPortkey ? "lower than Portkey's (target met)" : "not lower than Portkey's (target not met)"}.`
      : `Peer: not run — ${portkey.skipped}.`;
  const body = `
Fake OpenAI upstream in its own process on 127.0.0.1, answering at once (44-character reply, 8 characters per streamed
delta); keep-alive connections, one request at a time; the paths interleaved request by request, ${n} requests
each after ${warmup} warm-up rounds.
Machine: ${machineDescription()}.

Non-streamed, full response latency:

${table(false)}

Streamed, time to first body byte (TTFB):

${table(true)}

Added p50 (non-streamed), target ≤ 1 ms: the Router ${fmt(addedRouter, 3)} ms; Hotpath's whole HTTP path in-process
${fmt(addedInproc, 3)} ms (HTTP server, token check, validation, cache policy, router, SQLite span write of every
request; requests here are sampled, so the response cache only decides not to look); the
daemon process ${fmt(addedDaemon, 3)} ms: the same work plus one more process hop each way (client → daemon →
upstream), each of which waits for a CPU time slice on a loaded machine (see the load average; it also drives every
p99 here).
CPU time per non-streamed request in the bench process (median; load-robust where latency is not): direct
${fmt(median(cpu.direct), 3)} ms (the client alone), Router in-process +${fmt(median(cpu.router) - median(cpu.direct), 3)} ms,
Hotpath's HTTP stack in-process +${fmt(median(cpu.inproc) - median(cpu.direct), 3)} ms over the client's own.
Streamed TTFB includes the router's wait for the upstream's first event before it commits to a route.

${peer}
`;
  console.log(body);
  writeSection("router", body);
}
