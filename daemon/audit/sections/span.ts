// A recorded LLM call as a prompt: its system text and tool definitions become the sections, its last user message
// the test input. The "source" is a virtual document (system text, then each tool's JSON) that ranges refer to.
import { ToolSchema, type ChatMessage, type Tool } from "../../api.js";
import { jsonTextDepth, LIMITS } from "../../limits.js";
import type { Span } from "../../traces/span.js";
import { spanMessages } from "../recorded.js";
import { PromptError } from "./chat.js";
import { rangeOf } from "./range.js";
import { splitText, type Granularity } from "./text.js";
import { type PromptDoc, type Section, toolSection } from "./types.js";

/** Tool definitions in OpenAI's shape, or the flat {name, description, parameters} some exporters record. */
function spanTools(span: Span): Tool[] {
  const raw = span.attributes["gen_ai.tool.definitions"];
  if (typeof raw !== "string") return [];
  if (jsonTextDepth(raw, LIMITS.jsonDepth) > LIMITS.jsonDepth) {
    throw new PromptError(
      `the span's tool definitions nest more than ${LIMITS.jsonDepth} levels deep (limit jsonDepth = ${LIMITS.jsonDepth})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  const out: Tool[] = [];
  for (const t of Array.isArray(value) ? value : []) {
    const candidate = t && typeof t === "object" && !("function" in t) ? { type: "function", function: t } : t;
    const parsed = ToolSchema.safeParse(candidate);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

export function parseSpanPrompt(span: Span, granularity: Granularity = "auto"): PromptDoc {
  if (span.kind !== "llm") throw new PromptError(`span ${span.spanId} is a ${span.kind} span; audits need an LLM call`);
  const recorded = spanMessages(span);
  const system = recorded
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.text)
    .join("\n\n");
  const user = recorded.filter((m) => m.role === "user").pop()?.text;
  const tools = spanTools(span);
  if (!system.trim() && !tools.length)
    throw new PromptError(`span ${span.spanId} recorded no system prompt and no tools`);
  const sections: Section[] = [];
  let n = 0;
  for (const s of system.trim() ? splitText(system, granularity) : []) {
    const range = rangeOf(system, s.start, s.end);
    sections.push({
      id: `s${++n}`,
      title: s.title,
      kind: s.kind,
      text: system.slice(s.start, s.end).trim(),
      target: { kind: "content", message: 0, start: s.start, end: s.end },
      range,
      deleteRange: range,
    });
  }
  let source = system;
  tools.forEach((t, i) => {
    const json = JSON.stringify(t, null, 2);
    source += `${source ? "\n\n" : ""}`;
    const start = source.length;
    source += json;
    const range = rangeOf(source, start, source.length);
    sections.push(toolSection(t, i, range, range));
  });
  const messages: ChatMessage[] = [];
  if (system.trim()) messages.push({ role: "system", content: system });
  if (user !== undefined) messages.push({ role: "user", content: user });
  const num = (k: string) => (typeof span.attributes[k] === "number" ? (span.attributes[k] as number) : undefined);
  const temperature = num("gen_ai.request.temperature");
  const maxTokens = num("gen_ai.request.max_tokens");
  return {
    format: "span",
    source,
    messages,
    tools,
    request: {
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    },
    inputMessage: user !== undefined ? messages.length - 1 : undefined,
    sections,
  };
}
