// Prefix stability: consecutive LLM calls of one conversation should extend the previous prompt, so the provider's
// (or the local engine's) prefix cache can reuse it. A call whose prompt diverges early is a cache breaker.
// Evidence, best first: the prompt text; prompt block hashes (kv-cache-tester); the provider's cache-read tokens.
import type { PrefixBreak } from "../../api.js";
import type { Span } from "../span.js";

/** Text differences within this many trailing characters are serialization (closing brackets), not a break. */
const TEXT_SLACK = 16;
/** Provider caches (Anthropic) expire after 5 minutes idle. */
const PROVIDER_TTL_NS = 5 * 60 * 1e9;

export function promptText(s: Span): string | undefined {
  const a = s.attributes;
  for (const key of ["gen_ai.input.messages", "gen_ai.prompt", "input.value", "hotpath.prompt"]) {
    const v = a[key];
    if (typeof v === "string" && v.length) return v;
  }
  const parts: [number, string][] = [];
  for (const k in a) {
    if (!k.startsWith("llm.input_messages.")) continue;
    const v = a[k];
    const m = /^llm\.input_messages\.(\d+)\.message\.(role|content)$/.exec(k);
    if (m && typeof v === "string") parts.push([Number(m[1]) * 2 + (m[2] === "role" ? 0 : 1), v]);
  }
  return parts.length
    ? parts
        .sort((x, y) => x[0] - y[0])
        .map(([, v]) => v)
        .join("\n")
    : undefined;
}

const num = (v: unknown) => (typeof v === "number" ? v : undefined);

export function findPrefixBreaks(llmSpans: Span[]): PrefixBreak[] {
  const byConversation = new Map<string, Span[]>();
  // A conversation's calls mostly come one after another: the last one's list is taken again without a key built and
  // looked up when conversation, parent and model are the same.
  let lastConv: string | undefined;
  let lastParent: string | undefined;
  let lastModel: string | undefined;
  let last: Span[] = [];
  for (const s of llmSpans) {
    const model = String(s.attributes["gen_ai.request.model"] ?? "");
    const conv = String(s.attributes["gen_ai.conversation.id"] ?? s.parentSpanId ?? "");
    const parent = s.parentSpanId ?? "";
    if (conv !== lastConv || parent !== lastParent || model !== lastModel) {
      // Calls to another model (a side request, a subagent) have their own prefix: compare like with like.
      const key = `${conv}\u0000${parent}\u0000${model}`;
      let list = byConversation.get(key);
      if (!list) byConversation.set(key, (list = []));
      last = list;
      lastConv = conv;
      lastParent = parent;
      lastModel = model;
    }
    last.push(s);
  }
  const breaks: PrefixBreak[] = [];
  for (const list of byConversation.values()) {
    list.sort((a, b) => a.startNs - b.startNs);
    const texts = list.map(promptText);
    for (let i = 1; i < list.length; i++) {
      const b = compare(list[i - 1], list[i], texts[i - 1], texts[i]);
      if (b) breaks.push(b);
    }
  }
  return breaks.sort((x, y) => (x.spanId < y.spanId ? -1 : 1));
}

function compare(prev: Span, cur: Span, pt: string | undefined, ct: string | undefined): PrefixBreak | undefined {
  if (pt !== undefined && ct !== undefined) {
    let i = 0;
    const n = Math.min(pt.length, ct.length);
    while (i < n && pt.charCodeAt(i) === ct.charCodeAt(i)) i++;
    if (i >= pt.length - TEXT_SLACK) return undefined;
    return {
      spanId: cur.spanId,
      previousSpanId: prev.spanId,
      commonPrefix: i,
      unit: "chars",
      before: pt.slice(Math.max(0, i - 40), i + 80),
      after: ct.slice(Math.max(0, i - 40), i + 80),
      cause: causeOf(pt, ct, i),
    };
  }
  const ph = prev.attributes["hotpath.prefix.block_hashes"];
  const ch = cur.attributes["hotpath.prefix.block_hashes"];
  if (Array.isArray(ph) && Array.isArray(ch)) {
    let i = 0;
    while (i < ph.length && i < ch.length && ph[i] === ch[i]) i++;
    if (i >= ph.length - 1) return undefined;
    const block = num(cur.attributes["hotpath.prefix.block_tokens"]) ?? 64;
    const shrank = ch.length < ph.length;
    return {
      spanId: cur.spanId,
      previousSpanId: prev.spanId,
      commonPrefix: i * block,
      unit: "tokens",
      before: `${ph.length} blocks`,
      after: `${ch.length} blocks`,
      cause: shrank
        ? `context shrank from ${ph.length} to ${ch.length} blocks (compaction or truncation); ${i} blocks reused`
        : `block ${i} of ${ph.length} changed${cur.startNs - prev.endNs > PROVIDER_TTL_NS ? ` after ${Math.round((cur.startNs - prev.endNs) / 6e10)} min idle` : ""}: the rest of the prompt was re-evaluated`,
    };
  }
  const prevInput = num(prev.attributes["gen_ai.usage.input_tokens"]);
  const cacheRead = num(cur.attributes["gen_ai.usage.cache_read.input_tokens"]);
  const curInput = num(cur.attributes["gen_ai.usage.input_tokens"]);
  if (
    prevInput !== undefined &&
    cacheRead !== undefined &&
    curInput !== undefined &&
    prevInput >= 1024 &&
    cacheRead < 0.8 * Math.min(prevInput, curInput)
  ) {
    const idle = cur.startNs - prev.endNs;
    return {
      spanId: cur.spanId,
      previousSpanId: prev.spanId,
      commonPrefix: cacheRead,
      unit: "tokens",
      before: `${prevInput} prompt tokens`,
      after: `${curInput} prompt tokens, ${cacheRead} read from the provider's cache`,
      cause:
        idle > PROVIDER_TTL_NS
          ? `the cached prefix expired: ${Math.round(idle / 6e10)} min idle before this call`
          : curInput < prevInput
            ? `the prompt shrank (compaction or truncation)`
            : `the provider's cache read ${cacheRead} of ${curInput} tokens: an earlier part of the prompt changed, or the request hit another cache replica`,
    };
  }
  return undefined;
}

function causeOf(prev: string, cur: string, at: number): string {
  const window = prev.slice(Math.max(0, at - 20), at + 20) + cur.slice(Math.max(0, at - 20), at + 20);
  if (/\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|\b1[6-9]\d{8}\b/.test(window))
    return "a timestamp or date inside the prompt changed";
  if (/[0-9a-f]{8}-[0-9a-f]{4}|\b[0-9a-f]{16,}\b/i.test(window)) return "an id or hash inside the prompt changed";
  if (at < Math.min(prev.length, cur.length) * 0.1)
    return "the start of the prompt (system prompt or tool definitions) changed";
  if (cur.length < prev.length) return "earlier content was removed (compaction or truncation)";
  return "earlier content was rewritten or reordered";
}
