// Maps the attribute vocabularies agents send (OpenInference, older gen_ai names, Traceloop) onto the OTel GenAI
// names Hotpath analyses, and decides a span's kind. Source attributes are kept; gen_ai.* ones are added when absent.
import type { AttributeValue, Attributes, SpanKind } from "./span.js";

const OPENINFERENCE_KIND: Record<string, SpanKind> = {
  LLM: "llm",
  TOOL: "tool",
  AGENT: "agent",
  CHAIN: "chain",
  RETRIEVER: "retriever",
  RERANKER: "retriever",
  EMBEDDING: "embedding",
};

const OPERATION_KIND: Record<string, SpanKind> = {
  chat: "llm",
  text_completion: "llm",
  generate_content: "llm",
  completion: "llm",
  execute_tool: "tool",
  invoke_agent: "agent",
  create_agent: "agent",
  embeddings: "embedding",
};

const TRACELOOP_KIND: Record<string, SpanKind> = { workflow: "chain", task: "chain", agent: "agent", tool: "tool" };

const KINDS = new Set<SpanKind>(["llm", "tool", "agent", "chain", "retriever", "embedding", "other"]);

export function spanKindOf(attrs: Attributes): SpanKind {
  const own = attrs["hotpath.kind"];
  if (typeof own === "string" && KINDS.has(own as SpanKind)) return own as SpanKind;
  const oi = attrs["openinference.span.kind"];
  if (typeof oi === "string" && OPENINFERENCE_KIND[oi.toUpperCase()]) return OPENINFERENCE_KIND[oi.toUpperCase()];
  const op = attrs["gen_ai.operation.name"];
  if (typeof op === "string" && OPERATION_KIND[op]) return OPERATION_KIND[op];
  const tl = attrs["traceloop.span.kind"];
  if (typeof tl === "string" && TRACELOOP_KIND[tl]) return TRACELOOP_KIND[tl];
  if (typeof oi === "string") return "other";
  if (attrs["gen_ai.tool.name"] !== undefined || attrs["tool.name"] !== undefined) return "tool";
  if (attrs["gen_ai.request.model"] !== undefined || attrs["llm.model_name"] !== undefined) return "llm";
  return "other";
}

function setIfAbsent(attrs: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined && value !== null && attrs[key] === undefined) attrs[key] = value;
}

function num(v: AttributeValue | undefined): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Returns a copy with gen_ai.* equivalents added for the kind decided by spanKindOf. */
export function toGenAi(source: Attributes, kind: SpanKind): Attributes {
  return addGenAi({ ...source }, kind);
}

/** toGenAi on an attributes object the caller owns (no copy: OTLP decoding builds one per span anyway). */
export function addGenAi(a: Attributes, kind: SpanKind): Attributes {
  setIfAbsent(a, "gen_ai.request.model", a["llm.model_name"]);
  setIfAbsent(a, "gen_ai.provider.name", a["llm.provider"] ?? a["llm.system"] ?? a["gen_ai.system"]);
  setIfAbsent(a, "gen_ai.usage.input_tokens", num(a["llm.token_count.prompt"]) ?? num(a["gen_ai.usage.prompt_tokens"]));
  setIfAbsent(
    a,
    "gen_ai.usage.output_tokens",
    num(a["llm.token_count.completion"]) ?? num(a["gen_ai.usage.completion_tokens"]),
  );
  setIfAbsent(a, "gen_ai.usage.cache_read.input_tokens", num(a["llm.token_count.prompt_details.cache_read"]));
  setIfAbsent(a, "gen_ai.conversation.id", a["session.id"]);
  setIfAbsent(a, "gen_ai.tool.name", a["tool.name"]);
  setIfAbsent(a, "gen_ai.tool.description", a["tool.description"]);
  setIfAbsent(a, "gen_ai.tool.call.id", a["tool_call.id"]);
  if (kind === "tool") {
    setIfAbsent(a, "gen_ai.tool.call.arguments", a["input.value"] ?? a["tool.parameters"]);
    setIfAbsent(a, "gen_ai.tool.call.result", a["output.value"]);
    setIfAbsent(a, "gen_ai.operation.name", "execute_tool");
  } else if (kind === "llm") {
    setIfAbsent(a, "gen_ai.operation.name", "chat");
    // Both lists come from OpenInference's llm.* keys: an LLM span without any (OTel GenAI names) needs neither walk.
    if (!hasLlmKey(a)) return a;
    const definitions = collectIndexed(a, "llm.tools.", /^llm\.tools\.(\d+)\.tool\.json_schema$/);
    if (definitions.length) setIfAbsent(a, "gen_ai.tool.definitions", `[${definitions.join(",")}]`);
    const calls = collectToolCalls(a);
    if (calls.length) {
      // Some instrumentations record names without ids: leave ids to another recording of the same call.
      if (calls.every((c) => c.id))
        setIfAbsent(
          a,
          "hotpath.tool_call_ids",
          calls.map((c) => c.id),
        );
      setIfAbsent(
        a,
        "hotpath.tool_call_names",
        calls.map((c) => c.name),
      );
      setIfAbsent(
        a,
        "hotpath.tool_call_arguments",
        calls.map((c) => c.arguments),
      );
    }
  } else if (kind === "agent") {
    setIfAbsent(a, "gen_ai.operation.name", "invoke_agent");
  }
  return a;
}

/**
 * Whether any key starts with "llm." (a for-in loop: no key list is made; its inherited keys, if any, can only make
 * the walks below run for nothing).
 */
function hasLlmKey(a: Attributes): boolean {
  for (const k in a) if (k.startsWith("llm.")) return true;
  return false;
}

// Both collectors see every attribute of every LLM span: a prefix test first, the expression only on candidates.
function collectIndexed(a: Attributes, prefix: string, pattern: RegExp): string[] {
  const found: [number, string][] = [];
  for (const k of Object.keys(a)) {
    if (!k.startsWith(prefix)) continue;
    const v = a[k];
    const m = pattern.exec(k);
    if (m && typeof v === "string") found.push([Number(m[1]), v]);
  }
  return found.sort((x, y) => x[0] - y[0]).map(([, v]) => v);
}

/** OpenInference flattens an LLM's tool calls as llm.output_messages.N.message.tool_calls.M.tool_call.{id,function.*}. */
function collectToolCalls(a: Attributes): { id: string; name: string; arguments: string }[] {
  const calls = new Map<string, { id: string; name: string; arguments: string }>();
  const re =
    /^llm\.output_messages\.(\d+)\.message\.tool_calls\.(\d+)\.tool_call\.(id|function\.name|function\.arguments)$/;
  for (const k of Object.keys(a)) {
    if (!k.startsWith("llm.output_messages.")) continue;
    const v = a[k];
    const m = re.exec(k);
    if (!m || typeof v !== "string") continue;
    const key = `${m[1].padStart(4, "0")}.${m[2].padStart(4, "0")}`;
    const call = calls.get(key) ?? { id: "", name: "", arguments: "" };
    if (m[3] === "id") call.id = v;
    else if (m[3] === "function.name") call.name = v;
    else call.arguments = v;
    calls.set(key, call);
  }
  return [...calls.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([, c]) => c);
}
