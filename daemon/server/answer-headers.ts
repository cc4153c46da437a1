// The x-hotpath-* headers of an answer, the same on every wire format: the route that answered and why, and the
// response cache's verdict.
import type { Answer } from "../pipeline/answer.js";

/** Header values must be printable ASCII, whatever a model name holds. */
const ascii = (v: string) => v.replace(/[^\x20-\x7e]/g, "?").slice(0, 1024);

/** x-hotpath-route and x-hotpath-route-reason (when there is a reason). */
export function routeHeaders(r: { route: string; reason?: string }): Record<string, string> {
  return { "x-hotpath-route": ascii(r.route), ...(r.reason ? { "x-hotpath-route-reason": ascii(r.reason) } : {}) };
}

export function answerHeaders(a: Answer): Record<string, string> {
  return {
    ...routeHeaders(a),
    "x-hotpath-cache": a.cache.verdict,
    // The ladder's rung that served a hit: exact, normalized, semantic (or single-flight).
    ...(a.cache.verdict === "hit" && a.cache.match ? { "x-hotpath-cache-match": a.cache.match } : {}),
    ...(a.cache.similarity !== undefined ? { "x-hotpath-cache-similarity": a.cache.similarity.toFixed(4) } : {}),
  };
}

/** x-hotpath-ignored: what a translated route left out of the request (thinking settings, hosted tools…). */
export function ignoredHeader(ignored: string[]): Record<string, string> {
  return ignored.length ? { "x-hotpath-ignored": ascii(ignored.join(", ")) } : {};
}
