// Reads a prompt (Markdown, plain text, XML-tagged text, or JSON chat) into a PromptDoc with its sections.
import { jsonTextDepth, LIMITS } from "../../limits.js";
import { parseChatPrompt, PromptError } from "./chat.js";
import { rangeOf } from "./range.js";
import { splitText, type Granularity } from "./text.js";
import type { PromptDoc, PromptFormat } from "./types.js";

export { PromptError } from "./chat.js";
export type { Granularity } from "./text.js";
export * from "./types.js";

/** Prompts larger than this are refused: an audit multiplies every prompt token by variants × inputs × samples. */
export const MAX_PROMPT_CHARS = 1_000_000;

export function detectFormat(source: string, fileName?: string): PromptFormat {
  const lower = fileName?.toLowerCase() ?? "";
  if (lower.endsWith(".json")) return "chat-json";
  const trimmed = source.trimStart();
  if (!fileName && (trimmed.startsWith("[") || trimmed.startsWith("{"))) {
    try {
      JSON.parse(source);
      return "chat-json";
    } catch {
      /* not JSON: text */
    }
  }
  if (lower.endsWith(".md") || lower.endsWith(".markdown") || /^#{1,6}\s/m.test(source)) return "markdown";
  if (/^\s*<[A-Za-z][\w.-]*(\s[^<>]*)?>/m.test(source)) return "xml";
  return "text";
}

/** Throws PromptError for a prompt refused whatever it holds: too long, or empty. */
export function checkPromptSize(source: string): void {
  if (source.length > MAX_PROMPT_CHARS)
    throw new PromptError(`the prompt has ${source.length} characters; the limit is ${MAX_PROMPT_CHARS}`);
  if (source.trim() === "") throw new PromptError("the prompt is empty");
}

export function parsePrompt(source: string, opts: { fileName?: string; granularity?: Granularity } = {}): PromptDoc {
  checkPromptSize(source);
  const granularity = opts.granularity ?? "auto";
  const format = detectFormat(source, opts.fileName);
  if (format === "chat-json") {
    // The chat parser (and every section's JSON rendering) recurses: measure the nesting first.
    if (jsonTextDepth(source, LIMITS.jsonDepth) > LIMITS.jsonDepth) {
      throw new PromptError(
        `the JSON prompt nests arrays/objects more than ${LIMITS.jsonDepth} levels deep (limit jsonDepth = ${LIMITS.jsonDepth}); flatten it`,
      );
    }
    return parseChatPrompt(source, granularity);
  }
  // A text prompt is the system message; test inputs become the user message after it.
  const sections = splitText(source, granularity).map((s, i) => ({
    id: `s${i + 1}`,
    title: s.title,
    kind: s.kind,
    text: source.slice(s.start, s.end).trim(),
    target: { kind: "content" as const, message: 0, start: s.start, end: s.end },
    range: rangeOf(source, s.start, s.end),
    deleteRange: rangeOf(source, s.start, s.end),
  }));
  return { format, source, messages: [{ role: "system", content: source }], tools: [], request: {}, sections };
}
