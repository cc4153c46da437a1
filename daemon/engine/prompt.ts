// Turns an OpenAI chat request into the model's own prompt tokens, through the chat template in the GGUF.
import type {
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  ChatWrapper,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import type { ChatCompletionRequest, ChatMessage } from "../api.js";
import { sortKeys } from "../canonical.js";
import { contentText } from "../chat.js";

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
): RenderedPrompt {
  const history = toChatHistory(request.messages);
  history.push({ type: "model", response: [] });
  const state = chatWrapper.generateContextState({
    chatHistory: history,
    availableFunctions: functions,
    documentFunctionParams: true,
  });
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTokenSequences = state.stopGenerationTriggers
    .map((t) => t.tokenize(model.tokenizer, "trimLeadingSpace"))
    .filter((t) => t.length > 0);
  return { tokens, stopTokenSequences, stopTexts: state.stopGenerationTriggers.map((t) => t.toString()) };
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
      params: tool.function.parameters ? sortKeys(tool.function.parameters) : undefined,
    };
  }
  return functions as ChatModelFunctions;
}
