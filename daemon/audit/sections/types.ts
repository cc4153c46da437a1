// What a prompt is made of, for an audit: a base request (messages + tools) and the sections that can be removed.
import type { AuditRange, AuditSectionDto, ChatCompletionRequest, ChatMessage, Tool } from "../../api.js";

export type SectionKind = AuditSectionDto["kind"];

/** A place in the prompt's source file (0-based, VS Code's convention). */
export type SourceRange = AuditRange;

/** Where a section lives in the request: a slice of one message's text, whole messages, or one tool definition. */
export type SectionTarget =
  | { kind: "content"; message: number; start: number; end: number }
  | { kind: "messages"; messages: number[] }
  | { kind: "tool"; index: number };

export interface Section {
  /** Stable within one prompt text: "s3", or "tool:name" for tool definitions. */
  id: string;
  title: string;
  kind: SectionKind;
  /** The section's text as the model sees it (a tool definition: its JSON). */
  text: string;
  target: SectionTarget;
  /** In the source file, so the editor can underline it. */
  range: SourceRange;
  /** What a quick fix deletes to remove the section and leave a valid file (JSON array elements: with their comma). */
  deleteRange: SourceRange;
}

export type PromptFormat = "markdown" | "text" | "xml" | "chat-json" | "span";

export interface PromptDoc {
  format: PromptFormat;
  /** The file's text (for a span: the rendered system prompt). */
  source: string;
  messages: ChatMessage[];
  tools: Tool[];
  /** Request fields the prompt file itself carries (chat JSON: temperature, tool_choice, response_format, …). */
  request: Partial<Omit<ChatCompletionRequest, "messages" | "tools">>;
  /** Index of the message test inputs replace (chat JSON ending in a user message); undefined: inputs are appended. */
  inputMessage?: number;
  sections: Section[];
}

/** The section of tool definition `index`: removing it drops the tool from the request. */
export function toolSection(tool: Tool, index: number, range: SourceRange, deleteRange: SourceRange): Section {
  const name = tool.function.name;
  const target: SectionTarget = { kind: "tool", index };
  return {
    id: `tool:${name}`,
    title: `tool ${name}`,
    kind: "tool",
    text: JSON.stringify(tool),
    target,
    range,
    deleteRange,
  };
}
