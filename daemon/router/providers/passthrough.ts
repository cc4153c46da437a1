// Same-format pass-through: a request that arrived in the API its upstream speaks (Anthropic Messages → Anthropic,
// OpenAI chat / Responses → OpenAI) is forwarded as the client sent it: every body field (also ones Hotpath does not
// know yet), the client's headers, the query string. Only the model id and the key change. The answer is relayed
// byte for byte (as `wire` events) and parsed alongside, only to observe it (usage, timings, span, cache).
import type { ChatEvent, ChatOptions, NativeRequest, WireFormat } from "../../chat.js";
import type { ProviderBackendOptions } from "./backend.js";
import { splicedBody } from "./native-body.js";
import { postJson, readJsonText, sseMessages, type UpstreamResponse } from "./upstream.js";

/**
 * Request headers never forwarded: hop-by-hop and framing (the body is re-sent; expect: 100-continue is the client's
 * exchange with Hotpath, and undici refuses it), the client's credentials for Hotpath (the provider's key replaces
 * them), Hotpath's own controls, and accept-encoding (the relay is parsed).
 */
const NOT_FORWARDED = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "content-length",
  "content-type",
  "content-encoding",
  "accept-encoding",
  "authorization",
  "x-api-key",
  "api-key",
  "cookie",
  "proxy-authorization",
  "origin",
  "referer",
]);

/** The client's headers to forward upstream (lower-case names, one value each). */
export function forwardableHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (value === undefined || NOT_FORWARDED.has(n) || n.startsWith("x-hotpath-") || n.startsWith("sec-")) continue;
    out[n] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Upstream response headers a client may rely on (request ids, rate limits, the API's own); framing is ours. */
export function relayedResponseHeaders(res: Pick<UpstreamResponse, "headers">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (/^(request-id|x-request-id|retry-after(-ms)?|anthropic-|openai-|x-ratelimit-)/.test(name))
      out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const type = res.headers["content-type"];
  if (typeof type === "string") out["content-type"] = type;
  return out;
}

export interface PassThrough {
  format: WireFormat;
  /** Path under the provider's base URL, e.g. "/v1/messages" or "/responses". */
  path: string;
  /** Auth (and version) headers of the provider; they override the client's. Called once the stream is pulled. */
  auth: () => Record<string, string>;
  /** Parses the upstream's SSE into events (observation only). */
  parseStream: (
    messages: AsyncIterable<{ event?: string; data: string }>,
    provider: string,
  ) => AsyncIterable<ChatEvent>;
  /** Parses the upstream's unstreamed JSON into events (observation only). */
  parseJson: (value: unknown) => Iterable<ChatEvent>;
}

/** Forwards `native` and yields the answer twice: as wire bytes for the client, and as events to observe. */
export async function* passThrough(
  opts: ProviderBackendOptions,
  native: NativeRequest,
  how: PassThrough,
  options: Pick<ChatOptions, "signal" | "whileWaiting">,
): AsyncIterable<ChatEvent> {
  // A large body: the client's bytes with the model spliced in, not the object written out again (native-body.ts).
  const body = splicedBody(native.raw, opts.model) ?? { ...native.body, model: opts.model };
  const stream = native.body.stream === true;
  const url = `${opts.baseURL.replace(/\/+$/, "")}${how.path}${native.query}`;
  const headers: Record<string, string> = { ...native.headers, ...how.auth() };
  headers.accept ??= stream ? "text/event-stream" : "application/json";
  const res = await postJson(opts.conn, url, headers, body, options, opts.timeoutMs);
  const head = { status: res.statusCode ?? 200, headers: relayedResponseHeaders(res) };
  if (!stream || !String(res.headers["content-type"] ?? "").includes("text/event-stream")) {
    const { value, text } = await readJsonText<unknown>(res, opts.conn.name);
    yield { type: "wire", format: how.format, data: text, head };
    // A loop of plain yields, not `yield*`: delegating to a sync iterable from an async generator wraps every step in
    // a promise of its own (an async-from-sync iterator) before the yield's own turn.
    for (const e of how.parseJson(value)) yield e;
    return;
  }
  // Raw chunks are queued as they arrive; before each parsed message is observed, the bytes up to it go out (yielded
  // here, not through a delegated sync generator: see above).
  let pending = "";
  let first = true;
  const messages = sseMessages(res, opts.conn.name, (chunk) => (pending += chunk));
  for await (const e of how.parseStream(messages, opts.conn.name)) {
    if (pending || first) {
      const data = pending;
      pending = "";
      yield { type: "wire", format: how.format, data, ...(first ? { head } : {}) };
      first = false;
    }
    yield e;
  }
  // Nothing is read after the final event: each format's stream ends with it (message_stop, [DONE], response.completed).
}
