// HTTP to an upstream API: one keep-alive connection pool per provider (its connections per origin are the provider's
// concurrency limit), errors classified for retry decisions, SSE parsed incrementally (nothing is buffered beyond one
// event).
//
// The client is undici's (an Agent per provider), not node:http's: side by side against the same fake upstream in
// another process, a request and its whole JSON answer cost ~39 µs less CPU and ~44 µs less wall time than
// http.request through a keep-alive http.Agent (whose addRequest alone was ~20 µs); in the daemon, per routed request,
// 39 µs less (same-run A/B, docs/pipeline.md sixth pass).
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { Agent, errors as undiciErrors } from "undici";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { ChatOptions } from "../../chat.js";
import { redact } from "../secrets.js";
import { jsonPayload } from "./json-payload.js";

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
  agent: Agent;
  /**
   * Set while a connection of this provider that has just answered is not yet free: undici hands it back to its pool a
   * turn of the event loop after the answer ends (setImmediate: bytes the server sent after it are read first), and a
   * request sent sooner (a fallback to another model of the same provider, or a caller's loop) would open another one.
   */
  freeing?: Promise<void>;
}

/** Marks the provider's answered connection as freeing until undici's own turn has passed (see Connection.freeing). */
function freeingTurn(conn: Connection): void {
  conn.freeing ??= new Promise((resolve) =>
    setImmediate(() => {
      conn.freeing = undefined;
      resolve();
    }),
  );
}

/** Whether the whole answer has arrived: the stream's own record that its source pushed the end (push(null)); 'end'
 * itself is emitted only once the body is read. */
function answered(body: Readable): boolean {
  return (body as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
}

/** The provider's pool: keep-alive connections, at most `maxSockets` to each origin (10 s idle before they close). */
export function createAgent(maxSockets: number): Agent {
  return new Agent({ connections: maxSockets, keepAliveTimeout: 10_000 });
}

/** A 2xx answer's status, headers and body (read it to its end, or destroy it: the connection waits on it). */
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** Reads retry-after-ms (OpenAI, Anthropic) or retry-after (seconds or an HTTP date). */
export function parseRetryAfter(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
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

/** Where a request goes, as undici's request options: origin, path, and URL credentials as a Basic header. */
interface Target {
  origin: string;
  path: string;
  basic?: string;
}

/** Parsed targets by URL text: a provider's few URLs are parsed once, not a URL object per request. */
const targets = new Map<string, Target>();

function targetOf(urlText: string): Target {
  let t = targets.get(urlText);
  if (t) return t;
  const u = new URL(urlText);
  // As node:http sent them (its `auth` option): the URL's user and password, percent-decoded.
  const auth = u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : "";
  t = {
    origin: u.origin,
    path: `${u.pathname}${u.search}`,
    ...(auth ? { basic: `Basic ${Buffer.from(auth).toString("base64")}` } : {}),
  };
  if (targets.size >= 256) targets.clear(); // query strings vary: keep it bounded
  targets.set(urlText, t);
  return t;
}

/**
 * POSTs JSON to `url` (absolute URL text); resolves with the response once a 2xx status arrives. Non-2xx statuses
 * become UpstreamError with the upstream's own message. The idle timeouts cover the time to the answer's head and
 * silences mid-body (connecting: undici's own limit, 10 s); the router's own watchdog (same limit, any backend) normally fires
 * first, this is the backstop. Aborting `signal` before the answer ends drops the connection. `whileWaiting` (the
 * caller's, ChatOptions.whileWaiting) runs once the request is handed over. A Buffer `body` is sent as it is.
 */
export async function postJson(
  conn: Connection,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  { signal, whileWaiting }: Pick<ChatOptions, "signal" | "whileWaiting">,
  idleTimeoutMs: number,
): Promise<UpstreamResponse> {
  // A body without long strings is sent as the string it is (a large one as its bytes), without a promise turn; one
  // with them as bytes written a slice per turn of the event loop (json-payload.ts).
  const pending = Buffer.isBuffer(body) ? body : jsonPayload(body);
  const payload = typeof pending === "string" || Buffer.isBuffer(pending) ? pending : await pending;
  if (conn.freeing) await conn.freeing;
  if (signal.aborted) throw new UpstreamError("the request was cancelled", "aborted");
  const target = targetOf(url);
  const sent: Record<string, string> = {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  };
  if (target.basic && sent.authorization === undefined) sent.authorization = target.basic;
  let answer;
  try {
    const asked = conn.agent.request({
      origin: target.origin,
      path: target.path,
      method: "POST",
      headers: sent,
      body: payload,
      signal,
      headersTimeout: idleTimeoutMs + 1_000,
      bodyTimeout: idleTimeoutMs + 1_000,
    });
    // undici writes the request before the next check phase on a kept-alive connection (once connected on a new
    // one), so the caller's work then delays no byte of it.
    if (whileWaiting) setImmediate(whileWaiting);
    answer = await asked;
  } catch (e) {
    if (signal.aborted) throw new UpstreamError("the request was cancelled", "aborted");
    if (e instanceof undiciErrors.HeadersTimeoutError)
      throw new UpstreamError(`${conn.name} sent nothing for ${idleTimeoutMs} ms (timeout)`, "timeout", 408);
    throw asUpstreamError(e, conn.name);
  }
  const res: UpstreamResponse = {
    statusCode: answer.statusCode,
    headers: answer.headers as IncomingHttpHeaders,
    body: answer.body,
  };
  // Surfaced to whoever reads the body; unheard, an error event (a connection dropped mid-body) would end the process.
  res.body.on("error", () => {});
  if (answered(res.body)) freeingTurn(conn);
  else res.body.once("end", () => freeingTurn(conn));
  const status = res.statusCode;
  if (status >= 200 && status < 300) return res;
  const text = await readCapped(res.body, MAX_ERROR_BODY).catch(() => "");
  throw httpError(conn.name, status, res.headers, text);
}

function httpError(provider: string, status: number, headers: IncomingHttpHeaders, text: string): UpstreamError {
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
  if (err?.name === "AbortError" || err?.code === "UND_ERR_ABORTED")
    return new UpstreamError("the request was cancelled", "aborted");
  if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError)
    return new UpstreamError(`${provider} sent nothing in time (timeout)`, "timeout", 408);
  const code = err?.code ? ` (${err.code})` : "";
  // undici's own limit on connecting (10 s): a timeout, retried like one.
  const kind = e instanceof undiciErrors.ConnectTimeoutError ? "timeout" : "connection";
  return new UpstreamError(`cannot reach ${provider}: ${err?.message ?? String(e)}${code}`, kind);
}

/**
 * The body when all of it has arrived and nothing reads it yet (the usual unstreamed answer: it came with its head in
 * one socket read), at most `limit` bytes, taken in one read(); undefined when it must be read as it arrives. undici
 * hands the connection back to its pool once the answer has arrived, whoever reads the body, so this needs no wait for
 * 'end' (node:http's did, or a retry sent at once opened a second connection).
 */
function arrivedWhole(body: Readable, limit: number): Buffer | undefined {
  if (!answered(body) || body.readableFlowing !== null || body.readableEncoding || body.readableLength > limit)
    return undefined;
  return (body.read() as Buffer | null) ?? Buffer.alloc(0);
}

/**
 * The body as text, cut at `limit` bytes (the connection is then dropped). Plain 'data'/'end' listeners, not the
 * stream's async iterator: that one costs every unstreamed answer several promise turns after its last byte.
 */
function readCapped(body: Readable, limit: number): Promise<string> {
  const whole = arrivedWhole(body, limit);
  if (whole) return Promise.resolve(whole.toString("utf8"));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      body.off("data", onData);
      body.off("end", done);
      body.off("close", onClose);
      body.off("error", onError);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        done();
        body.destroy();
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
      body.off("data", onData);
      body.off("end", done);
      body.off("close", onClose);
      body.off("error", onError);
      reject(e);
    };
    body.on("data", onData);
    body.on("end", done);
    body.on("close", onClose);
    body.on("error", onError);
  });
}

export async function readJson<T>(res: UpstreamResponse, provider: string): Promise<T> {
  return (await readJsonText<T>(res, provider)).value;
}

/** The JSON body and its exact text (a pass-through relays the text). */
export async function readJsonText<T>(res: UpstreamResponse, provider: string): Promise<{ value: T; text: string }> {
  let text: string;
  try {
    text = await readCapped(res.body, MAX_JSON_BODY);
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
  res: UpstreamResponse,
  provider: string,
  onRaw?: (chunk: string) => void,
): AsyncGenerator<EventSourceMessage> {
  const body = res.body;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => queue.push(m) });
  let ended = false;
  /** The body's end was read (the answer is complete). */
  let complete = false;
  let failure: UpstreamError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Decoded here, not by setEncoding (undici's body records the encoding but still emits Buffers); a character split
  // across two chunks is joined.
  const decoder = new StringDecoder("utf8");
  const onData = (bytes: Buffer) => {
    const chunk = decoder.write(bytes);
    if (!chunk) return;
    onRaw?.(chunk);
    parser.feed(chunk);
    if (queue.length > 32) body.pause();
    notify();
  };
  const onEnd = () => {
    complete = true;
    ended = true;
    notify();
  };
  const onClose = () => {
    // An incomplete response (connection closed before the body's end) is a failure, not an end.
    if (!complete && !failure)
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
  body.on("data", onData);
  body.on("end", onEnd);
  body.on("close", onClose);
  body.on("error", onError);
  let finished = false;
  try {
    for (;;) {
      while (queue.length) {
        yield queue.shift()!;
        if (queue.length <= 8 && body.isPaused()) body.resume();
      }
      if (failure) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    parser.feed("\n\n");
    while (queue.length) yield queue.shift()!;
    finished = true;
  } finally {
    body.off("data", onData);
    if (!finished && !complete && !failure) {
      // Stopped early: drain what is left (normally just the chunked terminator), but never wait on it for long.
      const timer = setTimeout(() => body.destroy(), 2_000).unref();
      body.once("end", () => clearTimeout(timer));
      body.once("close", () => clearTimeout(timer));
      body.resume();
    }
  }
}
