// How long a local model stays loaded after its last request (Ollama's keep_alive): a duration ("10m", "30s",
// "500ms", "2h"), a number of seconds, 0 to unload as soon as it has answered, or a negative value to keep it loaded.
import { z } from "zod";

/** Loaded until the daemon stops or an unload is asked for. */
export const FOREVER = -1;

export const DEFAULT_KEEP_ALIVE_MS = 10 * 60_000;

const DURATION = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;

/** Milliseconds for a keep-alive value, FOREVER for a negative one; undefined when it is not a duration. */
export function parseKeepAlive(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? (value < 0 ? FOREVER : value * 1000) : undefined;
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n < 0) return FOREVER;
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
}

/** The request field: Ollama's spelling and meaning, checked so that a typo is a 400, not a silent default. */
export const KeepAliveSchema = z.union([z.number(), z.string()]).refine((v) => parseKeepAlive(v) !== undefined, {
  message:
    'keep_alive is a duration such as "10m", "30s" or "500ms", a number of seconds, 0 (unload after answering) or -1 (keep loaded)',
});

/** "10 min", "30 s", "forever": for `hotpath ps` and logs. */
export function describeKeepAlive(ms: number): string {
  if (ms < 0) return "forever";
  if (ms === 0) return "0 s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
