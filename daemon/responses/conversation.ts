// A Responses request's conversation: its input items, and what previous_response_id continues. A response Hotpath
// made is continued from the store on every route (its conversation inlined into the request, also for a
// pass-through); an id Hotpath did not make is the upstream's to resolve, so only a route to OpenAI can continue it.
import type { ResponsesInputItem, ResponsesRequest, ResponsesResponse } from "../api.js";
import { ResponseStore, continuation } from "./store.js";

export interface Conversation {
  /** The stored conversation this request continues (empty when none, or when it is the upstream's). */
  history: ResponsesInputItem[];
  /** Everything the model is asked with: the history, then this request's input (a string as one user message). */
  input: ResponsesInputItem[];
  /** The body a same-format route forwards: as sent, or with a stored previous response inlined as input. */
  nativeBody: Record<string, unknown>;
  /** A previous_response_id not in the store: an error unless the answering route is the upstream that made it. */
  unresolved?: string;
}

export function openConversation(
  store: ResponseStore,
  body: ResponsesRequest,
  raw: Record<string, unknown>,
): Conversation {
  const own: ResponsesInputItem[] =
    typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : (body.input ?? []);
  const previous = body.previous_response_id;
  const prev = previous ? store.get(previous) : undefined;
  if (!previous || prev?.upstream) return { history: [], input: own, nativeBody: raw };
  if (!prev) return { history: [], input: own, nativeBody: raw, unresolved: previous };
  const history = continuation(prev);
  const nativeBody: Record<string, unknown> = { ...raw, input: [...history, ...own] };
  delete nativeBody.previous_response_id;
  return { history, input: [...history, ...own], nativeBody };
}

/**
 * Keeps a response Hotpath made (unless the request said store: false), for previous_response_id and GET. A failure
 * to keep it (a conversation over the size bound, a full disk) is told to `warn`: the answer itself still goes out.
 */
export function keepResponse(
  store: ResponseStore,
  body: ResponsesRequest,
  conversation: Conversation,
  made: { route: string; response: ResponsesResponse },
  warn: (message: string) => void,
): void {
  if (body.store === false) return;
  const { route, response } = made;
  try {
    store.put({ id: response.id, route, upstream: false, input: conversation.input, response });
  } catch (e) {
    warn(`responses: could not store ${response.id}: ${(e as Error).message}`);
  }
}
