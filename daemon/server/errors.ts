// Failures as HTTP errors with OpenAI's shape (routes with another wire format render their own body from the same
// HttpError); what a failure means is decided once, in the pipeline (describeFailure).
import { ZodError } from "zod";
import type { ApiError } from "../api.js";
import { describeFailure } from "../pipeline/failure.js";
import { HttpError } from "./route.js";

export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ZodError) return fromZod(e);
  const f = describeFailure(e);
  return new HttpError(f.status, f.message, f.type, f.code, f.param, f.headers);
}

export function fromZod(e: ZodError): HttpError {
  const issues = e.issues.slice(0, 10).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  const first = e.issues[0]?.path.join(".") || null;
  return new HttpError(400, `invalid request: ${issues.join("; ")}`, "invalid_request_error", "invalid_value", first);
}

export function errorBody(e: HttpError): ApiError {
  return { error: { message: e.message, type: e.type, code: e.code, param: e.param } };
}
