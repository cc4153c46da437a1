// Forced tool calls (tool_choice "required" or a named function): the output is constrained by a JSON-schema grammar
// to `{"name": …, "arguments": {…}}` (or an array of them for parallel calls), so even a small local model returns
// well-formed calls.
import type { ChatCompletionRequest } from "../api.js";
import { sortKeys } from "../canonical.js";

export function forcedToolCallSchema(request: ChatCompletionRequest): Record<string, unknown> | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (!tools.length || !choice || choice === "auto" || choice === "none") return undefined;
  const chosen = typeof choice === "object" ? tools.filter((t) => t.function.name === choice.function.name) : tools;
  const variants = chosen.map((t) => ({
    type: "object",
    properties: {
      name: { const: t.function.name },
      arguments:
        t.function.parameters && Object.keys(t.function.parameters).length
          ? sortKeys(t.function.parameters)
          : { type: "object", properties: {} },
    },
    required: ["name", "arguments"],
  }));
  const call = variants.length === 1 ? variants[0] : { oneOf: variants };
  const parallel = typeof choice !== "object" && request.parallel_tool_calls !== false && chosen.length > 1;
  return parallel ? { type: "array", items: call, minItems: 1, maxItems: chosen.length } : call;
}

export interface ParsedToolCall {
  name: string;
  arguments: string;
}

export function parseForcedToolCalls(text: string): ParsedToolCall[] {
  const value = JSON.parse(text) as unknown;
  const calls = Array.isArray(value) ? value : [value];
  return calls.map((c: any) => ({ name: String(c.name), arguments: JSON.stringify(c.arguments ?? {}) }));
}
