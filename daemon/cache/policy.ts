// Whether a request may be answered from the cache and whether its answer may be stored: headers and config.
import type { CacheConfig } from "../config.js";
import type { RequestKey } from "./key.js";

export type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const v =
    headers[name] ??
    headers[name.toLowerCase()] ??
    Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
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

/** Reads only whether the request is deterministic, so it can be decided before the request's key is computed. */
export function admit(key: Pick<RequestKey, "deterministic">, headers: Headers, config: CacheConfig): Admission {
  if (!config.enabled) return { lookup: false, store: false, reason: "cache disabled in config" };
  const mode = header(headers, "x-hotpath-cache")?.trim().toLowerCase();
  if (mode === "bypass" || mode === "off") return { lookup: false, store: false, reason: "x-hotpath-cache: bypass" };
  const cc = (header(headers, "cache-control") ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  if (cc.includes("no-store")) return { lookup: false, store: false, reason: "Cache-Control: no-store" };
  if (config.onlyDeterministic && !key.deterministic) {
    return {
      lookup: false,
      store: false,
      reason: "not deterministic (temperature is not 0 and no seed); set cache.onlyDeterministic=false to cache it",
    };
  }
  if (cc.includes("no-cache") || mode === "refresh")
    return {
      lookup: false,
      store: true,
      reason: cc.includes("no-cache") ? "Cache-Control: no-cache" : "x-hotpath-cache: refresh",
    };
  return { lookup: true, store: true };
}

/** A scope as sent in x-hotpath-cache-scope: 1–200 printable ASCII characters, no spaces. */
export const SCOPE = /^[\x21-\x7e]{1,200}$/;

/**
 * The user/tenant scope of a request: the explicit one (the pipeline's), else the x-hotpath-cache-scope header, else —
 * on a route configured "user" — the request's `user` field. `refuse` says why a request is not cached at all: its
 * scope is malformed, or its route caches per scope only and it has none.
 */
export function scopeOf(
  request: { user?: unknown },
  ctx: { route: string; headers: Headers; scope?: string },
  config: CacheConfig,
): { scope: string; refuse?: string } {
  if (ctx.scope !== undefined) return { scope: ctx.scope };
  const sent = header(ctx.headers, "x-hotpath-cache-scope")?.trim();
  if (sent !== undefined && sent !== "") {
    if (!SCOPE.test(sent))
      return { scope: "", refuse: "x-hotpath-cache-scope must be 1–200 printable ASCII characters without spaces" };
    return { scope: sent };
  }
  const mode = config.routeScopes[ctx.route];
  if (mode === "user" && typeof request.user === "string" && SCOPE.test(request.user)) return { scope: request.user };
  if (mode) {
    return {
      scope: "",
      refuse: `route ${ctx.route} caches answers per user/tenant only; send x-hotpath-cache-scope${mode === "user" ? " or a user field" : ""}`,
    };
  }
  return { scope: "" };
}
