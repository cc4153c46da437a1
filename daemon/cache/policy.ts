// Whether a request may be answered from the cache and whether its answer may be stored: headers and config.
import type { CacheConfig } from "../config.js";
import type { RequestKey } from "./key.js";

export type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v.join(",") : v;
}

export interface Admission {
  /** Look the request up. */
  lookup: boolean;
  /** Store its answer afterwards. */
  store: boolean;
  /** Why not, when either is false. */
  reason?: string;
}

export function admit(key: RequestKey, headers: Headers, config: CacheConfig): Admission {
  if (!config.enabled) return { lookup: false, store: false, reason: "cache disabled in config" };
  const mode = header(headers, "x-hotpath-cache")?.trim().toLowerCase();
  if (mode === "bypass" || mode === "off") return { lookup: false, store: false, reason: "x-hotpath-cache: bypass" };
  const cc = (header(headers, "cache-control") ?? "").toLowerCase().split(",").map((d) => d.trim());
  if (cc.includes("no-store")) return { lookup: false, store: false, reason: "Cache-Control: no-store" };
  if (config.onlyDeterministic && !key.deterministic) {
    return { lookup: false, store: false, reason: "not deterministic (temperature is not 0 and no seed); set cache.onlyDeterministic=false to cache it" };
  }
  if (cc.includes("no-cache") || mode === "refresh") return { lookup: false, store: true, reason: cc.includes("no-cache") ? "Cache-Control: no-cache" : "x-hotpath-cache: refresh" };
  return { lookup: true, store: true };
}
