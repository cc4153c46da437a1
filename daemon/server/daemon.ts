// Starts the daemon: opens the database, loads models, listens, and shuts down gracefully.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { routerCompleter } from "../audit/completers/router.js";
import { embedderFromConfig } from "../cache/embedders/index.js";
import { ResponseCache } from "../cache/service.js";
import { modelVerifier } from "../cache/verifier.js";
import type { ChatCompletionRequest, RunningDaemonInfo } from "../api.js";
import { dataPaths, type Config } from "../config.js";
import { checkpointOffThread } from "../db-checkpoint.js";
import { openDb } from "../db.js";
import { analysisDirFor, removeAnalysisDir } from "../traces/import/worker-json.js";
import { Engine } from "../engine/engine.js";
import { startTraceMaintenance } from "../traces/maintenance.js";
import { Router } from "../router/router.js";
import { TraceStore } from "../traces/store.js";
import { ensureToken } from "./auth.js";
import { parseKeepAlive } from "../models/keep-alive.js";
import { EventHub } from "./events.js";
import { createHttpServer } from "./http.js";
import { CHECK_MS, collectWhenIdle, receivingBodies, requestedWithin } from "./idle-collect.js";
import { portInUseMessage } from "./port-in-use.js";
import { Metrics } from "./metrics.js";
import { allRoutes } from "./routes/index.js";
import { type LogLevel, type Services, wireServices } from "./services.js";

export interface RunningDaemon {
  url: string;
  port: number;
  tokenFile: string;
  services: Services;
  server: Server;
  close(): Promise<void>;
}

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

export async function startDaemon(
  config: Config,
  version: string,
  opts: { interactive?: boolean } = {},
): Promise<RunningDaemon> {
  const paths = dataPaths(config.dataDir);
  const log = (level: LogLevel, message: string) => {
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(config.logLevel))
      process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  };
  const token = ensureToken(paths.token);
  const events = new EventHub();
  const db = openDb(paths.db);
  const checkpoints = checkpointOffThread(db, paths.db, (m) => log("warn", m));
  const engine = new Engine({
    gpu: config.gpu,
    threads: config.threads,
    threadsFile: paths.threads,
    contextSize: config.contextSize,
    sequences: config.sequences,
    maxQueued: config.maxQueued,
    modelsDir: paths.models,
    kvDir: paths.kv,
    kvBudgetBytes: config.kvBudgetMb * 1024 * 1024,
    showProgress: opts.interactive ?? false,
    log,
    keepAliveMs: parseKeepAlive(config.keepAlive),
    // Models pulled into (or copied to) <data-dir>/models are known without a restart, and load on first use.
    discover: true,
    onModelState: (change) => events.publish({ type: "model.state", ...change, at: Date.now() }),
  });
  // The embedding model loads on the first semantic lookup, not here: start-up stays fast.
  const embedder = await embedderFromConfig(config.cache, {
    threads: config.threads === "auto" ? undefined : config.threads,
  });
  const cache = new ResponseCache({ db, config: config.cache, embedder });
  const metrics = new Metrics();
  const traces = new TraceStore(db, { maxAttributeChars: config.traces.maxAttributeChars });
  const router = new Router({ config: config.router, local: engine, db });
  if (config.cache.verifier) {
    // Verifier checks go through the router (budgets, fallbacks) but not the cache, and are not the agent's spans.
    const complete = routerCompleter(router, { priority: "interactive", idPrefix: "verify" });
    const ask = async (request: ChatCompletionRequest, signal: AbortSignal) =>
      (await complete(request, signal)).choices[0]?.message.content ?? "";
    cache.verifier = modelVerifier(ask, { ...config.cache.verifier, log: (m) => log("warn", m) });
  }
  const services = wireServices({
    version,
    config,
    db,
    traces,
    metrics,
    engine,
    events,
    router,
    cache,
    log,
    // Audits' similarity checks share the cache's embedder.
    embed: async (text) => Float32Array.from((await embedder.embed([text]))[0]),
  });
  const traceMaintenance = startTraceMaintenance(services.traces, config.traces, log);
  const loopback = isLoopbackBind(config.host);
  if (!loopback) {
    log(
      "warn",
      `LISTENING ON ${config.host}, NOT LOOPBACK: anyone who can reach this address and has the token can use your models and read your traces`,
    );
  }
  const server = createHttpServer(services, allRoutes, {
    token,
    allowOrigins: config.allowOrigins,
    allowAnyHost: !loopback,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (e) {
    await traceMaintenance.close();
    services.router.close();
    cache.close();
    await checkpoints.close();
    db.close();
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(await portInUseMessage(config.host, config.port));
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  // Analyses an earlier daemon kept on disk: none is known to this one. Once listening (a start that fails, another
  // daemon on this data dir, leaves them be), before any request is read.
  removeAnalysisDir(analysisDirFor(paths.db));
  engine.add(config.models);
  // Import workers wait ready from shortly after start (see traces/import/workers.ts).
  services.traceImports.keepWarm();
  // What requests left on this thread goes back once the loop is quiet (see idle-collect.ts).
  const receiving = receivingBodies(server);
  const requested = requestedWithin(server, CHECK_MS);
  const idleCollection = collectWhenIdle({
    log: (m) => log("debug", m),
    busy: () => receiving() || requested() || services.traceImports.running > 0,
    // A collection holds the loop (tens of ms): the event-loop sampler is running when it does (event-loop.ts).
    beforeCollect: () => metrics.loopSampler.wake(),
  });
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  writeRunning(paths.running, { pid: process.pid, url, port, version });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // WebSocket clients first: server.close waits for their sockets, which closeAllConnections does not reach.
      events.close();
      idleCollection.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await services.audit.dispose();
      await services.traceImports.close();
      // The analyses kept on disk are this daemon's alone (a next one empties the directory anyway): not left behind.
      removeAnalysisDir(analysisDirFor(paths.db));
      services.router.close();
      await engine.dispose();
      await traceMaintenance.close();
      traces.moveServed(); // served spans still waiting to move (a start would move them, an older build would not)
      cache.close(); // lookup counts still waiting for a write
      await checkpoints.close();
      db.close();
      clearRunning(paths.running);
    })());
  return { url, port, tokenFile: paths.token, services, server, close };
}

/** <dataDir>/daemon.json while this process serves (owner-only, like the token). */
function writeRunning(file: string, running: RunningDaemonInfo): void {
  writeFileSync(file, JSON.stringify(running) + "\n", { mode: 0o600 });
}

function clearRunning(file: string): void {
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as RunningDaemonInfo;
    if (info.pid === process.pid) rmSync(file, { force: true });
  } catch {
    /* gone already, or never written */
  }
}

function isLoopbackBind(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1" || /^127\./.test(host);
}
