// What every translator hands the pipeline about the caller, read from the HTTP request: its id, abort signal, the
// priority class it asked for (x-hotpath-priority), its cache directives and its trace.
import type { IncomingHttpHeaders } from "node:http";
import { PRIORITIES, type Priority } from "../chat.js";
import type { ChatInput } from "../pipeline/request.js";
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
