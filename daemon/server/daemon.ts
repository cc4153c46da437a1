// Starts the daemon: opens the database, loads models, listens, and shuts down gracefully.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dataPaths, type Config } from "../config.js";
import { openDb } from "../db.js";
import { Engine } from "../engine/engine.js";
import { TraceStore } from "../traces/store.js";
import { ensureToken } from "./auth.js";
import { EventHub } from "./events.js";
import { createHttpServer } from "./http.js";
import { Metrics } from "./metrics.js";
import { allRoutes } from "./routes/index.js";
import type { LogLevel, Services } from "./services.js";

export interface RunningDaemon {
  url: string;
  port: number;
  tokenFile: string;
  services: Services;
  server: Server;
  close(): Promise<void>;
}

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

export async function startDaemon(config: Config, version: string, opts: { interactive?: boolean } = {}): Promise<RunningDaemon> {
  const paths = dataPaths(config.dataDir);
  const log = (level: LogLevel, message: string) => {
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(config.logLevel)) process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  };
  const token = ensureToken(paths.token);
  const db = openDb(paths.db);
  const engine = new Engine({
    gpu: config.gpu,
    threads: config.threads,
    contextSize: config.contextSize,
    sequences: config.sequences,
    maxQueued: config.maxQueued,
    modelsDir: paths.models,
    showProgress: opts.interactive ?? false,
    log,
  });
  const services: Services = {
    version,
    startedAt: Date.now(),
    config,
    db,
    traces: new TraceStore(db),
    events: new EventHub(),
    metrics: new Metrics(),
    engine,
    log,
  };
  const loopback = isLoopbackBind(config.host);
  if (!loopback) {
    log("warn", `LISTENING ON ${config.host}, NOT LOOPBACK: anyone who can reach this address and has the token can use your models and read your traces`);
  }
  const server = createHttpServer(services, allRoutes, { token, allowOrigins: config.allowOrigins, allowAnyHost: !loopback });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  engine.add(config.models);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await engine.dispose();
      db.close();
    })());
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return { url: `http://${host}:${port}`, port, tokenFile: paths.token, services, server, close };
}

function isLoopbackBind(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1" || /^127\./.test(host);
}
