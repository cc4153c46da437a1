// When to try a route again, and how long to wait first: exponential backoff with full jitter, unless the upstream
// said how long (retry-after / retry-after-ms), in which case that is honoured exactly.
import { UpstreamError } from "./providers/upstream.js";

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  /** A retry-after beyond this is not waited for: better to fall back now. */
  maxRetryAfterMs: number;
}

/** Milliseconds to wait before retry number `retry` (1-based), or undefined when the error should not be retried. */
export function retryDelay(
  error: unknown,
  retry: number,
  policy: RetryPolicy,
  random = Math.random,
): number | undefined {
  if (retry > policy.maxRetries) return undefined;
  if (!(error instanceof UpstreamError) || !error.retryable) return undefined;
  if (error.retryAfterMs !== undefined)
    return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : undefined;
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Sleeps, or rejects as soon as the client goes away. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new UpstreamError("the request was cancelled", "aborted"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new UpstreamError("the request was cancelled", "aborted"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
