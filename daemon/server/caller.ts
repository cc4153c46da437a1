// What every translator hands the pipeline about the caller, read from the HTTP request: its id, abort signal, the
// priority class it asked for (x-hotpath-priority), its cache directives and its trace; and its request as sent, for a
// backend of the same API to forward.
import type { IncomingHttpHeaders } from "node:http";
import { PRIORITIES, type NativeRequest, type Priority, type WireFormat } from "../chat.js";
import type { ChatInput } from "../pipeline/request.js";
import { forwardableHeaders } from "../router/providers/passthrough.js";
import { requestTraceContext } from "../traces/traceparent.js";
import { HttpError, type RequestContext } from "./route.js";

export function readPriority(headers: IncomingHttpHeaders): Priority | undefined {
  const raw = headers["x-hotpath-priority"];
  if (raw === undefined) return undefined;
  const value = String(raw).trim().toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(value)) return value as Priority;
  throw new HttpError(
    400,
    `x-hotpath-priority must be one of ${PRIORITIES.join(", ")}, not "${raw}"`,
    "invalid_request_error",
    "invalid_priority",
    "x-hotpath-priority",
  );
}

export function caller(ctx: RequestContext, endpoint: string, stream: boolean): Omit<ChatInput, "request" | "record"> {
  const headers = ctx.req.headers;
  return {
    requestId: ctx.requestId,
    receivedAt: ctx.receivedAt,
    signal: ctx.signal,
    endpoint,
    stream,
    priority: readPriority(headers),
    cache: { directives: headers },
    trace: requestTraceContext(headers),
  };
}

/** The client's request as sent (`body`: the route's own rewrite of it, when it keeps one). */
export async function nativeRequest(
  ctx: RequestContext,
  format: WireFormat,
  body?: Record<string, unknown>,
): Promise<NativeRequest> {
  const sent = (await ctx.readJsonValue()) as Record<string, unknown>;
  const value = body ?? sent;
  return {
    format,
    body: value,
    // The body as sent (a route may pass it on as its own: /v1/responses without a stored conversation to inline) comes
    // with its bytes, which a same-format pass-through sends with the model spliced in (native-body.ts).
    ...(value === sent ? { raw: await ctx.readBody() } : {}),
    headers: forwardableHeaders(ctx.req.headers),
    query: ctx.url.search,
  };
}
