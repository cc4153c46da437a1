// The priority class a request asks for in its x-hotpath-priority header; without one, the route's configured
// default applies (Router.defaultPriority).
import type { IncomingHttpHeaders } from "node:http";
import { PRIORITIES, type Priority } from "../chat.js";
import { HttpError } from "./route.js";

export function readPriority(headers: IncomingHttpHeaders): Priority | undefined {
  const raw = headers["x-hotpath-priority"];
  if (raw === undefined) return undefined;
  const value = String(raw).trim().toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(value)) return value as Priority;
  throw new HttpError(400, `x-hotpath-priority must be one of ${PRIORITIES.join(", ")}, not "${raw}"`, "invalid_request_error", "invalid_priority", "x-hotpath-priority");
}
