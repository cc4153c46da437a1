// What went wrong with a request, in terms every wire format can render: a status (HTTP's numbers, which both
// OpenAI and Anthropic speak), an OpenAI-style type and code, the parameter at fault and headers such as
// retry-after. The span records the same status and code the client is shown.
import { ContextOverflowError } from "../engine/generate.js";
import { ModelUnavailableError } from "../engine/engine.js";
import { QueueFullError } from "../engine/pool.js";
import { UnsupportedContentError } from "../engine/prompt.js";
import { InputLimitError } from "../limits.js";
import { RouterError } from "../router/router.js";

export interface Failure {
  status: number;
  message: string;
  type: string;
  code: string | null;
  param: string | null;
  headers: Record<string, string>;
}

/** An error that already says its status (the server's HttpError, an abort reason): kept as it is. */
function isFailure(e: unknown): e is Failure & Error {
  const f = e as Partial<Failure> | null;
  return e instanceof Error && typeof f?.status === "number" && typeof f.type === "string";
}

export function describeFailure(e: unknown): Failure {
  const fail = (
    status: number,
    message: string,
    type: string,
    code: string | null,
    param: string | null = null,
    headers = {},
  ) => ({ status, message, type, code, param, headers }) satisfies Failure;
  if (e instanceof RouterError) {
    // A local engine error (queue full, context overflow…) keeps its own status; the router's own carry theirs.
    if (e.cause !== undefined && e.code === "backend_error") return describeFailure(e.cause);
    return fail(e.status, e.message, e.type, e.code, e.code === "model_not_found" ? "model" : null, e.headers);
  }
  if (e instanceof QueueFullError) {
    const message = `${e.message}; retry after ${e.retryAfterS} s or lower the request rate`;
    return fail(429, message, "rate_limit_error", "queue_full", null, { "retry-after": String(e.retryAfterS) });
  }
  if (e instanceof ModelUnavailableError) {
    const status = e.code === "model_not_found" ? 404 : 503;
    const headers: Record<string, string> = e.code === "model_loading" ? { "retry-after": "10" } : {};
    return fail(status, e.message, status === 404 ? "invalid_request_error" : "server_error", e.code, "model", headers);
  }
  if (e instanceof ContextOverflowError)
    return fail(400, e.message, "invalid_request_error", "context_length_exceeded", e.param);
  if (e instanceof InputLimitError) {
    return fail(
      400,
      e.message,
      "invalid_request_error",
      e.limit === "schemaValue" ? "unsupported_schema" : "limit_exceeded",
      e.param,
    );
  }
  if (e instanceof UnsupportedContentError)
    return fail(400, e.message, "invalid_request_error", "unsupported_content", "messages");
  if (isFailure(e)) return fail(e.status, e.message, e.type, e.code ?? null, e.param ?? null, e.headers ?? {});
  const message = e instanceof Error ? e.message : String(e);
  if (/grammar|json schema|GBNF/i.test(message)) {
    return fail(
      400,
      `the JSON schema cannot be enforced: ${message}`,
      "invalid_request_error",
      "unsupported_schema",
      "response_format",
    );
  }
  return fail(500, `internal error: ${message}`, "server_error", "internal_error");
}
