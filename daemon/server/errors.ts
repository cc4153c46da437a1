// Maps failures from lower layers onto HTTP errors with OpenAI's shape; anything unknown is a 500 that says so.
import { ZodError } from "zod";
import { ContextOverflowError } from "../engine/generate.js";
import { ModelUnavailableError } from "../engine/engine.js";
import { QueueFullError } from "../engine/pool.js";
import { UnsupportedContentError } from "../engine/prompt.js";
import { RouterError } from "../router/router.js";
import type { ApiError } from "../api.js";
import { InputLimitError } from "../limits.js";
import { HttpError } from "./route.js";

export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ZodError) return fromZod(e);
  if (e instanceof RouterError) {
    // A local engine error (queue full, context overflow…) keeps its own status; the router's own carry theirs.
    if (e.cause !== undefined && e.code === "backend_error") return toHttpError(e.cause);
    return new HttpError(e.status, e.message, e.type, e.code, e.code === "model_not_found" ? "model" : null, e.headers);
  }
  if (e instanceof QueueFullError) {
    return new HttpError(429, `${e.message}; retry after ${e.retryAfterS} s or lower the request rate`, "rate_limit_error", "queue_full", null, { "retry-after": String(e.retryAfterS) });
  }
  if (e instanceof ModelUnavailableError) {
    const status = e.code === "model_not_found" ? 404 : 503;
    const headers: Record<string, string> = e.code === "model_loading" ? { "retry-after": "10" } : {};
    return new HttpError(status, e.message, status === 404 ? "invalid_request_error" : "server_error", e.code, "model", headers);
  }
  if (e instanceof ContextOverflowError) return new HttpError(400, e.message, "invalid_request_error", "context_length_exceeded", e.param);
  if (e instanceof InputLimitError) {
    const code = e.limit === "schemaValue" ? "unsupported_schema" : "limit_exceeded";
    return new HttpError(400, e.message, "invalid_request_error", code, e.param);
  }
  if (e instanceof UnsupportedContentError) return new HttpError(400, e.message, "invalid_request_error", "unsupported_content", "messages");
  const message = e instanceof Error ? e.message : String(e);
  if (/grammar|json schema|GBNF/i.test(message)) return new HttpError(400, `the JSON schema cannot be enforced: ${message}`, "invalid_request_error", "unsupported_schema", "response_format");
  return new HttpError(500, `internal error: ${message}`, "server_error", "internal_error");
}

export function fromZod(e: ZodError): HttpError {
  const issues = e.issues.slice(0, 10).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  const first = e.issues[0]?.path.join(".") || null;
  return new HttpError(400, `invalid request: ${issues.join("; ")}`, "invalid_request_error", "invalid_value", first);
}

export function errorBody(e: HttpError): ApiError {
  return { error: { message: e.message, type: e.type, code: e.code, param: e.param } };
}
