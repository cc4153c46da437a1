// The HTTP server: security checks, routing, body limits, validation, cancellation on disconnect, and errors that
// always come in OpenAI's shape.
import { isUtf8 } from "node:buffer";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { CLOSE_GRACE_MS } from "./events.js";
import type { z } from "zod";
import { checkHostAndOrigin, checkToken, type AuthPolicy } from "./auth.js";
import { checkJsonValueDepth } from "../limits.js";
import { errorBody, fromZod, toHttpError } from "./errors.js";
import { HttpError, type RequestContext, type Route } from "./route.js";
import type { Services } from "./services.js";
import { randomHex } from "../traces/ids.js";
import { wholeBody } from "../whole-body.js";

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** The request target as a URL, or undefined when it cannot be one (e.g. `//[`). */
function parseRequestUrl(target: string | undefined): URL | undefined {
  try {
    // An origin-form target is a path: `//evil.com/v1/models` resolved against a base read as a scheme-relative URL
    // (host evil.com, path /v1/models) and was answered as /v1/models.
    if (target?.startsWith("/")) return new URL(`http://localhost${target}`);
    return new URL(target ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

function decodePathSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(
      400,
      `the path's ${name} segment ${JSON.stringify(segment)} is not valid percent-encoded UTF-8`,
      "invalid_request_error",
      "invalid_path",
      name,
    );
  }
}

/**
 * Bodies from this size on are decoded, parsed and validated in separate turns of the event loop, so that other
 * requests are answered between the steps: each step over a 9 MB body holds the loop for tens of milliseconds on a
 * quiet machine and 10× that at load; run back to back (with the cache key and the span after them) they held it for
 * seconds (issue #15). Smaller bodies go through at once: a turn costs a request a few microseconds.
 */
const STEPPED_BODY_BYTES = 256 * 1024;

/** Lets the event loop run other callbacks (I/O included) before going on, when the body is large. */
function stepAfter(bytes: number): Promise<void> | undefined {
  return bytes >= STEPPED_BODY_BYTES ? new Promise((resolve) => setImmediate(resolve)) : undefined;
}

/** The body parsed as JSON (any value), refused when compressed, not UTF-8, not JSON or nested too deep. */
async function readJsonValue(req: IncomingMessage, ctx: RequestContext): Promise<unknown> {
  refuseContentEncoding(req);
  const body = await ctx.readBody();
  await stepAfter(body.length);
  const text = utf8Text(body);
  await stepAfter(body.length);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(
      400,
      `the body is not valid JSON (${(e as Error).message}); send a JSON object with content-type application/json`,
      "invalid_request_error",
      "invalid_json",
    );
  }
  // Measured on the parsed value (V8's JSON.parse is not recursive; 1,000,000 levels parse), before recursive code
  // further on (schemas, canonical JSON) sees it: counting on the text read every character of a 9 MB body again.
  checkJsonValueDepth(value, "the body");
  await stepAfter(body.length);
  return value;
}

/** JSON bodies are read as sent: a compressed one is refused (rather than inflated without bound). */
function refuseContentEncoding(req: IncomingMessage): void {
  const encoding = req.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new HttpError(
      415,
      `Content-Encoding ${JSON.stringify(encoding)} is not accepted on this endpoint; send the JSON uncompressed`,
      "invalid_request_error",
      "unsupported_content_encoding",
    );
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export function newRequestId(): string {
  return `req_${randomHex(12)}`;
}

export function createHttpServer(services: Services, routes: Route[], policy: AuthPolicy): Server {
  const compiled = routes.map(compile);
  // Keep-alive outlasts any stall of the event loop (a model load still holds it for ~0.7 s idle, seconds on a loaded
  // machine): with Node's 5 s, a stall past it fired the idle timer before the next request on that socket was read,
  // and a client polling over keep-alive (agents, SDKs, the extension) got ECONNRESET. Clients learn it from the
  // Keep-Alive header and close idle sockets first.
  const server = createServer(
    { headersTimeout: 15_000, requestTimeout: 120_000, keepAliveTimeout: 65_000 },
    (req, res) => {
      void handle(req, res).catch((e) => services.log("error", `unhandled: ${(e as Error).stack ?? e}`));
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.timeOrigin + performance.now();
    const requestId = newRequestId();
    let match: { c: CompiledRoute; m: RegExpExecArray } | undefined;
    let errorRoute: CompiledRoute | undefined;
    res.setHeader("x-hotpath-request-id", requestId);
    // The event-loop sampler runs while requests are open (event-loop.ts).
    const sampler = services.metrics.loopSampler;
    sampler.enter();
    const controller = new AbortController();
    const timeout = setTimeout(
      () =>
        controller.abort(
          new HttpError(504, "the request took longer than the daemon's request timeout", "server_error", "timeout"),
        ),
      services.config.requestTimeoutS * 1000,
    );
    // A client that goes away cancels its work (generation stops, the sequence is freed).
    res.on("close", () => {
      sampler.leave();
      clearTimeout(timeout);
      if (!res.writableFinished) controller.abort(new HttpError(499, "client disconnected", "client_closed"));
    });
    try {
      // The route is looked up first only so that refusals come in its error shape (Anthropic's on /v1/messages);
      // the Host/Origin check still runs before anything else is said about the path.
      const url = parseRequestUrl(req.url);
      const method = req.method ?? "GET";
      let pathMatched: CompiledRoute | undefined;
      for (const c of url ? compiled : []) {
        const m = c.pattern.exec(url!.pathname);
        if (!m) continue;
        pathMatched ??= c;
        if (c.route.method === method) {
          match = { c, m };
          break;
        }
      }
      errorRoute = match?.c ?? pathMatched;
      checkHostAndOrigin(req, policy);
      if (!url)
        throw new HttpError(
          400,
          `the request target ${JSON.stringify(req.url)} is not a valid path`,
          "invalid_request_error",
          "invalid_path",
        );
      if (!match) {
        if (pathMatched)
          throw new HttpError(
            405,
            `method ${method} is not allowed on ${url.pathname}`,
            "invalid_request_error",
            "method_not_allowed",
          );
        throw new HttpError(
          404,
          `no endpoint ${method} ${url.pathname}; see 'hotpath --help' for the API`,
          "invalid_request_error",
          "not_found",
        );
      }
      if (!match.c.route.public) checkToken(req, policy);
      const params: Record<string, string> = {};
      match.c.names.forEach((name, i) => (params[name] = decodePathSegment(match!.m[i + 1], name)));
      const limit = match.c.route.bodyLimitBytes ?? services.config.bodyLimitBytes;
      let bodyPromise: Promise<Buffer> | undefined;
      let jsonPromise: Promise<unknown> | undefined;
      const ctx: RequestContext = {
        req,
        res,
        url,
        params,
        requestId,
        receivedAt,
        signal: controller.signal,
        readBody: () => (bodyPromise ??= readBody(req, limit)),
        readJsonValue: () => (jsonPromise ??= readJsonValue(req, ctx)),
        readJson: async <S extends z.ZodType>(schema: S) => {
          const parsed = schema.safeParse(await ctx.readJsonValue());
          if (!parsed.success) throw fromZod(parsed.error);
          // What follows (the cache key hashes the whole request) starts in a turn of its own.
          await stepAfter((await bodyPromise!).length);
          return parsed.data as z.infer<S>;
        },
        send: (status, body, headers = {}) => {
          if (res.headersSent) return;
          const text = JSON.stringify(body);
          res.writeHead(status, {
            "content-type": "application/json; charset=utf-8",
            "content-length": Buffer.byteLength(text),
            ...headers,
          });
          res.end(text);
        },
      };
      await match.c.route.handle(ctx, services);
    } catch (e) {
      // Refused before its body was read (Host, auth, encoding…): read and drop the rest, so the client still
      // uploading gets this answer rather than a reset connection.
      if (!req.readableEnded && req.listenerCount("data") === 0) discardRest(req, 0, services.config.bodyLimitBytes);
      const err = toHttpError(e);
      if (err.status >= 500 && err.status !== 503 && err.status !== 504)
        services.log("error", `${req.method} ${req.url?.split("?")[0]}: ${err.message}`);
      if (!res.headersSent) {
        const text = JSON.stringify((errorRoute?.route.errorBody ?? errorBody)(err));
        res.writeHead(err.status, {
          "content-type": "application/json; charset=utf-8",
          "content-length": Buffer.byteLength(text),
          ...err.headers,
        });
        res.end(text);
      } else if (!res.writableEnded) {
        res.end();
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  attachEvents(server, services, policy);
  return server;
}

/**
 * Past the limit the daemon answers 413 at once but keeps reading and discarding the rest of the body (up to this
 * much), so a client still uploading gets its 413 instead of a broken pipe; beyond it the connection is cut.
 */
const DISCARD_CAP_BYTES = 64 * 1024 * 1024;

function tooLarge(limit: number, declared?: number): HttpError {
  const what = declared !== undefined ? `the body is ${declared} bytes,` : "the body is";
  return new HttpError(
    413,
    `${what} over the ${limit}-byte limit; send less or raise --body-limit`,
    "invalid_request_error",
    "body_too_large",
  );
}

function discardRest(req: IncomingMessage, alreadyRead: number, limit: number): void {
  let seen = alreadyRead;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit + DISCARD_CAP_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * The body as text, refusing bytes that are not UTF-8 (JSON exchanged between systems MUST be UTF-8, RFC 8259 §8.1).
 * Decoding them leniently turns each bad sequence into U+FFFD and silently changes the request: a key
 * `"\xE2\x82max_output_tokens"` became an unknown field, so a request that set a cap ran with none (fuzz seed 15 #1183).
 */
function utf8Text(body: Buffer): string {
  if (!isUtf8(body))
    throw new HttpError(
      400,
      "the body is not valid UTF-8; JSON must be sent UTF-8 encoded (RFC 8259 §8.1)",
      "invalid_request_error",
      "invalid_json",
    );
  return body.toString("utf8");
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declaredHeader = req.headers["content-length"];
  const declared = declaredHeader === undefined ? undefined : Number(declaredHeader);
  if (declared !== undefined && Number.isFinite(declared) && declared > limit) {
    discardRest(req, 0, limit);
    return Promise.reject(tooLarge(limit, declared));
  }
  // 'request' is emitted as the head is parsed; by the next microtask the socket's data callback has returned and the
  // parser has the usual small body and its end (wholeBody).
  return Promise.resolve().then(() => wholeBody(req, limit) ?? streamBody(req, limit, declared));
}

/** The body as it arrives (see readBody). */
function streamBody(req: IncomingMessage, limit: number, declared: number | undefined): Promise<Buffer> {
  // With a declared length the body is copied into one buffer as it arrives (Node's parser delivers exactly that many
  // bytes, no more), rather than joined at the end: joining a 9 MB body was one more copy of it in a single turn (#15).
  const whole =
    declared !== undefined && Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        discardRest(req, size + chunk.length, limit);
        reject(tooLarge(limit));
        return;
      }
      if (whole && size + chunk.length > whole.length) {
        discardRest(req, size + chunk.length, limit);
        reject(
          new HttpError(400, "the body is longer than its Content-Length", "invalid_request_error", "invalid_body"),
        );
        return;
      }
      if (whole) chunk.copy(whole, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on("end", () => resolve(whole ? whole.subarray(0, size) : Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new HttpError(499, "client disconnected while sending the body", "client_closed")));
  });
}

/** WebSocket /hotpath/events, with the same Host/Origin/token checks as HTTP (token also as ?token= for browsers). */
function attachEvents(server: Server, services: Services, policy: AuthPolicy): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node hands an upgrade's socket over without its own error listener: a client that reset the connection while
    // being refused (write ECONNRESET) threw an unhandled 'error' event and stopped the daemon, before any check.
    socket.on("error", () => socket.destroy());
    // Parsed inside the try: a target that is no URL (`//[`) threw out of this listener and stopped the daemon.
    const url = parseRequestUrl(req.url);
    try {
      checkHostAndOrigin(req, policy);
      if (url?.pathname !== "/hotpath/events") throw new HttpError(404, "no WebSocket endpoint here");
      const queryToken = url.searchParams.get("token");
      if (queryToken && !req.headers.authorization) req.headers.authorization = `Bearer ${queryToken}`;
      checkToken(req, policy);
    } catch (e) {
      // Refused before its body was read (Host, auth, encoding…): read and drop the rest, so the client still
      // uploading gets this answer rather than a reset connection.
      if (!req.readableEnded && req.listenerCount("data") === 0) discardRest(req, 0, services.config.bodyLimitBytes);
      const err = toHttpError(e);
      socket.end(
        `HTTP/1.1 ${err.status} ${err.code ?? "error"}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify(errorBody(err))}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const unsubscribe = services.events.subscribe(
        (event) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
        },
        () => {
          // The daemon is stopping: 1001 "going away", and cut it if the client does not answer the close.
          ws.close(1001, "the daemon is shutting down");
          setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
        },
      );
      ws.on("close", unsubscribe);
      ws.on("error", unsubscribe);
    });
  });
  server.on("close", () => wss.close());
}
