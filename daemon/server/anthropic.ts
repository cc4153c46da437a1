// Anthropic's wire format as the server speaks it: its error shape, and a Messages body as the internal chat request
// (used by /v1/messages and /v1/messages/count_tokens alike).
import type { AnthropicError, AnthropicMessagesRequest, ChatCompletionRequest } from "../api.js";
import { messagesToChat, TranslationError } from "../router/translate/request.js";
import { HttpError } from "./route.js";

/** Anthropic's error types by HTTP status. */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  504: "timeout_error",
  529: "overloaded_error",
};

export function anthropicErrorBody(e: HttpError): AnthropicError {
  const type = ERROR_TYPES[e.status] ?? (e.status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message: e.message } };
}

/** A Messages body as the internal chat request; what cannot be translated is the client's 400. */
export function chatRequestOf(body: AnthropicMessagesRequest, ignored?: string[]): ChatCompletionRequest {
  try {
    return messagesToChat(body, ignored);
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    throw new HttpError(400, `invalid request: ${e.message}`, "invalid_request_error", "invalid_value", "messages");
  }
}
