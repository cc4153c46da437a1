// The priority class of a request, from the x-hotpath-priority header (default interactive).
import type { IncomingHttpHeaders } from "node:http";
import { PRIORITIES, type Priority } from "../chat.js";
import { HttpError } from "./route.js";

export function readPriority(headers: IncomingHttpHeaders, fallback: Priority = "interactive"): Priority {
  const raw = headers["x-hotpath-priority"];
  if (raw === undefined) return fallback;
  const value = String(raw).trim().toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(value)) return value as Priority;
  throw new HttpError(400, `x-hotpath-priority must be one of ${PRIORITIES.join(", ")}, not "${raw}"`, "invalid_request_error", "invalid_priority", "x-hotpath-priority");
}
