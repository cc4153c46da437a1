// Finds the daemon serving from this data dir (for commands that talk to it: stop, ps…): <dataDir>/daemon.json,
// else the configured port; the token comes from <dataDir>/token.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Health, RunningDaemonInfo } from "../api.js";
import { dataPaths, loadConfig } from "../config.js";

export interface DaemonHandle {
  url: string;
  dataDir: string;
  health: Health;
  /** Authorised request to the daemon; throws with the daemon's own error message on a non-2xx answer. */
  call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T>;
}

export async function findRunningDaemon(cmd: Command): Promise<DaemonHandle | undefined> {
  const globals = cmd.optsWithGlobals() as { dataDir?: string; config?: string };
  const config = loadConfig({ flags: { dataDir: globals.dataDir, config: globals.config } });
  const paths = dataPaths(config.dataDir);
  const candidates: string[] = [];
  try {
    candidates.push((JSON.parse(readFileSync(paths.running, "utf8")) as RunningDaemonInfo).url);
  } catch {
    /* no daemon.json: try the configured port */
  }
  const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  candidates.push(`http://${host}:${config.port}`);
  for (const url of [...new Set(candidates)]) {
    const health = await probe(url);
    if (!health) continue;
    const token = () => readFileSync(paths.token, "utf8").trim();
    return {
      url,
      dataDir: config.dataDir,
      health,
      async call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
        const res = await fetch(url + path, {
          method,
          headers: {
            authorization: `Bearer ${token()}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        const parsed = text ? (JSON.parse(text) as unknown) : undefined;
        if (!res.ok) {
          const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? text;
          throw new Error(`the daemon at ${url} answered ${res.status}: ${message}`);
        }
        return parsed as T;
      },
    };
  }
  return undefined;
}

async function probe(url: string): Promise<Health | undefined> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as Health;
    return res.ok && body.status === "ok" ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The message for commands that need a daemon when none answers. */
export function noDaemonMessage(cmd: Command): string {
  const globals = cmd.optsWithGlobals() as { dataDir?: string };
  return `no Hotpath daemon is running for this data dir${globals.dataDir ? ` (${globals.dataDir})` : ""}; start one with \`hotpath serve\``;
}
