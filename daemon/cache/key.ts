// What a request is cached under. Everything except the last user text partitions the cache (the namespace): route,
// model, system prompt, tool definitions, the conversation before the last user message, and every parameter that
// changes the answer. Only the last user text is compared semantically; the exact key covers the whole request.
import type { ChatCompletionRequest, ChatMessage, CompletionRequest } from "../api.js";
import { hashCanonical } from "../canonical.js";
import { contentText } from "../chat.js";
import { normalizeText } from "./normalize.js";

export type CacheableRequest = ChatCompletionRequest | CompletionRequest;

export interface RequestKey {
  kind: "chat" | "completion";
  namespace: string;
  /** Hash of the namespace plus the full last turn(s): equal only for requests that want the same answer. */
  exactKey: string;
  /** The same, over the normalised text (case, spacing, Unicode NFKC, canonical JSON): the ladder's second rung. */
  normalKey: string;
  /** The text compared semantically (last user message, or the prompt). */
  queryText: string;
  /** "exact" when the request's shape makes semantic matching unsafe; `exactReason` says why. */
  match: "semantic" | "exact";
  exactReason?: string;
  /** temperature 0 or a seed: the backend answers the same way each time. */
  deterministic: boolean;
  /** Short human description of the namespace for `hotpath cache inspect`. */
  label: string;
  /** System/developer text, for the workload classifier. */
  instructions: string;
  responseFormat?: string;
  hasTools: boolean;
}

/** Parameters that change the answer; stream, user and metadata do not. */
function answerParams(r: CacheableRequest): Record<string, unknown> {
  const chat = "messages" in r ? r : undefined;
  return {
    temperature: r.temperature ?? null,
    top_p: r.top_p ?? null,
    seed: r.seed ?? null,
    max_tokens: ("max_completion_tokens" in r ? r.max_completion_tokens : undefined) ?? r.max_tokens ?? null,
    stop: r.stop ?? null,
    presence_penalty: r.presence_penalty ?? null,
    frequency_penalty: r.frequency_penalty ?? null,
    response_format: chat?.response_format ?? null,
    tool_choice: chat?.tool_choice ?? null,
    parallel_tool_calls: chat?.parallel_tool_calls ?? null,
    echo: "echo" in r ? (r.echo ?? null) : null,
  };
}

/** Text parts of a message joined by newlines, so that separate parts do not run into one word. */
const messageText = (m: ChatMessage) => contentText(m.content, "\n");

export function isDeterministic(r: CacheableRequest): boolean {
  return r.temperature === 0 || (r.seed !== undefined && r.seed !== null);
}

/**
 * `scope` (a user or tenant; "" for none) partitions the cache like the system prompt does: entries of one scope are
 * never candidates for another. It is part of the namespace hash only when set, so unscoped namespaces keep their ids.
 */
/**
 * Query texts longer than this match exactly only: the embedder's SentencePiece tokenizer (@energetic-ai/embeddings)
 * copies the rest of the text at every character, so its cost grows with the square of the length — a 279,000-character
 * message held the event loop for minutes (the fuzz suite's long strings). Semantic neighbours of such texts are not
 * what the cache is for anyway.
 */
export const SEMANTIC_QUERY_MAX_CHARS = 2_000;

function exactWhenLong(key: RequestKey): RequestKey {
  if (key.match === "exact" || key.queryText.length <= SEMANTIC_QUERY_MAX_CHARS) return key;
  // keyOf's own fresh object: changed in place, so its lazy keys stay unread.
  key.match = "exact";
  key.exactReason = `the query text is over ${SEMANTIC_QUERY_MAX_CHARS} characters (${key.queryText.length})`;
  return key;
}

/**
 * The exact and normalised keys hash the whole last turn (the normalised one after NFKC and case folding): computed
 * when first read, so a lookup the cache bypasses (no lookup, nothing stored) never pays for them. A class, not
 * accessors defined on each object: those make every key a slow dictionary-mode object.
 */
class LazyKey {
  private exact?: string;
  private normal?: string;
  constructor(
    fields: Omit<RequestKey, "exactKey" | "normalKey">,
    private readonly hashExact: () => string,
    private readonly hashNormal: () => string,
  ) {
    Object.assign(this, fields);
  }
  get exactKey(): string {
    return (this.exact ??= this.hashExact());
  }
  get normalKey(): string {
    return (this.normal ??= this.hashNormal());
  }
}

function withLazyKeys(
  key: Omit<RequestKey, "exactKey" | "normalKey">,
  exact: () => string,
  normal: () => string,
): RequestKey {
  return new LazyKey(key, exact, normal) as unknown as RequestKey;
}

export function requestKey(request: CacheableRequest, route: string, scope = ""): RequestKey {
  return exactWhenLong(keyOf(request, route, scope));
}

function keyOf(request: CacheableRequest, route: string, scope: string): RequestKey {
  const scoped = scope ? { scope } : {};
  const params = answerParams(request);
  const deterministic = isDeterministic(request);
  if (!("messages" in request)) {
    const prompt = Array.isArray(request.prompt) ? request.prompt[0] : request.prompt;
    const namespace = hashCanonical({ v: 1, kind: "completion", route, model: request.model, params, ...scoped });
    return withLazyKeys(
      {
        kind: "completion",
        namespace,
        queryText: prompt,
        match: "semantic",
        deterministic,
        label: `${scope ? `[${scope}] ` : ""}${route} ${request.model} completion`,
        instructions: "",
        hasTools: false,
      },
      () => hashCanonical({ namespace, prompt }),
      () => hashCanonical({ namespace, normal: normalizeText(prompt) }),
    );
  }
  const messages = request.messages;
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "user") {
      lastUser = i;
      break;
    }
  }
  const before = lastUser >= 0 ? messages.slice(0, lastUser) : messages;
  const after = lastUser >= 0 ? messages.slice(lastUser + 1) : [];
  const last = lastUser >= 0 ? messages[lastUser] : undefined;
  const namespace = hashCanonical({
    v: 1,
    kind: "chat",
    route,
    model: request.model,
    tools: request.tools ?? null,
    params,
    before,
    ...scoped,
  });
  let match: RequestKey["match"] = "semantic";
  let exactReason: string | undefined;
  const lastRole = messages[messages.length - 1].role;
  if (lastRole === "tool") {
    match = "exact";
    exactReason = "last turn is a tool result";
  } else if (lastUser < 0) {
    match = "exact";
    exactReason = "no user message";
  } else if (after.length > 0) {
    match = "exact";
    exactReason = `turns after the last user message (${lastRole})`;
  } else if (last?.role === "user" && typeof last.content !== "string" && last.content.some((p) => p.type !== "text")) {
    match = "exact";
    exactReason = "last user message holds non-text parts";
  }
  const instructions = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map(messageText)
    .join("\n");
  // The label needs 60 characters: collapsing whitespace over a whole 9 MB system prompt held the event loop for
  // seconds (15 s at load 18 for "i " × 4.5M), on every route, before any limit could refuse the request.
  const firstSystem = instructions.slice(0, 4096).replace(/\s+/g, " ").slice(0, 60);
  const key = withLazyKeys(
    {
      kind: "chat",
      namespace,
      queryText: last ? messageText(last) : "",
      match,
      exactReason,
      deterministic,
      label: `${scope ? `[${scope}] ` : ""}${route} ${request.model}${firstSystem ? ` · ${firstSystem}` : ""}${before.length > 1 ? ` · ${before.length} earlier turns` : ""}${request.tools?.length ? ` · ${request.tools.length} tools` : ""}`,
      instructions,
      responseFormat: request.response_format?.type,
      hasTools: (request.tools?.length ?? 0) > 0,
    },
    () => hashCanonical({ namespace, last: last ?? null, after }),
    // Text-only last turns only: other parts (images, files) must match exactly, so they keep the exact key.
    () =>
      !last || !("content" in last) || (Array.isArray(last.content) && last.content.some((p) => p.type !== "text"))
        ? key.exactKey
        : hashCanonical({ namespace, normal: normalizeText(messageText(last)), after }),
  );
  return key;
}
