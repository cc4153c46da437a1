// Builds the request a variant sends: the prompt with some sections removed and one test input in place.
import type { ChatCompletionRequest, ChatMessage } from "../../api.js";
import { removeRanges } from "./text.js";
import type { PromptDoc } from "./types.js";

export type Variant = Pick<ChatCompletionRequest, "messages" | "tools">;

/** `input`: the user message of one test case (undefined: the prompt as written). */
export function ablate(doc: PromptDoc, removed: ReadonlySet<string>, input?: string): Variant {
  const cuts = new Map<number, { start: number; end: number }[]>();
  const dropMessages = new Set<number>();
  const dropTools = new Set<number>();
  for (const s of doc.sections) {
    if (!removed.has(s.id)) continue;
    const t = s.target;
    if (t.kind === "content") (cuts.get(t.message) ?? cuts.set(t.message, []).get(t.message)!).push(t);
    else if (t.kind === "messages") t.messages.forEach((m) => dropMessages.add(m));
    else dropTools.add(t.index);
  }
  const messages: ChatMessage[] = [];
  doc.messages.forEach((m, i) => {
    if (dropMessages.has(i)) return;
    if (i === doc.inputMessage && input !== undefined) {
      messages.push({ role: "user", content: input });
      return;
    }
    const c = cuts.get(i);
    if (c && typeof m.content === "string") {
      const content = removeRanges(m.content, c);
      // A system message left empty is dropped rather than sent blank.
      if (content === "" && (m.role === "system" || m.role === "developer")) return;
      messages.push({ ...m, content } as ChatMessage);
    } else messages.push(m);
  });
  if (input !== undefined && doc.inputMessage === undefined) messages.push({ role: "user", content: input });
  // Everything removed and no input: the request still needs one message.
  if (messages.length === 0) messages.push({ role: "user", content: "" });
  const tools = doc.tools.filter((_, i) => !dropTools.has(i));
  return { messages, ...(tools.length ? { tools } : {}) };
}
