// What a response-cache lookup tells the span and the client, the same for every endpoint the cache serves.
import type { LookupResult } from "../cache/service.js";
import { HotpathAttr, type Attributes } from "../traces/span.js";

export function cacheAttributes(look: LookupResult): Attributes {
  return {
    [HotpathAttr.cache]: look.verdict,
    "hotpath.cache.reason": look.reason,
    "hotpath.cache.namespace": look.namespace,
    "hotpath.cache.lookup_ms": look.lookupMs,
    ...(look.similarity !== undefined ? { [HotpathAttr.cacheSimilarity]: look.similarity } : {}),
    ...(look.guard ? { [HotpathAttr.cacheGuard]: look.guard } : {}),
    ...(look.match ? { "hotpath.cache.match": look.match } : {}),
  };
}

export function cacheHeaders(look: LookupResult): Record<string, string> {
  return {
    "x-hotpath-cache": look.verdict,
    ...(look.similarity !== undefined ? { "x-hotpath-cache-similarity": look.similarity.toFixed(4) } : {}),
  };
}
