// What a route module provides, and what a route handler gets. Route modules live in server/routes/ and export
// `routes: Route[]`; server/routes/index.ts lists them all.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Services } from "./services.js";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** `:name` segments of the route's path. */
  params: Record<string, string>;
  requestId: string;
  /** When the request arrived (ms since epoch, performance.timeOrigin based). */
  receivedAt: number;
  /** Aborted when the client disconnects or the request times out: stop work and free resources. */
  signal: AbortSignal;
  /** The raw body, refused with 413 past the route's limit. */
  readBody(): Promise<Buffer>;
  /**
   * The body parsed as JSON, not validated; parsed once per request (readJson validates this same value, and schema
   * parsing builds new objects, so it stays as the client sent it). Never modify it.
   */
  readJsonValue(): Promise<unknown>;
  /** The body parsed as JSON and validated: 400 with every problem listed (path: message) when it does not fit. */
  readJson<S extends z.ZodType>(schema: S): Promise<z.infer<S>>;
  /** Sends a JSON response. */
  send(status: number, body: unknown, headers?: Record<string, string>): void;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path with optional `:param` segments, e.g. "/hotpath/traces/:id". */
  path: string;
  /** Public routes need no bearer token (only /healthz). */
  public?: boolean;
  /** Overrides the configured body limit (e.g. trace imports). */
  bodyLimitBytes?: number;
  handle(ctx: RequestContext, services: Services): Promise<void> | void;
  /** The body of this route's error responses (auth and validation failures included); default: OpenAI's shape. */
  errorBody?: (e: HttpError) => unknown;
}

/** An error with an HTTP status, rendered in OpenAI's error shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = status >= 500 ? "server_error" : "invalid_request_error",
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
