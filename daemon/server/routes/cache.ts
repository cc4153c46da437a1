// Admin endpoints of the response cache: savings per namespace, the entries themselves, and clearing.
//   GET    /hotpath/cache/stats
//   GET    /hotpath/cache/entries?namespace=<hex>&limit=<1..1000>
//   DELETE /hotpath/cache?namespace=<hex>
import { z } from "zod";
import type { CacheClearResult, CacheEntries, CacheStats } from "../../api.js";
import { readQuery } from "../query.js";
import type { Route } from "../route.js";

const Namespace = z.string().regex(/^[0-9a-f]{64}$/, "namespace is the 64-hex-digit id shown by /hotpath/cache/stats");
const EntriesQuery = z.object({
  namespace: Namespace.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
const StatsQuery = z.object({ limit: z.coerce.number().int().min(0).max(10_000).default(200) });
/** A user/tenant scope as sent in x-hotpath-cache-scope: printable, no spaces, at most 200 characters. */
export const Scope = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, "a scope is 1–200 printable ASCII characters without spaces");
const ClearQuery = z.object({ namespace: Namespace.optional(), scope: Scope.optional() });

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/cache/stats",
    handle(ctx, services) {
      const { limit } = readQuery(ctx.url, StatsQuery);
      const body: CacheStats = services.cache.stats(limit);
      ctx.send(200, body);
    },
  },
  {
    method: "GET",
    path: "/hotpath/cache/entries",
    handle(ctx, services) {
      const q = readQuery(ctx.url, EntriesQuery);
      const body: CacheEntries = { entries: services.cache.entries({ namespace: q.namespace, limit: q.limit }) };
      ctx.send(200, body);
    },
  },
  {
    method: "DELETE",
    path: "/hotpath/cache",
    handle(ctx, services) {
      const { namespace, scope } = readQuery(ctx.url, ClearQuery);
      const body: CacheClearResult = {
        cleared: services.cache.clear({ namespace, scope }),
        namespace: namespace ?? null,
        scope: scope ?? null,
      };
      ctx.send(200, body);
    },
  },
];
