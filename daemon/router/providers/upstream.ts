// HTTP to an upstream API: one keep-alive agent per provider (its maxSockets is the provider's concurrency limit),
// errors classified for retry decisions, SSE parsed incrementally (nothing is buffered beyond one event).
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { urlToHttpOptions } from "node:url";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { redact } from "../secrets.js";
import { jsonPayload } from "./json-payload.js";
import { wholeBody } from "../../whole-body.js";

/** "backend": a failure of a non-HTTP backend (the local engine), kept as `cause` for the server to map. */
export type UpstreamErrorKind = "http" | "connection" | "timeout" | "protocol" | "aborted" | "config" | "backend";

/** A failure talking to an upstream; `message` is safe to show (keys scrubbed). */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: UpstreamErrorKind,
    /** HTTP status from the upstream; 0 when there was none. */
    readonly status = 0,
    /** From retry-after-ms / retry-after, when the upstream sent one. */
    readonly retryAfterMs?: number,
    /** The upstream's error type, e.g. "rate_limit_error". */
    readonly upstreamType?: string,
    options?: { cause?: unknown },
  ) {
    super(redact(message), options);
  }

  /** 408/409/429/5xx, timeouts and connection errors may succeed if tried again. */
  get retryable(): boolean {
    if (this.kind === "connection" || this.kind === "timeout") return true;
    if (this.kind !== "http") return false;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

export interface Connection {
  /** Provider name, for messages. */
  name: string;
  agent: http.Agent;
}

export function createAgent(url: string, maxSockets: number): http.Agent {
  const opts = { keepAlive: true, maxSockets, keepAliveMsecs: 10_000, scheduling: "lifo" as const };
  return url.startsWith("https:") ? new https.Agent(opts) : new http.Agent(opts);
}

/** Reads retry-after-ms (OpenAI, Anthropic) or retry-after (seconds or an HTTP date). */
export function parseRetryAfter(headers: http.IncomingHttpHeaders, now = Date.now()): number | undefined {
  const ms = headers["retry-after-ms"];
  if (typeof ms === "string" && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers["retry-after"];
  if (typeof ra !== "string" || ra.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const MAX_ERROR_BODY = 64 * 1024;
const MAX_JSON_BODY = 32 * 1024 * 1024;

/** Where a request goes, as node:http's request options (no URL object per request). */
interface Target {
  mod: typeof http | typeof https;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  auth?: string;
}

/**
 * Parsed targets by URL text: a provider's few URLs are parsed once. Handing http.request a URL object cost each
 * request ~60 µs of CPU more than plain options (its conversion and the URL's getters; measured side by side against
 * the fake upstream, 3,000 requests each, twice), on top of parsing the URL text every time.
 */
const targets = new Map<string, Target>();

function targetOf(urlText: string): Target {
  let t = targets.get(urlText);
  if (t) return t;
  const o = urlToHttpOptions(new URL(urlText));
  t = {
    mod: o.protocol === "https:" ? https : http,
    protocol: o.protocol!,
    hostname: o.hostname!,
    ...(o.port !== undefined && o.port !== "" ? { port: Number(o.port) } : {}),
    path: o.path!,
    ...(o.auth ? { auth: o.auth } : {}),
  };
  if (targets.size >= 256) targets.clear(); // query strings vary: keep it bounded
  targets.set(urlText, t);
  return t;
}

/**
 * POSTs JSON to `url` (absolute URL text); resolves with the response once a 2xx status arrives. Non-2xx statuses
 * become UpstreamError with the upstream's own message. The socket's idle timeout covers connect, time to first byte
 * and silences mid-body; the router's own watchdog (same limit, any backend) normally fires first, this is the backstop.
 */
export async function postJson(
  conn: Connection,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
  idleTimeoutMs: number,
): Promise<IncomingMessage> {
  // A body without long strings is sent as the string it is, without a promise turn (the socket encodes it once: no
  // intermediate Buffer copy); one with them as bytes written a slice per turn of the event loop (json-payload.ts).
  const pending = jsonPayload(body);
  const payload = typeof pending === "string" ? pending : await pending;
  const { mod, ...target } = targetOf(url);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new UpstreamError("the request was cancelled", "aborted"));
    const req = mod.request({
      ...target,
      method: "POST",
      agent: conn.agent,
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(payload)),
      },
    });
    const onAbort = () => req.destroy(new UpstreamError("the request was cancelled", "aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    req.setTimeout(idleTimeoutMs + 1_000, () =>
      req.destroy(new UpstreamError(`${conn.name} sent nothing for ${idleTimeoutMs} ms (timeout)`, "timeout", 408)),
    );
    req.on("error", (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(asUpstreamError(e, conn.name));
    });
    req.on("response", (res) => {
      // The abort listener stays: it destroys the socket (and so the body stream) if the client goes away.
      res.once("close", () => signal.removeEventListener("abort", onAbort));
      res.on("error", () => {}); // surfaced to whoever iterates the body
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(res);
      readCapped(res, MAX_ERROR_BODY)
        .catch(() => "")
        .then((text) => reject(httpError(conn.name, status, res.headers, text)));
    });
    req.end(payload);
  });
}

function httpError(provider: string, status: number, headers: http.IncomingHttpHeaders, text: string): UpstreamError {
  let message = text.slice(0, 500);
  let type: string | undefined;
  try {
    // OpenAI: {error: {message, type}}; Anthropic: {type: "error", error: {type, message}}
    const parsed = JSON.parse(text) as { error?: { message?: string; type?: string } | string; message?: string };
    if (typeof parsed.error === "object" && parsed.error) {
      message = parsed.error.message ?? message;
      type = parsed.error.type;
    } else if (typeof parsed.error === "string") message = parsed.error;
    else if (parsed.message) message = parsed.message;
  } catch {
    /* not JSON: keep the text */
  }
  return new UpstreamError(
    `${provider} answered ${status}: ${message || "(no body)"}`,
    "http",
    status,
    parseRetryAfter(headers),
    type,
  );
}

/** One SSE message's JSON (an upstream's stream event); anything else is the upstream breaking its protocol. */
export function parseStreamEvent<T>(data: string, provider: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new UpstreamError(`${provider} sent a stream event that is not JSON`, "protocol", 502);
  }
}

export function asUpstreamError(e: unknown, provider: string): UpstreamError {
  if (e instanceof UpstreamError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === "AbortError") return new UpstreamError("the request was cancelled", "aborted");
  const code = err?.code ? ` (${err.code})` : "";
  return new UpstreamError(`cannot reach ${provider}: ${err?.message ?? String(e)}${code}`, "connection");
}

/**
 * The body as text, cut at `limit` bytes (the connection is then dropped). Plain 'data'/'end' listeners, not the
 * stream's async iterator: that one costs every unstreamed answer several promise turns after its last byte.
 */
function readCapped(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      res.off("data", onData);
      res.off("end", done);
      res.off("close", onClose);
      res.off("error", onError);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        done();
        res.destroy();
        return;
      }
      chunks.push(c);
    };
    // Closed before its end: the answer is incomplete (the async iterator threw 'premature close' here).
    const onClose = () =>
      onError(
        Object.assign(new Error("the connection closed before the body ended"), { code: "ERR_STREAM_PREMATURE_CLOSE" }),
      );
    const onError = (e: Error) => {
      res.off("data", onData);
      res.off("end", done);
      res.off("close", onClose);
      res.off("error", onError);
      reject(e);
    };
    // The usual unstreamed answer is already whole (wholeBody). 'end' still settles it: read() schedules it, and by
    // then the client has handed the keep-alive socket back, so a request sent right after this one (a retry, a
    // fallback) reuses it.
    const whole = wholeBody(res, limit);
    if (whole) chunks.push(whole);
    else res.on("data", onData);
    res.on("end", done);
    res.on("close", onClose);
    res.on("error", onError);
  });
}

export async function readJson<T>(res: IncomingMessage, provider: string): Promise<T> {
  return (await readJsonText<T>(res, provider)).value;
}

/** The JSON body and its exact text (a pass-through relays the text). */
export async function readJsonText<T>(res: IncomingMessage, provider: string): Promise<{ value: T; text: string }> {
  let text: string;
  try {
    text = await readCapped(res, MAX_JSON_BODY);
  } catch (e) {
    throw asUpstreamError(e, provider);
  }
  try {
    return { value: JSON.parse(text) as T, text };
  } catch {
    throw new UpstreamError(`${provider} sent a response that is not JSON`, "protocol", 502);
  }
}

/**
 * Yields SSE messages as they arrive; a connection that closes or errors mid-stream throws (never hangs). The body
 * is paused while the consumer lags (backpressure), so at most a few chunks are held. A consumer that stops early
 * (it saw the stream's logical end, e.g. [DONE]) lets the rest drain so the keep-alive socket is reused.
 */
export async function* sseMessages(
  res: IncomingMessage,
  provider: string,
  onRaw?: (chunk: string) => void,
): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => queue.push(m) });
  let ended = false;
  let failure: UpstreamError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: string) => {
    onRaw?.(chunk);
    parser.feed(chunk);
    if (queue.length > 32) res.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onClose = () => {
    // An incomplete response (socket closed before the chunked terminator) is a failure, not an end.
    if (!res.complete && !failure)
      failure = new UpstreamError(`${provider} closed the connection mid-stream`, "connection");
    ended = true;
    notify();
  };
  const onError = (e: NodeJS.ErrnoException) => {
    failure ??= new UpstreamError(
      `the connection to ${provider} broke mid-stream${e.code ? ` (${e.code})` : ""}`,
      "connection",
    );
    notify();
  };
  res.setEncoding("utf8");
  res.on("data", onData);
  res.on("end", onEnd);
  res.on("close", onClose);
  res.on("error", onError);
  let finished = false;
  try {
    for (;;) {
      while (queue.length) {
        yield queue.shift()!;
        if (queue.length <= 8 && res.isPaused()) res.resume();
      }
      if (failure) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    parser.feed("\n\n");
    while (queue.length) yield queue.shift()!;
    finished = true;
  } finally {
    res.off("data", onData);
    if (!finished && !res.complete && !failure) {
      // Stopped early: drain what is left (normally just the chunked terminator), but never wait on it for long.
      const timer = setTimeout(() => res.destroy(), 2_000).unref();
      res.once("end", () => clearTimeout(timer));
      res.once("close", () => clearTimeout(timer));
      res.resume();
    }
  }
}
