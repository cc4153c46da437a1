// Turns an OpenAI chat request into the model's own prompt tokens, through the chat template in the GGUF.
import type {
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  ChatWrapper,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { SpecialTokensText, type LlamaText } from "node-llama-cpp";
import type { ChatCompletionRequest, ChatMessage } from "../api.js";
import { sortKeys } from "../canonical.js";
import { contentText } from "../chat.js";
import { refuseUnfittable } from "./context-bound.js";
import { toolParameters } from "./schema-limits.js";

export class UnsupportedContentError extends Error {}

export interface RenderedPrompt {
  tokens: Token[];
  stopTokenSequences: Token[][];
  /** Text of the triggers, for logging and completions. */
  stopTexts: string[];
}

export function renderChatPrompt(
  model: LlamaModel,
  chatWrapper: ChatWrapper,
  request: ChatCompletionRequest,
  functions?: ChatModelFunctions,
  contextSize?: number,
): RenderedPrompt {
  const history = toChatHistory(request.messages);
  history.push({ type: "model", response: [] });
  const state = chatWrapper.generateContextState({
    chatHistory: history,
    availableFunctions: functions,
    documentFunctionParams: true,
  });
  // The rendered text, not only the messages, must be able to fit before it is tokenized (synchronously, on the event
  // loop): 128 tools with 60 KB descriptions each rendered to 7.7 MB and held every request for 13 s.
  if (contextSize !== undefined) refuseUnfittable(model, textChars(state.contextText), contextSize);
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTokenSequences = state.stopGenerationTriggers
    .map((t) => t.tokenize(model.tokenizer, "trimLeadingSpace"))
    .filter((t) => t.length > 0);
  return { tokens, stopTokenSequences, stopTexts: state.stopGenerationTriggers.map((t) => t.toString()) };
}

/** Characters of text in a rendered prompt (special tokens count as the text they are written with, or none). */
function textChars(text: LlamaText): number {
  let chars = 0;
  for (const v of text.values) {
    if (typeof v === "string") chars += v.length;
    else if (v instanceof SpecialTokensText) chars += v.value.length;
  }
  return chars;
}

/** A message's text for a local model, which takes text only: other parts are refused, not dropped. */
export function messageText(content: ChatMessage["content"]): string {
  if (Array.isArray(content) && content.some((part) => part.type !== "text")) {
    throw new UnsupportedContentError(
      "local models here take text only; remove image parts or route this request to a cloud model",
    );
  }
  return contentText(content);
}

/** OpenAI messages → node-llama-cpp chat history. Tool results are attached to the call that asked for them. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "developer":
        history.push({ type: "system", text: messageText(m.content) });
        break;
      case "user":
        history.push({ type: "user", text: messageText(m.content) });
        break;
      case "assistant": {
        const response: (string | ChatModelFunctionCall)[] = [];
        const text = messageText(m.content ?? null);
        if (text) response.push(text);
        for (const call of m.tool_calls ?? []) {
          const item: ChatModelFunctionCall = {
            type: "functionCall",
            name: call.function.name,
            params: parseArgs(call.function.arguments),
            result: "",
          };
          callsById.set(call.id, item);
          response.push(item);
        }
        history.push({ type: "model", response });
        break;
      }
      case "tool": {
        const call = callsById.get(m.tool_call_id);
        const result = messageText(m.content);
        if (call) call.result = result;
        // A result without a matching call still reaches the model, as user-visible context.
        else history.push({ type: "user", text: `Result of tool call ${m.tool_call_id}: ${result}` });
        break;
      }
    }
  }
  return history;
}

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

/** OpenAI tools → node-llama-cpp function definitions, parameters with sorted keys (stable prompt bytes). */
export function toFunctions(request: ChatCompletionRequest): ChatModelFunctions | undefined {
  if (!request.tools?.length || request.tool_choice === "none") return undefined;
  const functions: Record<string, { description?: string; params?: any }> = {};
  for (const tool of [...request.tools].sort((a, b) => a.function.name.localeCompare(b.function.name))) {
    functions[tool.function.name] = {
      description: tool.function.description,
      params: tool.function.parameters ? sortKeys(toolParameters(tool.function.parameters)) : undefined,
    };
  }
  return functions as ChatModelFunctions;
}
