// What to tell a user whose port is taken: whether a Hotpath daemon holds it (its /healthz answers without a token,
// with version and pid), and what to do about it.
import type { Health } from "../api.js";

export async function portInUseMessage(host: string, port: number): Promise<string> {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const health = await probeHealth(`http://${where}/healthz`);
  if (health) {
    const who = `a Hotpath daemon (version ${health.version}${health.pid ? `, pid ${health.pid}` : ""})`;
    return (
      `port ${port} on ${host} is in use by ${who}. Use that one (its token is in its data dir), ` +
      "stop it with `hotpath stop` (same --data-dir), or start another with --port 0 (any free port) or --port <n>"
    );
  }
  return `port ${port} on ${host} is in use by another program; choose another with --port <n>, or --port 0 for any free port`;
}

async function probeHealth(url: string): Promise<Health | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as Partial<Health>;
    return res.ok && body.status === "ok" && typeof body.version === "string" ? (body as Health) : undefined;
  } catch {
    return undefined;
  }
}
