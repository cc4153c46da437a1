// JSON chat prompts (`[messages]` or `{messages, tools, …request fields}`): system/developer text split like any
// prompt text, earlier user→assistant turns as few-shot examples, each tool definition its own section. Offsets
// inside JSON strings are mapped back to the file through the string's escapes, so ranges point at the source.
import { contentText } from "../../chat.js";
import { parseTree, findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { z } from "zod";
import { ChatCompletionRequestObject, ChatCompletionRequestSchema, ChatMessageSchema, ToolSchema } from "../../api.js";
import { splitText, titleOf, type Granularity } from "./text.js";
import { type PromptDoc, type Section, toolSection } from "./types.js";
import { rangeOf } from "./range.js";

export class PromptError extends Error {}

const ChatFileSchema = z.union([
  z.array(ChatMessageSchema).min(1, "a chat prompt needs at least one message"),
  ChatCompletionRequestObject.partial({ model: true }),
]);

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
}

/** Source offset of each decoded character of a JSON string literal (plus one past the end). */
function stringOffsets(source: string, node: Node): number[] {
  const map: number[] = [];
  let i = node.offset + 1;
  const end = node.offset + node.length - 1;
  while (i < end) {
    map.push(i);
    if (source[i] === "\\") {
      if (source[i + 1] === "u") {
        i += 6;
        continue;
      }
      i += 2;
      continue;
    }
    i += 1;
  }
  map.push(end);
  return map;
}

export function parseChatPrompt(source: string, granularity: Granularity): PromptDoc {
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { allowTrailingComma: false, disallowComments: true });
  if (!tree || errors.length) {
    const e = errors[0];
    throw new PromptError(
      `the prompt is not valid JSON: ${e ? `${printParseErrorCode(e.error)} at offset ${e.offset}` : "empty"}`,
    );
  }
  const parsed = ChatFileSchema.safeParse(JSON.parse(source));
  if (!parsed.success)
    throw new PromptError(`the prompt is not a JSON chat (messages array or chat request):\n${describe(parsed.error)}`);
  const isArray = Array.isArray(parsed.data);
  const messages = isArray
    ? (parsed.data as z.infer<typeof ChatMessageSchema>[])
    : (parsed.data as { messages: z.infer<typeof ChatMessageSchema>[] }).messages;
  const {
    messages: _m,
    tools: rawTools,
    model: _model,
    ...request
  } = isArray ? { messages } : (parsed.data as z.infer<typeof ChatCompletionRequestSchema>);
  const tools = (rawTools ?? []) as z.infer<typeof ToolSchema>[];
  const messagesNode = isArray ? tree : findNodeAtLocation(tree, ["messages"])!;
  const sections: Section[] = [];
  let n = 0;

  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  messages.forEach((m, i) => {
    if ((m.role === "system" || m.role === "developer") && typeof m.content === "string") {
      const contentNode = findNodeAtLocation(messagesNode, [i, "content"]);
      if (!contentNode) return;
      const offsets = stringOffsets(source, contentNode);
      for (const s of splitText(m.content, granularity)) {
        sections.push({
          id: `s${++n}`,
          title: s.title,
          kind: s.kind,
          text: m.content.slice(s.start, s.end).trim(),
          target: { kind: "content", message: i, start: s.start, end: s.end },
          range: rangeOf(source, offsets[s.start], offsets[s.end]),
          deleteRange: rangeOf(source, offsets[s.start], offsets[s.end]),
        });
      }
    }
  });
  // Earlier turns (a user message and the replies up to the next user message) are few-shot examples.
  for (let i = 0; i < lastUser; i++) {
    if (messages[i].role !== "user") continue;
    const turn = [i];
    for (let j = i + 1; j < lastUser && messages[j].role !== "user"; j++) turn.push(j);
    const first = messagesNode.children![turn[0]];
    const last = messagesNode.children![turn[turn.length - 1]];
    const text = turn.map((k) => `${messages[k].role}: ${contentText(messages[k].content)}`).join("\n");
    sections.push({
      id: `s${++n}`,
      title: `example: ${titleOf(contentText(messages[i].content), 50)}`,
      kind: "turn",
      text,
      target: { kind: "messages", messages: turn },
      range: rangeOf(source, first.offset, last.offset + last.length),
      deleteRange: elementsDeletion(source, messagesNode, turn[0], turn[turn.length - 1]),
    });
  }
  if (tools.length) {
    const toolsNode = findNodeAtLocation(tree, ["tools"])!;
    tools.forEach((t, i) => {
      const node = toolsNode.children![i];
      const range = rangeOf(source, node.offset, node.offset + node.length);
      sections.push(toolSection(t, i, range, elementsDeletion(source, toolsNode, i, i)));
    });
  }
  return {
    format: "chat-json",
    source,
    messages,
    tools,
    request,
    inputMessage: lastUser >= 0 && lastUser === messages.length - 1 ? lastUser : undefined,
    sections,
  };
}

/** Array elements [from..to] plus one separating comma (the following one, else the preceding one). */
function elementsDeletion(source: string, array: Node, from: number, to: number) {
  const items = array.children!;
  const next = items[to + 1];
  const prev = items[from - 1];
  if (next) return rangeOf(source, items[from].offset, next.offset);
  if (prev) return rangeOf(source, prev.offset + prev.length, items[to].offset + items[to].length);
  return rangeOf(source, items[from].offset, items[to].offset + items[to].length);
}
